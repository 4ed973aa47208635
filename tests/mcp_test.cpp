// The MCP client (tools/mcp_client.hpp) against real third-party servers from npm
// (@modelcontextprotocol/server-filesystem and server-everything, which scripts/setup.sh
// installs into web/node_modules; skipped where they are absent), over stdio and Streamable
// HTTP, and against a small Python server that misbehaves in each way a server can: exits at
// start, hangs, writes garbage, dies mid-call, lists a broken schema, speaks an old revision.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <thread>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/fake_mcp_server.hpp"
#include "tests/support/loopback_port.hpp"
#include "tools/mcp_client.hpp"
#include "tools/tool_hub.hpp"
#include "tools/tool_names.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::RunTempDir;

const fs::path kNodeModules = fs::path(AGENTCO_SOURCE_DIR) / "web" / "node_modules" / "@modelcontextprotocol";

// Runs `body` to its end on a fresh io_context.
template <typename Body>
auto run_on_io(Body body) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, body(), boost::asio::use_future);
  io.run();
  return future.get();
}

McpServerConfig stdio_server(std::string command, std::vector<std::string> args, double startup_s = 20) {
  McpServerConfig config;
  config.command = std::move(command);
  config.args = std::move(args);
  config.startup_timeout_s = startup_s;
  config.call_timeout_s = 20;
  return config;
}

const McpToolInfo* find_tool(const McpClient& client, const std::string& name) {
  for (const auto& tool : client.tools())
    if (tool.name == name) return &tool;
  return nullptr;
}

// Connects, calls each (tool, arguments) in turn, closes; the outcomes (or errors) in order.
struct Session {
  Result<std::shared_ptr<McpClient>> connected = make_error("test", "not run");
  std::vector<Result<McpCallOutcome>> calls;
};

Session session(const std::string& name, const McpServerConfig& config, const std::string& cwd,
                const std::vector<std::pair<std::string, json>>& calls) {
  return run_on_io([&]() -> boost::asio::awaitable<Session> {
    Session out;
    out.connected = co_await McpClient::connect(name, config, cwd);
    if (!out.connected) co_return out;
    McpClient& client = **out.connected;
    for (const auto& [tool, arguments] : calls) {
      const McpToolInfo* info = find_tool(client, tool);
      if (!info) {
        out.calls.push_back(make_error("test", "no tool " + tool));
        continue;
      }
      Result<McpCallOutcome> outcome = co_await client.call(*info, arguments);
      out.calls.push_back(std::move(outcome));
    }
    co_await client.close();
    co_return out;
  });
}

std::string describe(const Result<McpCallOutcome>& outcome) {
  return outcome ? "is_error=" + std::to_string(outcome->is_error) + " " + outcome->text : "error: " + outcome.error().message;
}

// ---- real servers ----------------------------------------------------------------------------

TEST(McpRealServers, FilesystemServerOverStdioReadsWritesAndRefusesOutsideItsFolder) {
  const fs::path server = kNodeModules / "server-filesystem" / "dist" / "index.js";
  if (!fs::exists(server)) GTEST_SKIP() << server << " is not installed (scripts/setup.sh installs it)";
  RunTempDir dir("mcp_fs");
  const fs::path allowed = dir.path() / "allowed";
  fs::create_directories(allowed);
  Session s = session("files", stdio_server("node", {server.string(), allowed.string()}), allowed.string(),
                      {{"write_file", {{"path", (allowed / "note.txt").string()}, {"content", "hello from agentco\n"}}},
                       {"read_text_file", {{"path", (allowed / "note.txt").string()}}},
                       {"read_text_file", {{"path", "/etc/hostname"}}}});
  ASSERT_TRUE(s.connected) << s.connected.error().message;
  const McpClient& client = **s.connected;
  EXPECT_TRUE(mcp_revision_supported(client.server().revision)) << client.server().revision;
  EXPECT_FALSE(client.server().name.empty());
  EXPECT_NE(find_tool(client, "list_directory"), nullptr);
  EXPECT_TRUE(client.skipped().empty()) << client.skipped().front();
  ASSERT_EQ(s.calls.size(), 3u);
  ASSERT_TRUE(s.calls[0] && !s.calls[0]->is_error) << describe(s.calls[0]);
  EXPECT_EQ(testing::slurp(allowed / "note.txt"), "hello from agentco\n");
  ASSERT_TRUE(s.calls[1] && !s.calls[1]->is_error) << describe(s.calls[1]);
  EXPECT_NE(s.calls[1]->text.find("hello from agentco"), std::string::npos) << s.calls[1]->text;
  // Outside the folder it was given: the server's own refusal, as a tool error the model reads.
  ASSERT_TRUE(s.calls[2]) << describe(s.calls[2]);
  EXPECT_TRUE(s.calls[2]->is_error) << describe(s.calls[2]);
}

TEST(McpRealServers, EverythingServerOverStdioEchoesAndReturnsStructuredContentThatFitsItsSchema) {
  const fs::path server = kNodeModules / "server-everything" / "dist" / "index.js";
  if (!fs::exists(server)) GTEST_SKIP() << server << " is not installed (scripts/setup.sh installs it)";
  RunTempDir dir("mcp_everything");
  Session s = session("everything", stdio_server("node", {server.string(), "stdio"}), dir.path().string(),
                      {{"echo", {{"message", "hi there"}}},
                       {"get-structured-content", {{"location", "Chicago"}}},
                       {"get-structured-content", {{"location", "Atlantis"}}}});
  ASSERT_TRUE(s.connected) << s.connected.error().message;
  const McpToolInfo* structured = find_tool(**s.connected, "get-structured-content");
  ASSERT_NE(structured, nullptr);
  EXPECT_TRUE(structured->output_schema.is_object());
  ASSERT_EQ(s.calls.size(), 3u);
  ASSERT_TRUE(s.calls[0] && !s.calls[0]->is_error) << describe(s.calls[0]);
  EXPECT_NE(s.calls[0]->text.find("hi there"), std::string::npos) << s.calls[0]->text;
  ASSERT_TRUE(s.calls[1] && !s.calls[1]->is_error) << describe(s.calls[1]);
  EXPECT_TRUE(s.calls[1]->structured.is_object()) << s.calls[1]->structured.dump();
  EXPECT_TRUE(s.calls[1]->structured.contains("temperature")) << s.calls[1]->structured.dump();
  // An argument its schema refuses: the server says so, as an error result or a JSON-RPC error.
  EXPECT_TRUE(!s.calls[2] || s.calls[2]->is_error) << describe(s.calls[2]);
}


TEST(McpRealServers, EverythingServerOverStreamableHttpKeepsItsSession) {
  const fs::path server = kNodeModules / "server-everything" / "dist" / "index.js";
  if (!fs::exists(server)) GTEST_SKIP() << server << " is not installed (scripts/setup.sh installs it)";
  RunTempDir dir("mcp_http");
  const int port = testing::free_loopback_port();
  testing::ProcessOptions options;
  options.argv = {"/usr/bin/env", "node", server.string(), "streamableHttp"};
  options.env = testing::clean_environment(dir.path());
  options.env.push_back("PORT=" + std::to_string(port));
  testing::BackgroundProcess process(options);
  ASSERT_TRUE(process.started());
  McpServerConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(port) + "/mcp";
  config.startup_timeout_s = 10;
  config.call_timeout_s = 20;
  // The server listens a moment after it starts.
  Session s;
  for (int attempt = 0; attempt < 100; ++attempt) {
    s = session("everything", config, dir.path().string(), {{"echo", {{"message", "over http"}}}, {"echo", {{"message", "again"}}}});
    if (s.connected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(s.connected) << s.connected.error().message << "\n" << process.err();
  EXPECT_EQ((*s.connected)->describe(), "http: " + config.url);
  ASSERT_EQ(s.calls.size(), 2u);
  // The second call works only if the session of the first is sent back.
  for (const auto& call : s.calls) ASSERT_TRUE(call && !call->is_error) << describe(call);
  EXPECT_NE(s.calls[1]->text.find("again"), std::string::npos);
  process.signal(SIGTERM);
  process.wait(std::chrono::seconds(10));
}

// ---- a server that misbehaves ----------------------------------------------------------------

class McpFaults : public ::testing::Test {
 protected:
  McpFaults() : dir_("mcp_faults"), script_(testing::write_fake_mcp_server(dir_.path())) {}
  McpServerConfig server(const std::string& mode, double startup_s = 10) const {
    McpServerConfig config = stdio_server("python3", {script_.string(), mode}, startup_s);
    config.call_timeout_s = 2;
    return config;
  }
  Session run(const std::string& mode, double startup_s = 10) const {
    return session("notes", server(mode, startup_s), dir_.path().string(), {{"add_note", {{"text", "one"}}}, {"add_note", {{"text", "two"}}}});
  }
  RunTempDir dir_;
  fs::path script_;
};

TEST_F(McpFaults, AWellBehavedServerAnswersEveryCall) {
  Session s = run("ok");
  ASSERT_TRUE(s.connected) << s.connected.error().message;
  EXPECT_EQ((*s.connected)->server().revision, "2025-06-18");
  ASSERT_EQ(s.calls.size(), 2u);
  ASSERT_TRUE(s.calls[1]) << describe(s.calls[1]);
  EXPECT_EQ(s.calls[1]->text, "noted: two (2 notes)");
}

TEST_F(McpFaults, AServerThatExitsAtStartIsNamedWithItsExitCodeAndStderr) {
  Session s = run("exit");
  ASSERT_FALSE(s.connected);
  const std::string& message = s.connected.error().message;
  EXPECT_NE(message.find("MCP server 'notes'"), std::string::npos) << message;
  EXPECT_NE(message.find("exit code 3"), std::string::npos) << message;
  EXPECT_NE(message.find("boom: cannot start"), std::string::npos) << message;
}

TEST_F(McpFaults, AServerThatNeverAnswersTimesOutAtItsStartupDeadline) {
  const auto started = std::chrono::steady_clock::now();
  Session s = run("hang", 1.0);
  ASSERT_FALSE(s.connected);
  EXPECT_EQ(s.connected.error().code, "timeout") << s.connected.error().message;
  EXPECT_NE(s.connected.error().message.find("initialize got no answer within 1.0 s"), std::string::npos)
      << s.connected.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

TEST_F(McpFaults, GarbageOnItsOutputIsAnErrorThatShowsTheGarbage) {
  Session s = run("garbage");
  ASSERT_FALSE(s.connected);
  EXPECT_NE(s.connected.error().message.find("not a JSON-RPC message: hello world"), std::string::npos)
      << s.connected.error().message;
}

TEST_F(McpFaults, AServerThatDiesMidCallGivesAnErrorForThatCallAndTheNext) {
  Session s = run("die_on_call");
  ASSERT_TRUE(s.connected) << s.connected.error().message;
  ASSERT_EQ(s.calls.size(), 2u);
  for (const auto& call : s.calls) {
    ASSERT_FALSE(call);
    EXPECT_NE(call.error().message.find("MCP server 'notes'"), std::string::npos) << call.error().message;
    EXPECT_NE(call.error().message.find("dying on a call"), std::string::npos) << call.error().message;
  }
}

TEST_F(McpFaults, AToolWithAnUnusableSchemaIsLeftOutAndSaid) {
  Session s = run("bad_schema");
  ASSERT_TRUE(s.connected) << s.connected.error().message;
  EXPECT_EQ((*s.connected)->tools().size(), 1u);
  ASSERT_EQ((*s.connected)->skipped().size(), 1u);
  EXPECT_NE((*s.connected)->skipped()[0].find("broken: inputSchema"), std::string::npos) << (*s.connected)->skipped()[0];
}

TEST_F(McpFaults, AnOldProtocolRevisionIsRefusedByName) {
  Session s = run("old");
  ASSERT_FALSE(s.connected);
  EXPECT_NE(s.connected.error().message.find("speaks MCP 2024-11-05"), std::string::npos) << s.connected.error().message;
}

TEST_F(McpFaults, AProgramThatIsNotThereIsNamed) {
  Session s = session("ghost", stdio_server("no-such-mcp-server-program", {}), dir_.path().string(), {});
  ASSERT_FALSE(s.connected);
  EXPECT_NE(s.connected.error().message.find("'no-such-mcp-server-program' not found"), std::string::npos)
      << s.connected.error().message;
}

// ---- the hub: names, recording, recall --------------------------------------------------------

class RecordedNotes : public ToolRecall {
 public:
  std::optional<json> server(const std::string& name) override {
    if (name != "notes") return std::nullopt;
    return json{{"server", "notes"}, {"transport", "stdio: recorded"}, {"revision", "2025-06-18"},
                {"tools", json::array({{{"name", "add_note"}, {"description", "Adds a note"},
                                        {"input_schema", {{"type", "object"}}}}})}};
  }
  std::optional<ToolResult> result(const std::string& role, const std::string& tool, const json& arguments) override {
    asked.push_back(role + " " + tool + " " + arguments.dump());
    return ToolResult{"noted from the recording", false, nullptr, {}};
  }
  std::vector<std::string> asked;
};

TEST_F(McpFaults, TheHubAnswersFromARecordingWithoutStartingTheServer) {
  Config config;
  config.mcp_servers["notes"] = server("exit");  // would fail if it were started
  RecordedNotes recall;
  ToolHub hub(config, [this] { return dir_.path().string(); }, nullptr, &recall);
  auto workspace = Workspace::open(dir_.path() / "project");
  ASSERT_TRUE(workspace) << workspace.error().message;
  ToolContext context{**workspace, "Sam", {}};
  ToolResult result = run_on_io([&]() -> boost::asio::awaitable<ToolResult> {
    const std::vector<std::string> entries = {"mcp:notes/*"};
    Result<ToolBox> box = co_await hub.box_for("Sam", entries);
    if (!box) co_return ToolResult{box.error().message, true, nullptr, {}};
    ToolCall call{"c1", "notes__add_note", R"({"text":"x"})"};
    ToolResult out = co_await box->call(context, call, nullptr);
    co_await hub.close();
    co_return out;
  });
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "noted from the recording");
  ASSERT_EQ(recall.asked.size(), 1u);
  EXPECT_EQ(recall.asked[0], R"(Sam notes__add_note {"text":"x"})");
}

TEST_F(McpFaults, TheHubNamesAToolTheServerDoesNotOffer) {
  Config config;
  config.mcp_servers["notes"] = server("ok");
  ToolHub hub(config, [this] { return dir_.path().string(); }, nullptr);
  const std::string error = run_on_io([&]() -> boost::asio::awaitable<std::string> {
    const std::vector<std::string> entries = {"read_file", "mcp:notes/delete_everything"};
    Result<ToolBox> out = co_await hub.box_for("Sam", entries);
    co_await hub.close();
    co_return out ? std::string("no error") : out.error().message;
  });
  EXPECT_EQ(error, "Sam: tool 'mcp:notes/delete_everything': MCP server 'notes' offers add_note");
}

TEST(McpToolNames, FunctionNamesFitWhatModelsAccept) {
  EXPECT_EQ(mcp_tool_function_name("files", "read_text_file"), "files__read_text_file");
  EXPECT_EQ(mcp_tool_function_name("every.thing", "get-sum"), "every_thing__get-sum");
  EXPECT_EQ(mcp_tool_function_name("s", std::string(100, 'x')).size(), 64u);
}

}  // namespace
}  // namespace agentco
