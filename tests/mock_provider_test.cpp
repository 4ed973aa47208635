#include "llm/mock_provider.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <string_view>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "actions/ask.hpp"
#include "sop/prompt_library.hpp"
#include "actions/structured_output.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace {

using nlohmann::json;

ChatRequest request_with(json hints) {
  ChatRequest request;
  request.model = "mock";
  request.messages = {{"system", "You are Alice, a Product Manager."}, {"user", "Write the document."}};
  request.hints = std::move(hints);
  return request;
}

OutputSchema every_type_schema() {
  OutputSchema schema;
  for (const char* type : {"str", "int", "float", "bool", "list[str]", "list[list[str]]", "list", "object"}) {
    schema.fields.push_back({std::string("Field of type ") + type, type, "anything", true});
  }
  return schema;
}

// Module names a Python source imports ("import a", "import a  # noqa", "from a import b").
std::set<std::string> imported_modules(const std::string& code) {
  std::set<std::string> modules;
  std::istringstream in(code);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, module;
    words >> keyword >> module;
    if (keyword == "import" || keyword == "from") modules.insert(module);
  }
  return modules;
}

// co_spawn needs a default-constructible result, which Result<T> is not: store it instead.
boost::asio::awaitable<void> chat_into(MockProvider& provider, const ChatRequest& request,
                                       std::optional<Result<ChatResult>>& out) {
  Result<ChatResult> reply = co_await provider.chat(request);
  out.emplace(std::move(reply));
}

Result<ChatResult> chat_once(MockProvider& provider, const ChatRequest& request) {
  boost::asio::io_context io;
  std::optional<Result<ChatResult>> out;
  boost::asio::co_spawn(io, chat_into(provider, request, out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  if (!out) return make_error("test", "the chat did not complete");
  return std::move(*out);
}

TEST(MockProviderTest, NamesItselfMock) {
  EXPECT_EQ(MockProvider().name(), "mock");
}

TEST(MockProviderTest, AnswersEveryFieldOfASchemaWithTheRightType) {
  OutputSchema schema = every_type_schema();
  std::string reply = MockProvider::reply_for(
      request_with({{"kind", "document"}, {"idea", "a snake game"}, {"schema", schema_hint(schema)}}));

  auto parsed = extract_structured(reply, schema);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << reply;
  EXPECT_TRUE(parsed->repairs.empty()) << "the mock's reply needed repairs";
  const json& value = parsed->value;
  EXPECT_EQ(value.size(), schema.fields.size());
  EXPECT_TRUE(value["Field of type str"].is_string());
  EXPECT_TRUE(value["Field of type int"].is_number_integer());
  EXPECT_TRUE(value["Field of type float"].is_number());
  EXPECT_TRUE(value["Field of type bool"].is_boolean());
  EXPECT_TRUE(value["Field of type list[str]"].is_array());
  EXPECT_FALSE(value["Field of type list[str]"].empty());
  EXPECT_TRUE(value["Field of type list[list[str]]"].at(0).is_array());
  EXPECT_TRUE(value["Field of type list"].is_array());
  EXPECT_TRUE(value["Field of type object"].is_object());
}

TEST(MockProviderTest, AnswersEveryActionSchemaOfTheBuiltInSopInAUsableWay) {
  PromptLibrary prompts;
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop("software_company", registry, prompts);
  ASSERT_TRUE(sop.ok()) << sop.error().message;

  int schemas = 0;
  for (const auto& [name, action] : sop->actions) {
    if (action.schema.fields.empty()) continue;
    ++schemas;
    std::string reply = MockProvider::reply_for(
        request_with({{"kind", "document"}, {"action", name}, {"idea", "a snake game"},
                      {"schema", schema_hint(action.schema)}}));
    auto parsed = extract_structured(reply, action.schema);
    EXPECT_TRUE(parsed.ok()) << name << ": " << (parsed ? "" : parsed.error().message);
  }
  EXPECT_EQ(schemas, 3);
}

TEST(MockProviderTest, ATaskListFromTheMockOrdersFilesSoEachComesAfterWhatItImports) {
  OutputSchema schema;
  schema.fields = {{"Task list", "list[str]", "", true}, {"Logic Analysis", "list[list[str]]", "", true}};
  std::string reply = MockProvider::reply_for(
      request_with({{"idea", "a snake game"}, {"schema", schema_hint(schema)}}));
  auto parsed = extract_structured(reply, schema);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;

  EXPECT_EQ(parsed->value["Task list"], json({"utils.py", "config.py", "game.py", "main.py"}));
  EXPECT_EQ(parsed->value["Logic Analysis"].size(), 4u);
}

TEST(MockProviderTest, ACodeReplyImportsExactlyTheModulesItDependsOn) {
  std::string reply = MockProvider::reply_for(request_with(
      {{"kind", "code"}, {"file", "main.py"}, {"idea", "a snake game"}, {"depends_on", {"game.py", "utils.py"}}}));
  std::string code = extract_code(reply);

  EXPECT_EQ(imported_modules(code), (std::set<std::string>{"game", "utils"}));
  EXPECT_NE(code.find("def main() -> int:"), std::string::npos);
  EXPECT_NE(code.find("MOCK"), std::string::npos) << "mock files must say where they came from";
}

TEST(MockProviderTest, ACodeReplyWithoutDependenciesImportsNothing) {
  std::string code = extract_code(MockProvider::reply_for(
      request_with({{"kind", "code"}, {"file", "utils.py"}, {"idea", "a snake game"}})));

  EXPECT_TRUE(imported_modules(code).empty()) << code;
  EXPECT_NE(code.find("def describe() -> str:"), std::string::npos);
  EXPECT_EQ(code.find("def main"), std::string::npos) << "only main.py gets a main()";
}

TEST(MockProviderTest, ACodeReplyDoesNotImportDependenciesThatAreNotPythonModules) {
  std::string code = extract_code(MockProvider::reply_for(request_with(
      {{"kind", "code"}, {"file", "game.py"}, {"depends_on", {"config.py", "README.md", "static/style.css"}}})));

  EXPECT_EQ(imported_modules(code), std::set<std::string>{"config"});
}

TEST(MockProviderTest, ATestReplyImportsTheModuleUnderTest) {
  std::string code = extract_code(MockProvider::reply_for(
      request_with({{"kind", "test"}, {"file", "game.py"}, {"test_file", "tests/test_game.py"}})));

  std::set<std::string> modules = imported_modules(code);
  EXPECT_TRUE(modules.count("game")) << code;
  EXPECT_TRUE(modules.count("unittest"));
  for (const auto& m : modules) {
    EXPECT_TRUE(m == "game" || m == "os" || m == "sys" || m == "unittest") << "unexpected import " << m;
  }
  EXPECT_NE(code.find("class TestGame(unittest.TestCase):"), std::string::npos) << code;
}

TEST(MockProviderTest, AChooseReplyPicksTheFirstChoiceNotDoneYetThenMinusOne) {
  json choices = {"WriteNotes", "WriteSummary", "WriteReview"};
  auto choose = [&](json done) {
    return MockProvider::reply_for(request_with({{"kind", "choose"}, {"choices", choices}, {"done", std::move(done)}}));
  };

  EXPECT_EQ(choose(json::array()), "0");
  EXPECT_EQ(choose(json::array({"WriteNotes"})), "1");
  EXPECT_EQ(choose(json::array({"WriteSummary"})), "0");
  EXPECT_EQ(choose({"WriteNotes", "WriteReview"}), "1");
  EXPECT_EQ(choose({"WriteNotes", "WriteSummary"}), "2");
  EXPECT_EQ(choose({"WriteNotes", "WriteSummary", "WriteReview"}), "-1");
  EXPECT_EQ(MockProvider::reply_for(request_with({{"kind", "choose"}, {"choices", json::array()}})), "-1");
}

TEST(MockProviderTest, ARequestWithoutHintsGetsAPlainReplyNamingTheAction) {
  EXPECT_EQ(MockProvider::reply_for(request_with({{"action", "Summarize"}})), "Mock reply (Summarize).");
  EXPECT_EQ(MockProvider::reply_for(request_with(json::object())), "Mock reply (no action).");
}

TEST(MockProviderTest, TheSameRequestGetsTheSameReplyTwice) {
  OutputSchema schema = every_type_schema();
  std::vector<ChatRequest> requests{
      request_with({{"kind", "document"}, {"idea", "a calculator"}, {"schema", schema_hint(schema)}}),
      request_with({{"kind", "code"}, {"file", "main.py"}, {"idea", "a calculator"}, {"depends_on", json::array({"calculator.py"})}}),
      request_with({{"kind", "test"}, {"file", "calculator.py"}}),
      request_with({{"kind", "choose"}, {"choices", {"A", "B"}}, {"done", json::array({"A"})}}),
  };
  MockProvider provider;
  for (const auto& request : requests) {
    auto first = chat_once(provider, request);
    auto second = chat_once(provider, request);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(first->text, second->text);
    EXPECT_EQ(first->text, MockProvider::reply_for(request));
    EXPECT_EQ(first->model, "mock");
    EXPECT_EQ(first->usage.prompt_tokens, second->usage.prompt_tokens);
    EXPECT_EQ(first->usage.completion_tokens, second->usage.completion_tokens);
    EXPECT_GT(first->usage.completion_tokens, 0);
  }
}

TEST(MockProviderTest, StreamsTheWholeReplyToTheDeltaCallback) {
  MockProvider provider;
  ChatRequest request = request_with({{"kind", "test"}, {"file", "game.py"}});
  std::string streamed;
  request.on_delta = [&](std::string_view piece) { streamed += piece; };

  auto reply = chat_once(provider, request);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(streamed, reply->text);
}

}  // namespace
}  // namespace agentco

namespace agentco {
namespace {

std::string mock_field(const std::string& idea, const std::string& name, const std::string& type) {
  OutputSchema schema;
  schema.fields = {{name, type, "", true}};
  auto parsed = extract_structured(MockProvider::reply_for(request_with({{"idea", idea}, {"schema", schema_hint(schema)}})), schema);
  return parsed ? parsed->value[name].dump() : "unparsed";
}

TEST(MockProviderLanguagesTest, TheIdeaChoosesTheProgrammingLanguage) {
  EXPECT_EQ(mock_field("write a snake game in C++", "Programming Language", "str"), "\"C++\"");
  EXPECT_EQ(mock_field("a cpp calculator", "Programming Language", "str"), "\"C++\"");
  EXPECT_EQ(mock_field("write a snake game in JavaScript", "Programming Language", "str"), "\"JavaScript\"");
  EXPECT_EQ(mock_field("a node.js server", "Programming Language", "str"), "\"JavaScript\"");
  EXPECT_EQ(mock_field("write a snake game", "Programming Language", "str"), "\"Python\"");
  EXPECT_EQ(mock_field("a jsonl viewer", "Programming Language", "str"), "\"Python\"");
}

TEST(MockProviderLanguagesTest, ACppIdeaListsACMakeBuildHeaderSourceAndEntryPoint) {
  EXPECT_EQ(mock_field("write a snake game in C++", "Task list", "list[str]"),
            R"(["CMakeLists.txt","game.hpp","game.cpp","main.cpp"])");
  EXPECT_EQ(mock_field("write a snake game in JavaScript", "Task list", "list[str]"),
            R"(["utils.js","config.js","game.js","main.js"])");
}

TEST(MockProviderLanguagesTest, CppRepliesIncludeTheHeadersTheyDependOn) {
  std::string idea = "write a snake game in C++";
  std::string header = extract_code(MockProvider::reply_for(request_with({{"kind", "code"}, {"file", "game.hpp"}, {"idea", idea}})));
  EXPECT_NE(header.find("#pragma once"), std::string::npos) << header;
  EXPECT_NE(header.find("std::string game_describe();"), std::string::npos) << header;
  std::string source = extract_code(MockProvider::reply_for(
      request_with({{"kind", "code"}, {"file", "game.cpp"}, {"idea", idea}, {"depends_on", {"game.hpp"}}})));
  EXPECT_NE(source.find("#include \"game.hpp\""), std::string::npos) << source;
  std::string main_cpp = extract_code(MockProvider::reply_for(
      request_with({{"kind", "code"}, {"file", "main.cpp"}, {"idea", idea}, {"depends_on", {"game.hpp", "game.cpp"}}})));
  EXPECT_NE(main_cpp.find("int main()"), std::string::npos) << main_cpp;
  EXPECT_NE(main_cpp.find("game_describe()"), std::string::npos) << main_cpp;
  std::string cmake = extract_code(MockProvider::reply_for(request_with({{"kind", "code"}, {"file", "CMakeLists.txt"}, {"idea", idea}})));
  EXPECT_NE(cmake.find("add_executable(snake_game_in_c main.cpp)"), std::string::npos) << cmake;
  EXPECT_NE(cmake.find("add_test("), std::string::npos) << cmake;
  std::string test = extract_code(MockProvider::reply_for(request_with({{"kind", "test"}, {"file", "game.cpp"}, {"idea", idea}})));
  EXPECT_NE(test.find("#include \"game.hpp\""), std::string::npos) << test;
  EXPECT_NE(test.find("int main()"), std::string::npos) << test;
}

TEST(MockProviderLanguagesTest, JavaScriptRepliesRequireTheirDependenciesAndTestWithNodeTest) {
  std::string idea = "write a snake game in JavaScript";
  std::string game = extract_code(MockProvider::reply_for(
      request_with({{"kind", "code"}, {"file", "game.js"}, {"idea", idea}, {"depends_on", {"utils.js", "config.js"}}})));
  EXPECT_NE(game.find("const utils = require('./utils');"), std::string::npos) << game;
  EXPECT_NE(game.find("module.exports = { describe };"), std::string::npos) << game;
  std::string main_js = extract_code(MockProvider::reply_for(
      request_with({{"kind", "code"}, {"file", "main.js"}, {"idea", idea}, {"depends_on", {"game.js"}}})));
  EXPECT_NE(main_js.find("require.main === module"), std::string::npos) << main_js;
  std::string test = extract_code(MockProvider::reply_for(request_with({{"kind", "test"}, {"file", "game.js"}, {"idea", idea}})));
  EXPECT_NE(test.find("require('node:test')"), std::string::npos) << test;
  EXPECT_NE(test.find("require('../game')"), std::string::npos) << test;
}

}  // namespace
}  // namespace agentco
