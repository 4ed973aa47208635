// The built-in tools (tools/builtin_tools.hpp) on a real project folder, and the ToolBox
// (tools/tool_box.hpp) between them and a model's calls: unknown tools, arguments that are
// no JSON or that the schema refuses, long results cut, every call and result traced.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/builtin_tools.hpp"
#include "tools/tool_box.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;

class Tools : public ::testing::Test {
 protected:
  Tools() {
    root_ = fs::temp_directory_path() / ("agentco_tools_" + std::to_string(std::random_device{}()));
    auto ws = Workspace::open(root_);
    EXPECT_TRUE(ws.ok());
    workspace_ = std::move(*ws);
    context_ = std::make_unique<ToolContext>(ToolContext{*workspace_, "Engineer",
                                                         [this](std::string_view path, std::string_view content) {
                                                           return workspace_->write(path, content);
                                                         }});
  }
  ~Tools() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void put(const std::string& path, const std::string& text) { ASSERT_TRUE(workspace_->write(path, text).ok()); }

  ToolResult use(const std::string& name, const json& arguments) {
    auto tool = make_builtin_tool(name);
    EXPECT_TRUE(tool) << name;
    return run([&]() { return tool->call(*context_, arguments); });
  }

  ToolResult through_box(ToolBox& box, const ToolCall& call, TraceWriter* trace = nullptr) {
    return run([&]() { return box.call(*context_, call, trace); });
  }

  static ToolResult run(std::function<asio::awaitable<ToolResult>()> body) {
    asio::io_context io;
    ToolResult out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out = co_await body(); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    return out;
  }

  fs::path root_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<ToolContext> context_;
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(Tools, ReadFileWholeOrByLines) {
  put("src/game.py", "a = 1\nb = 2\nc = 3\n");
  EXPECT_EQ(use("read_file", {{"path", "src/game.py"}}).text, "a = 1\nb = 2\nc = 3\n");
  EXPECT_EQ(use("read_file", {{"path", "src/game.py"}, {"offset", 2}, {"limit", 1}}).text, "b = 2\n");
  ToolResult past = use("read_file", {{"path", "src/game.py"}, {"offset", 9}});
  EXPECT_TRUE(past.is_error);
  EXPECT_TRUE(has(past.text, "has 3 lines")) << past.text;
  ToolResult missing = use("read_file", {{"path", "nope.py"}});
  EXPECT_TRUE(missing.is_error);
  EXPECT_TRUE(has(missing.text, "nope.py")) << missing.text;
}

TEST_F(Tools, NothingOutsideTheProjectIsReadOrWritten) {
  for (const std::string path : {"../outside.txt", "/etc/passwd", ".git/config", "run.jsonl"}) {
    ToolResult read = use("read_file", {{"path", path}});
    EXPECT_TRUE(read.is_error) << path;
    ToolResult write = use("write_file", {{"path", path}, {"content", "x"}});
    EXPECT_TRUE(write.is_error) << path;
    EXPECT_TRUE(write.written.empty()) << path;
  }
  EXPECT_FALSE(fs::exists(root_.parent_path() / "outside.txt"));
  EXPECT_TRUE(use("list_files", {{"path", "../"}}).is_error);
  EXPECT_TRUE(use("search", {{"pattern", "root"}, {"path", "/etc"}}).is_error);
}

TEST_F(Tools, WriteThenEditOneExactSpan) {
  ToolResult wrote = use("write_file", {{"path", "pkg/m.py"}, {"content", "def f():\n    return 1\n\ndef g():\n    return 1\n"}});
  ASSERT_FALSE(wrote.is_error) << wrote.text;
  EXPECT_EQ(wrote.written, std::vector<std::string>{"pkg/m.py"});
  ToolResult twice = use("edit_file", {{"path", "pkg/m.py"}, {"old_text", "return 1"}, {"new_text", "return 2"}});
  EXPECT_TRUE(twice.is_error);
  EXPECT_TRUE(has(twice.text, "occurs 2 times")) << twice.text;
  ToolResult absent = use("edit_file", {{"path", "pkg/m.py"}, {"old_text", "return 3"}, {"new_text", "x"}});
  EXPECT_TRUE(absent.is_error);
  EXPECT_TRUE(has(absent.text, "does not occur")) << absent.text;
  ToolResult once =
      use("edit_file", {{"path", "pkg/m.py"}, {"old_text", "def g():\n    return 1"}, {"new_text", "def g():\n    return 2"}});
  ASSERT_FALSE(once.is_error) << once.text;
  EXPECT_TRUE(has(once.text, "line 4")) << once.text;
  EXPECT_EQ(*workspace_->read("pkg/m.py"), "def f():\n    return 1\n\ndef g():\n    return 2\n");
}

TEST_F(Tools, ListAndSearchLeaveGitAndCachesOut) {
  put("a.py", "import os\nprint('hello')\n");
  put("lib/b.py", "def hello():\n    pass\n");
  put("__pycache__/a.cpython-311.pyc", "hello");
  put("long.txt", std::string(10000, 'x') + "hello\n");
  const std::string listed = use("list_files", json::object()).text;
  EXPECT_TRUE(has(listed, "a.py\n")) << listed;
  EXPECT_TRUE(has(listed, "lib/\n")) << listed;
  EXPECT_TRUE(has(listed, "lib/b.py\n")) << listed;
  EXPECT_FALSE(has(listed, ".git")) << listed;
  EXPECT_FALSE(has(listed, "__pycache__")) << listed;
  EXPECT_EQ(use("list_files", {{"path", "lib"}}).text, "lib/b.py\n");

  const std::string found = use("search", {{"pattern", "hel+o"}}).text;
  EXPECT_TRUE(has(found, "a.py:2: print('hello')")) << found;
  EXPECT_TRUE(has(found, "lib/b.py:1: def hello():")) << found;
  EXPECT_FALSE(has(found, "__pycache__")) << found;
  EXPECT_FALSE(has(found, "long.txt")) << "a line over the regex limit is not searched";
  ToolResult bad = use("search", {{"pattern", "(unclosed"}});
  EXPECT_TRUE(bad.is_error);
  EXPECT_TRUE(has(bad.text, "the pattern does not compile")) << bad.text;
  put("aaa.txt", std::string(3000, 'a') + "\n");
  ToolResult explosive = use("search", {{"pattern", "(a+)+b"}});  // exponential when backtracking
  EXPECT_EQ(explosive.text, "no match\n");
  ToolResult back_reference = use("search", {{"pattern", "(a)\\1"}});
  EXPECT_TRUE(has(back_reference.text, "back-reference")) << back_reference.text;
  EXPECT_EQ(use("search", {{"pattern", "zebra"}}).text, "no match\n");
}

TEST_F(Tools, RunGivesExitCodeAndOutputsAndStopsAtTheDeadline) {
  put("hello.sh", "echo out; echo err >&2; exit 3\n");
  ToolResult ran = use("run", {{"command", "sh hello.sh"}});
  EXPECT_FALSE(ran.is_error) << "a failing command is news for the model, not a failed call";
  EXPECT_EQ(ran.text, "exit code 3\n--- stdout\nout\n--- stderr\nerr\n");
  context_->run_deadline = std::chrono::milliseconds(300);
  ToolResult slow = use("run", {{"command", "sleep 5"}});
  EXPECT_TRUE(slow.is_error);
  EXPECT_TRUE(has(slow.text, "still running after 0.3 s")) << slow.text;
}

TEST_F(Tools, TheBoxRefusesUnknownToolsAndBadArgumentsWithTheReason) {
  auto box = ToolBox::with({"read_file", "write_file"});
  ASSERT_TRUE(box.ok()) << box.error().message;
  EXPECT_EQ(box->specs().size(), 2u);
  EXPECT_EQ(box->specs()[0].name, "read_file");

  ToolResult unknown = through_box(*box, {"c1", "launch_rockets", "{}"});
  EXPECT_TRUE(unknown.is_error);
  EXPECT_EQ(unknown.text, "there is no tool 'launch_rockets'; the tools are: read_file, write_file");
  ToolResult not_json = through_box(*box, {"c2", "read_file", R"({"path": "a.py",)"});
  EXPECT_TRUE(not_json.is_error);
  EXPECT_TRUE(has(not_json.text, "not valid JSON")) << not_json.text;
  ToolResult not_object = through_box(*box, {"c3", "read_file", R"(["a.py"])"});
  EXPECT_TRUE(has(not_object.text, "must be a JSON object, not array")) << not_object.text;
  ToolResult wrong_type = through_box(*box, {"c4", "read_file", R"({"path": 7})"});
  EXPECT_TRUE(wrong_type.is_error);
  EXPECT_TRUE(has(wrong_type.text, "/path: expected string")) << wrong_type.text;
  ToolResult missing = through_box(*box, {"c5", "write_file", R"({"path": "a.py"})"});
  EXPECT_TRUE(has(missing.text, "content")) << missing.text;
  ToolResult extra = through_box(*box, {"c6", "read_file", R"({"path": "a.py", "mode": "r"})"});
  EXPECT_TRUE(has(extra.text, "mode")) << extra.text;
  EXPECT_FALSE(fs::exists(root_ / "a.py"));

  auto bad = ToolBox::with({"read_file", "teleport"});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(has(bad.error().message, "unknown tool 'teleport'")) << bad.error().message;
  EXPECT_TRUE(has(bad.error().message, "edit_file")) << bad.error().message;
}

TEST_F(Tools, ALongResultIsCutAndTheCutSaid) {
  put("big.txt", std::string(5000, 'a') + "\xC3\xA9" + std::string(5000, 'b'));
  auto box = ToolBox::with({"read_file"});
  ASSERT_TRUE(box.ok());
  box->result_cap = 5001;  // inside the two bytes of é: the cut goes before it
  ToolResult result = through_box(*box, {"c1", "read_file", R"({"path": "big.txt"})"});
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text.substr(0, 5001), std::string(5000, 'a') + "\n");
  EXPECT_TRUE(has(result.text, "[cut: 5002 more bytes of 10002;")) << result.text.substr(5000);
}

TEST_F(Tools, EveryCallAndResultIsTraced) {
  const fs::path trace_file = root_.parent_path() / (root_.filename().string() + ".jsonl");
  {
    auto trace = TraceWriter::open(trace_file);
    ASSERT_TRUE(trace.ok());
    auto box = ToolBox::with({"write_file", "read_file"});
    ASSERT_TRUE(box.ok());
    through_box(*box, {"call_1", "write_file", R"({"path": "n.txt", "content": "hi"})"}, trace->get());
    through_box(*box, {"call_2", "read_file", R"({"path": 1})"}, trace->get());
  }
  std::ifstream in(trace_file);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  fs::remove(trace_file);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0]["type"], "tool_call");
  EXPECT_EQ(records[0]["call_id"], "call_1");
  EXPECT_EQ(records[0]["role"], "Engineer");
  EXPECT_EQ(records[0]["arguments"], R"({"path": "n.txt", "content": "hi"})");
  EXPECT_EQ(records[1]["type"], "tool_result");
  EXPECT_EQ(records[1]["is_error"], false);
  EXPECT_EQ(records[1]["written"], json::array({"n.txt"}));
  EXPECT_EQ(records[3]["tool"], "read_file");
  EXPECT_EQ(records[3]["is_error"], true);
  EXPECT_TRUE(has(records[3]["text"].get<std::string>(), "/path: expected string")) << records[3].dump();
}

}  // namespace
}  // namespace agentco
