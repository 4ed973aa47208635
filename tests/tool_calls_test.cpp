// Function calling in the model client: tools and tool_choice in requests, tool calls read from
// streamed chunks (pieces put together by index, parallel calls interleaved, servers that
// repeat or leave out what OpenAI sends once) and from whole replies, calls written into the
// text by models without native function calling (llm/tool_call_text.hpp), and the calls in the
// trace and back. The end-to-end cases run OpenAiProvider against the fake server over loopback.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/chunk_reader.hpp"
#include "llm/openai_provider.hpp"
#include "llm/sse_parser.hpp"
#include "llm/tool_call_text.hpp"
#include "llm/tool_calls.hpp"
#include "replay/recorded_run.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using testing::FakeLlmServer;
using namespace std::chrono_literals;

// ---- Helpers -------------------------------------------------------------------------------

Result<ChatResult> chat(OpenAiProvider& provider, const ChatRequest& request) {
  asio::io_context io;
  std::optional<Result<ChatResult>> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await provider.chat(request)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

OpenAiOptions options_for(const FakeLlmServer& server, const std::string& tool_format = "auto") {
  OpenAiOptions options;
  options.base_url = server.base_url();
  options.model = "fake-model";
  options.api_key = "sk-test";
  options.max_retries = 0;
  options.transport.proxy = "";
  options.transport.deadlines = {2000ms, 5000ms, 5000ms, 20000ms};
  options.tool_format = tool_format;
  return options;
}

std::vector<ToolSpec> file_tools() {
  return {{"read_file", "Reads a file of the project.",
           json::parse(R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})")},
          {"run", "Runs a command in the sandbox.",
           json::parse(R"({"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]})")}};
}

ChatRequest ask_with_tools(bool stream = true) {
  ChatRequest request;
  request.model = "fake-model";
  request.max_tokens = 200;
  request.stream = stream;
  request.messages = {{"system", "You are Alex, an engineer."}, {"user", "fix game.py"}};
  request.tools = file_tools();
  return request;
}

SseEvent event_of(const std::string& data, long index = 1) {
  SseEvent event;
  event.data = data;
  event.index = index;
  return event;
}

ToolCallDelta piece(std::optional<long> index, std::string id, std::string name, std::string arguments) {
  ToolCallDelta d;
  d.index = index;
  d.id = std::move(id);
  d.name = std::move(name);
  d.arguments = std::move(arguments);
  return d;
}

// ---- Wire format ---------------------------------------------------------------------------

TEST(ToolCallWire, ARequestWithoutToolsHashesAsBefore) {
  ChatRequest request;
  request.model = "m";
  request.messages = {{"user", "hi"}};
  const json wire = request_to_json(request);
  EXPECT_EQ(wire.dump(),
            R"({"max_tokens":4096,"messages":[{"content":"hi","role":"user"}],"model":"m","temperature":0.2})");
}

TEST(ToolCallWire, ToolsToolChoiceAndToolMessagesGoOutAsOpenAiTakesThem) {
  ChatRequest request = ask_with_tools();
  request.messages.push_back({"assistant", "", {{"call_1", "read_file", R"({"path":"game.py"})"}}, ""});
  request.messages.push_back({"tool", "print('hi')\n", {}, "call_1"});
  for (const auto& [choice, expected] :
       std::vector<std::pair<std::string, std::string>>{{"", "null"},
                                                        {"auto", R"("auto")"},
                                                        {"required", R"("required")"},
                                                        {"none", R"("none")"},
                                                        {"run", R"({"function":{"name":"run"},"type":"function"})"}}) {
    request.tool_choice = choice;
    const json wire = request_to_json(request);
    EXPECT_EQ(wire.contains("tool_choice") ? wire["tool_choice"].dump() : "null", expected) << choice;
    ASSERT_EQ(wire["tools"].size(), 2u);
    EXPECT_EQ(wire["tools"][0]["type"], "function");
    EXPECT_EQ(wire["tools"][0]["function"]["name"], "read_file");
    EXPECT_EQ(wire["tools"][0]["function"]["parameters"]["required"][0], "path");
    EXPECT_EQ(wire["messages"][2]["tool_calls"][0]["function"]["arguments"], R"({"path":"game.py"})");
    EXPECT_EQ(wire["messages"][2]["tool_calls"][0]["id"], "call_1");
    EXPECT_EQ(wire["messages"][3]["role"], "tool");
    EXPECT_EQ(wire["messages"][3]["tool_call_id"], "call_1");
  }
}

// ---- Reading chunks and replies --------------------------------------------------------------

TEST(ToolCallChunks, AToolCallChunkIsReadByTheThoroughReader) {
  const std::string data =
      R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_a","type":"function",)"
      R"("function":{"name":"run","arguments":"{\"cmd\""}}]},"finish_reason":null}]})";
  EXPECT_FALSE(read_common_chunk(data)) << "the fast path leaves tool calls to the thorough reader";
  auto delta = interpret_chunk(event_of(data));
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  ASSERT_EQ(delta->tool_calls.size(), 1u);
  EXPECT_EQ(delta->tool_calls[0].index, 1);
  EXPECT_EQ(delta->tool_calls[0].id, "call_a");
  EXPECT_EQ(delta->tool_calls[0].name, "run");
  EXPECT_EQ(delta->tool_calls[0].arguments, R"({"cmd")");
}

TEST(ToolCallChunks, AWholeReplyWithCallsAndNoContent) {
  auto whole = interpret_completion(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[)"
      R"({"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"a.py\"}"}},)"
      R"({"id":"call_2","type":"function","function":{"name":"run","arguments":{"cmd":"pytest"}}}]},)"
      R"("finish_reason":"tool_calls"}]})");
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->finish_reason, "tool_calls");
  ToolCallAssembler calls;
  for (const auto& p : whole->tool_calls) calls.add(p);
  ASSERT_EQ(calls.calls().size(), 2u);
  EXPECT_EQ(calls.calls()[0].arguments, R"({"path":"a.py"})");
  // An arguments object (Ollama's shape) is taken as its JSON text.
  EXPECT_EQ(calls.calls()[1].arguments, R"({"cmd":"pytest"})");
  EXPECT_EQ(calls.calls()[1].id, "call_2");
}

TEST(ToolCallChunks, TheLegacyFunctionCallIsOneCall) {
  auto whole = interpret_completion(
      R"({"choices":[{"message":{"role":"assistant","content":null,)"
      R"("function_call":{"name":"run","arguments":"{\"cmd\":\"ls\"}"}},"finish_reason":"function_call"}]})");
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  ASSERT_EQ(whole->tool_calls.size(), 1u);
  EXPECT_EQ(whole->tool_calls[0].name, "run");
  EXPECT_EQ(whole->tool_calls[0].arguments, R"({"cmd":"ls"})");
}

TEST(ToolCallChunks, MalformedToolCallsAreAnErrorNamingThem) {
  for (const auto& [data, words] : std::vector<std::pair<std::string, std::string>>{
           {R"({"choices":[{"delta":{"tool_calls":"run"}}]})", "'tool_calls' is string, expected a list"},
           {R"({"choices":[{"delta":{"tool_calls":[7]}}]})", "'tool_calls[0]' is number, expected an object"},
           {R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":"run"}]}}]})",
            "'tool_calls[0].function' is not an object"},
           {R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"run","arguments":5}}]}}]})",
            "'arguments' is number, expected a string"},
           {R"({"choices":[{"delta":{"tool_calls":[{"index":-3}]}}]})", "'tool_calls[0].index' is -3"}}) {
    auto delta = interpret_chunk(event_of(data, 4));
    ASSERT_FALSE(delta.ok()) << data;
    EXPECT_NE(delta.error().message.find(words), std::string::npos) << delta.error().message;
    EXPECT_NE(delta.error().message.find("event #4"), std::string::npos) << delta.error().message;
  }
}

// ---- Putting pieces together ---------------------------------------------------------------

TEST(ToolCallAssembly, OpenAiPiecesByIndexInterleavedAsTheyCome) {
  ToolCallAssembler a;
  a.add(piece(0, "call_a", "read_file", ""));
  a.add(piece(1, "call_b", "run", ""));
  a.add(piece(0, "", "", R"({"pa)"));
  a.add(piece(1, "", "", R"({"cmd":)"));
  a.add(piece(0, "", "", R"(th":"a.py"})"));
  a.add(piece(1, "", "", R"("ls"})"));
  const auto calls = a.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].id, "call_a");
  EXPECT_EQ(calls[0].name, "read_file");
  EXPECT_EQ(calls[0].arguments, R"({"path":"a.py"})");
  EXPECT_EQ(calls[1].id, "call_b");
  EXPECT_EQ(calls[1].arguments, R"({"cmd":"ls"})");
}

TEST(ToolCallAssembly, ServersThatRepeatTheIdAndNameOrSendNoIndex) {
  ToolCallAssembler repeated;  // the id and name in every piece
  repeated.add(piece(0, "call_a", "run", R"({"cmd")"));
  repeated.add(piece(0, "call_a", "run", R"(:"ls"})"));
  ASSERT_EQ(repeated.calls().size(), 1u);
  EXPECT_EQ(repeated.calls()[0].name, "run");
  EXPECT_EQ(repeated.calls()[0].arguments, R"({"cmd":"ls"})");

  ToolCallAssembler no_index;  // whole calls, one after another, without an index
  no_index.add(piece(std::nullopt, "call_a", "run", R"({"cmd":"ls"})"));
  no_index.add(piece(std::nullopt, "call_b", "read_file", R"({"path")"));
  no_index.add(piece(std::nullopt, "", "", R"(:"a.py"})"));
  ASSERT_EQ(no_index.calls().size(), 2u);
  EXPECT_EQ(no_index.calls()[1].arguments, R"({"path":"a.py"})");

  ToolCallAssembler split_name;  // the name in parts
  split_name.add(piece(0, "call_a", "read_", ""));
  split_name.add(piece(0, "", "file", "{}"));
  EXPECT_EQ(split_name.calls()[0].name, "read_file");
}

// ---- Through the client, against the fake server ---------------------------------------------

TEST(ToolCallClient, AStreamedCallArrivesWholeWithItsFinishReason) {
  FakeLlmServer server(
      "rules:\n  - tool_calls: [{name: read_file, arguments: {path: game.py}}]\n");
  OpenAiProvider provider(options_for(server));
  ChatRequest request = ask_with_tools();
  request.tool_choice = "required";
  auto result = chat(provider, request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->finish_reason, "tool_calls");
  EXPECT_EQ(result->text, "");
  ASSERT_EQ(result->tool_calls.size(), 1u);
  EXPECT_EQ(result->tool_calls[0].name, "read_file");
  EXPECT_EQ(json::parse(result->tool_calls[0].arguments), json::parse(R"({"path":"game.py"})"));
  EXPECT_EQ(result->tool_calls[0].id.rfind("call_", 0), 0u) << result->tool_calls[0].id;
  // What the server was sent: the tools, the choice.
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const json& body = requests[0].body;
  ASSERT_TRUE(body.contains("tools"));
  EXPECT_EQ(body["tools"][1]["function"]["name"], "run");
  EXPECT_EQ(body["tool_choice"], "required");
}

TEST(ToolCallClient, ParallelCallsInterleavedAndWholeRepliesGiveTheSameCalls) {
  const std::string script =
      "rules:\n"
      "  - reply: 'Reading both.'\n"
      "    interleave_tool_calls: true\n"
      "    tool_calls:\n"
      "      - {id: call_x, name: read_file, arguments: {path: a.py}}\n"
      "      - {id: call_y, name: read_file, arguments: {path: 'dir/b c.py'}}\n"
      "      - {id: call_z, name: run, arguments: {cmd: 'python3 -m pytest -q'}}\n";
  for (bool stream : {true, false}) {
    FakeLlmServer server(script);
    OpenAiProvider provider(options_for(server));
    auto result = chat(provider, ask_with_tools(stream));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "Reading both.") << stream;
    ASSERT_EQ(result->tool_calls.size(), 3u) << stream;
    EXPECT_EQ(result->tool_calls[0].id, "call_x");
    EXPECT_EQ(result->tool_calls[1].id, "call_y");
    EXPECT_EQ(json::parse(result->tool_calls[1].arguments)["path"], "dir/b c.py");
    EXPECT_EQ(json::parse(result->tool_calls[2].arguments)["cmd"], "python3 -m pytest -q");
    EXPECT_EQ(result->finish_reason, "tool_calls");
  }
}

TEST(ToolCallClient, MalformedArgumentsAndUnknownToolsAreHandedOnAsTheModelWroteThem) {
  // The client does not judge a call: whoever runs tools validates it and tells the model.
  FakeLlmServer server(
      "rules:\n  - tool_calls:\n"
      "      - {name: read_file, arguments: '{\"path\": \"a.py\",'}\n"
      "      - {name: launch_rockets, arguments: {}}\n");
  OpenAiProvider provider(options_for(server));
  auto result = chat(provider, ask_with_tools());
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->tool_calls.size(), 2u);
  EXPECT_EQ(result->tool_calls[0].arguments, R"({"path": "a.py",)");
  EXPECT_EQ(result->tool_calls[1].name, "launch_rockets");
}

TEST(ToolCallClient, TheConversationGoesBackWithTheCallsAndTheirResults) {
  FakeLlmServer server(
      "rules:\n"
      "  - match: {tool_result: 'assert 1 == 2'}\n"
      "    reply: 'The test is wrong.'\n"
      "  - tool_calls: [{id: call_1, name: run, arguments: {cmd: pytest}}]\n");
  OpenAiProvider provider(options_for(server));
  ChatRequest request = ask_with_tools();
  auto first = chat(provider, request);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->tool_calls.size(), 1u);
  request.messages.push_back({"assistant", first->text, first->tool_calls, ""});
  request.messages.push_back({"tool", "FAILED test_game.py: assert 1 == 2", {}, first->tool_calls[0].id});
  auto second = chat(provider, request);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->text, "The test is wrong.");
  EXPECT_TRUE(second->tool_calls.empty());
  EXPECT_EQ(second->finish_reason, "stop");
  const json body = server.requests().back().body;
  EXPECT_EQ(body["messages"][2]["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(body["messages"][3]["tool_call_id"], "call_1");
}

// ---- Calls written into the text -------------------------------------------------------------

TEST(TextToolCalls, HermesBlocksAreCallsAndTheRestIsText) {
  const auto found = parse_text_tool_calls(
      "Let me look.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\"}}\n</tool_call>\n"
      "<tool_call>{\"name\": \"run\", \"arguments\": \"{\\\"cmd\\\": \\\"ls\\\"}\"}</tool_call>",
      file_tools());
  ASSERT_EQ(found.calls.size(), 2u);
  EXPECT_EQ(found.calls[0].id, "text_call_1");
  EXPECT_EQ(found.calls[0].name, "read_file");
  EXPECT_EQ(found.calls[0].arguments, R"({"path":"a.py"})");
  EXPECT_EQ(found.calls[1].arguments, R"({"cmd": "ls"})") << "arguments written as a JSON string stay that text";
  EXPECT_EQ(found.text, "Let me look.");
}

TEST(TextToolCalls, AnUnclosedOrBrokenBlockIsStillACallForTheModelToHearAbout) {
  auto unclosed = parse_text_tool_calls("<tool_call>\n{\"name\": \"run\", \"arguments\": {\"cmd\": \"ls\"}}", file_tools());
  ASSERT_EQ(unclosed.calls.size(), 1u);
  EXPECT_EQ(unclosed.calls[0].arguments, R"({"cmd":"ls"})");
  auto broken = parse_text_tool_calls("<tool_call>{\"name\": \"run\", \"arguments\": {\"cmd\": </tool_call>", file_tools());
  ASSERT_EQ(broken.calls.size(), 1u);
  EXPECT_EQ(broken.calls[0].name, "run");
  EXPECT_EQ(broken.calls[0].arguments, R"({"name": "run", "arguments": {"cmd":)");
}

TEST(TextToolCalls, AWholeReplyObjectIsACallOnlyWhenItNamesATool) {
  auto bare = parse_text_tool_calls(R"({"name": "run", "parameters": {"cmd": "ls"}})", file_tools());
  ASSERT_EQ(bare.calls.size(), 1u);
  EXPECT_EQ(bare.calls[0].arguments, R"({"cmd":"ls"})");
  auto fenced = parse_text_tool_calls("```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"x\"}}\n```", file_tools());
  ASSERT_EQ(fenced.calls.size(), 1u);
  // A JSON answer that happens to have a name is an answer.
  const std::string document = R"({"name": "Snake", "arguments": ["fun"]})";
  auto answer = parse_text_tool_calls(document, file_tools());
  EXPECT_TRUE(answer.calls.empty());
  EXPECT_EQ(answer.text, document);
  auto prose = parse_text_tool_calls("No tool is needed: the tests pass.", file_tools());
  EXPECT_TRUE(prose.calls.empty());
}

TEST(TextToolCalls, TheRequestForAServerWithoutFunctionCalling) {
  ChatRequest request = ask_with_tools();
  request.tool_choice = "auto";
  request.messages.push_back({"assistant", "", {{"call_1", "run", R"({"cmd":"ls"})"}}, ""});
  request.messages.push_back({"tool", "game.py\n", {}, "call_1"});
  const ChatRequest text = as_text_tool_request(request);
  EXPECT_TRUE(text.tools.empty());
  EXPECT_TRUE(text.tool_choice.empty());
  ASSERT_EQ(text.messages.size(), 4u);
  EXPECT_NE(text.messages[0].content.find("You are Alex"), std::string::npos);
  EXPECT_NE(text.messages[0].content.find("<tools>"), std::string::npos);
  EXPECT_NE(text.messages[0].content.find("\"name\":\"read_file\""), std::string::npos);
  EXPECT_EQ(text.messages[2].content, "<tool_call>\n{\"arguments\":{\"cmd\":\"ls\"},\"name\":\"run\"}\n</tool_call>");
  EXPECT_TRUE(text.messages[2].tool_calls.empty());
  EXPECT_EQ(text.messages[3].role, "user");
  EXPECT_EQ(text.messages[3].content, "<tool_response>\ngame.py\n\n</tool_response>");
}

TEST(TextToolCalls, TextModeSendsNoToolsAndReadsTheCallsFromTheReply) {
  FakeLlmServer server(
      "rules:\n  - reply: \"<tool_call>\\n{\\\"name\\\": \\\"run\\\", \\\"arguments\\\": {\\\"cmd\\\": \\\"ls\\\"}}\\n"
      "</tool_call>\"\n");
  OpenAiProvider provider(options_for(server, "text"));
  auto result = chat(provider, ask_with_tools());
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->tool_calls.size(), 1u);
  EXPECT_EQ(result->tool_calls[0].name, "run");
  EXPECT_EQ(result->text, "");
  EXPECT_EQ(result->finish_reason, "tool_calls");
  const json body = server.requests()[0].body;
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_NE(body["messages"][0]["content"].get<std::string>().find("<tool_call>"), std::string::npos);
}

TEST(TextToolCalls, AutoModeFindsCallsInTheTextButNativeModeDoesNot) {
  const std::string script =
      "rules:\n  - reply: \"<tool_call>{\\\"name\\\": \\\"run\\\", \\\"arguments\\\": {}}</tool_call>\"\n";
  {
    FakeLlmServer server(script);
    OpenAiProvider provider(options_for(server, "auto"));
    auto result = chat(provider, ask_with_tools());
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->tool_calls.size(), 1u);
    EXPECT_TRUE(server.requests()[0].body.contains("tools"));
  }
  {
    FakeLlmServer server(script);
    OpenAiProvider provider(options_for(server, "native"));
    auto result = chat(provider, ask_with_tools());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_TRUE(result->tool_calls.empty());
    EXPECT_NE(result->text.find("<tool_call>"), std::string::npos);
  }
}

}  // namespace
}  // namespace agentco

namespace agentco {
namespace {

// ---- In the trace and back ---------------------------------------------------------------------

std::filesystem::path write_trace(const std::string& name, const json& tool_calls) {
  const auto dir = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto trace = TraceWriter::open(dir / "run.jsonl");
  EXPECT_TRUE(trace.ok());
  (*trace)->append("run_start", {{"idea", "x"}, {"sop", {{"name", "solo"}}}});
  (*trace)->append("llm_request", {{"call_id", 1}, {"role", "Engineer"}, {"action", "Loop"}, {"request_hash", "h"}});
  (*trace)->append("llm_response", {{"call_id", 1}, {"role", "Engineer"}, {"action", "Loop"}, {"text", ""},
                                    {"finish_reason", "tool_calls"}, {"tool_calls", tool_calls}});
  return dir;
}

TEST(ToolCallTrace, RecordedCallsComeBackForTheReplay) {
  const auto dir = write_trace("agentco_tool_trace_",
                               json::array({{{"id", "call_1"}, {"name", "run"}, {"arguments", R"({"cmd":"ls"})"}},
                                            {{"id", "call_2"}, {"name", "read_file"}, {"arguments", "{"}}}));
  auto run = read_recorded_run(dir);
  ASSERT_TRUE(run.ok()) << run.error().message;
  ASSERT_EQ(run->calls.size(), 1u);
  const auto& calls = run->calls[0].result.tool_calls;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].id, "call_1");
  EXPECT_EQ(calls[0].arguments, R"({"cmd":"ls"})");
  EXPECT_EQ(calls[1].arguments, "{") << "kept as the model wrote it";
  std::filesystem::remove_all(dir);
}

TEST(ToolCallTrace, AWronglyTypedCallIsRefusedWithItsLine) {
  for (const auto& [calls, words] : std::vector<std::pair<json, std::string>>{
           {json("run"), "'tool_calls' must be a list of tool calls"},
           {json::array({7}), "'tool_calls[0]' must be an object"},
           {json::array({{{"id", "c"}, {"name", 5}}}), "'tool_calls[0].name' must be text"}}) {
    const auto dir = write_trace("agentco_tool_trace_bad_", calls);
    auto run = read_recorded_run(dir);
    ASSERT_FALSE(run.ok()) << calls.dump();
    EXPECT_NE(run.error().message.find("run.jsonl:3: the llm_response record: " + words), std::string::npos)
        << run.error().message;
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace agentco
