// Roles that work with tools, through the real binary: the solo engineer SOP on the offline
// mock (it writes, runs, fails, reads, fixes and runs again) and its replay; the loop's bound
// (max_steps); native and text tool calls from the fake OpenAI server; the solo engineer on
// the reading model, from a failing test to a passing one; ask_human, answered at
// the terminal and then from the trace; an MCP server's tool
// used in a run, replayed without starting the server, listed by `agentco mcp list`; and the
// SOP and config errors a user can make with tools, each naming file:line.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "config/config.hpp"
#include "sop/prompt_library.hpp"
#include "sop/role_tools.hpp"
#include "sop/sop.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/fake_mcp_server.hpp"
#include "tests/support/git_inspect.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::RunSandbox;
using testing::slurp;
using testing::spill;

std::vector<json> results_of(const AgentcoRun& run, const std::string& tool) {
  std::vector<json> out;
  for (const auto& r : run.of_type("tool_result"))
    if (r.value("tool", "") == tool) out.push_back(r);
  return out;
}

std::vector<std::string> commit_lines(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& commit : testing::git_log(folder)) out.push_back(commit.author + ": " + commit.message);
  return out;
}

// The chat requests the fake server answered (its log also holds GETs).
json chat_requests(const testing::FakeServerProcess& server) {
  json out = json::array();
  for (const auto& entry : server.requests())
    if (entry.value("method", "") == "POST") out.push_back(entry);
  return out;
}

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

class ToolLoop : public ::testing::Test {
 protected:
  ToolLoop() : sandbox_("tool_loop") {}

  AgentcoRun mock_run(const std::vector<std::string>& extra, const std::string& idea = "write a cli calculator",
                      const std::vector<std::string>& env = {}) const {
    std::vector<std::string> args = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(), "--llm",
                                     "mock"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(idea);
    testing::ProcessOptions options = sandbox_.options(args, env);
    options.timeout = std::chrono::milliseconds(120000);
    return sandbox_.collect(testing::run_process(options));
  }

  testing::ProcessResult agentco(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) const {
    testing::ProcessOptions options = sandbox_.options(args, env);
    options.timeout = std::chrono::milliseconds(120000);
    return testing::run_process(options);
  }

  RunSandbox sandbox_;
};

TEST_F(ToolLoop, TheMockSoloEngineerWritesRunsFixesAndTheReplayStartsNothing) {
  AgentcoRun run = mock_run({"--sop", "solo_engineer"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  // The files, as the fix left them.
  EXPECT_NE(slurp(run.folder / "main.py").find("result += number"), std::string::npos);
  EXPECT_TRUE(fs::exists(run.folder / "test_main.py"));
  // Every write is a commit with the role as author.
  const auto commits = commit_lines(run.folder);
  EXPECT_TRUE(has(commits, "Sam (Engineer): Develop: write_file main.py")) << ::testing::PrintToString(commits);
  EXPECT_TRUE(has(commits, "Sam (Engineer): Develop: write_file test_main.py")) << ::testing::PrintToString(commits);
  EXPECT_TRUE(has(commits, "Sam (Engineer): Develop: edit_file main.py")) << ::testing::PrintToString(commits);
  // think -> call -> observe: the tests fail, the fix follows, then they pass.
  const auto runs = results_of(run, "run");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_TRUE(runs[0].value("text", "").starts_with("exit code 1")) << runs[0].dump();
  EXPECT_TRUE(runs[1].value("text", "").starts_with("exit code 0")) << runs[1].dump();
  EXPECT_NE(runs[2].value("text", "").find("total of [2, 3]: 5"), std::string::npos) << runs[2].dump();
  EXPECT_EQ(run.of_type("tool_call").size(), run.of_type("tool_result").size());
  EXPECT_EQ(run.of_type("process").size(), 3u);
  // The second request carries the first call and its result, as the model is shown them.
  const auto requests = run.of_type("llm_request");
  ASSERT_GE(requests.size(), 2u);
  const json& second = requests[1]["request"];
  EXPECT_EQ(second["tools"].size(), 6u) << second.dump();
  EXPECT_EQ(second["messages"].back().value("role", ""), "tool") << second.dump();
  EXPECT_EQ(second["messages"].back().value("tool_call_id", ""), "call_list") << second.dump();
  // The published message says what was done.
  bool reported = false;
  for (const auto& m : run.of_type("message"))
    if (m.value("cause_by", "") == "Develop") {
      reported = m["payload"].value("finished", false);
      EXPECT_EQ(m["payload"]["files"], json({"main.py", "test_main.py"})) << m.dump();
    }
  EXPECT_TRUE(reported);

  // The replay answers every model call and process from the trace and comes out the same.
  testing::ProcessResult replay = agentco({"replay", "--verify", "--strict", run.folder.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.err.find("8 model calls and 3 processes answered from the recording, 0 live calls"),
            std::string::npos)
      << replay.err;
  EXPECT_NE(replay.err.find("verify: files and git trees are identical"), std::string::npos) << replay.err;
}

// Killed in the middle of the loop (at the result of its second `run`), the run resumes: the
// model calls and processes it had recorded are answered from the trace, the rest runs live,
// and the project ends as the uninterrupted run's.
TEST_F(ToolLoop, AKilledSoloEngineerResumesReusingItsRecordedCallsAndProcesses) {
  AgentcoRun whole = mock_run({"--sop", "solo_engineer", "--name", "whole"});
  ASSERT_EQ(whole.process.exit_code, 0) << whole.describe();
  const auto runs = results_of(whole, "run");
  ASSERT_EQ(runs.size(), 3u);
  const long kill_at = runs[1].value("seq", 0L);
  ASSERT_GT(kill_at, 0);

  AgentcoRun killed = mock_run({"--sop", "solo_engineer", "--name", "killed"}, "write a cli calculator",
                               {"AGENTCO_CRASH_AT_RECORD=" + std::to_string(kill_at)});
  ASSERT_EQ(killed.process.exit_code, 128 + SIGKILL) << killed.describe();
  fs::path folder;  // a killed run prints no folder
  for (const auto& entry : fs::directory_iterator(sandbox_.warehouse()))
    if (entry.path().filename().string().starts_with("killed")) folder = entry.path();
  ASSERT_TRUE(fs::exists(folder / "run.jsonl")) << folder;
  long answers = 0, processes = 0;
  {
    std::istringstream in(slurp(folder / "run.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto record = open_trace_record(line);
      if (!record) continue;
      answers += record->value("type", "") == "llm_response";
      processes += record->value("type", "") == "process";
    }
  }
  ASSERT_GE(processes, 1);

  testing::ProcessResult resumed = agentco({"resume", "--no-user-config", folder.string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(fmt::format("resume: {} model calls and {} processes reused from the recording", answers,
                                         processes)),
            std::string::npos)
      << resumed.err;
  for (const char* file : {"main.py", "test_main.py"}) EXPECT_EQ(slurp(folder / file), slurp(whole.folder / file)) << file;
  EXPECT_EQ(commit_lines(folder), commit_lines(whole.folder));
}

TEST_F(ToolLoop, TheLoopStopsAtMaxStepsAndSaysSo) {
  spill(sandbox_.file("short.yaml"), R"(name: short
roles:
  - name: Sam
    profile: Engineer
    actions: [Develop]
    watch: [UserRequirement]
    tools: [list_files, read_file, write_file, edit_file, run]
actions:
  Develop:
    type: tool_loop
    prompt: solo_engineer
    max_steps: 3
)");
  AgentcoRun run = mock_run({"--sop", sandbox_.file("short.yaml").string()});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(run.of_type("llm_request").size(), 3u);
  bool warned = false;
  for (const auto& w : run.of_type("warning"))
    warned |= w.value("message", "").find("stopped after max_steps 3 model calls") != std::string::npos;
  EXPECT_TRUE(warned) << run.describe();
  EXPECT_NE(run.process.err.find("stopped after max_steps 3"), std::string::npos) << run.process.err;
  for (const auto& m : run.of_type("message"))
    if (m.value("cause_by", "") == "Develop") EXPECT_FALSE(m["payload"].value("finished", true)) << m.dump();
}

// A team file whose one role works with `tools`.
std::string team_with_tools(const std::string& tools, int max_steps = 6) {
  return "name: team\nroles:\n  - name: Sam\n    profile: Engineer\n    actions: [Develop]\n    watch: [UserRequirement]\n"
         "    tools: " + tools + "\nactions:\n  Develop:\n    type: tool_loop\n    prompt: solo_engineer\n"
         "    max_steps: " + std::to_string(max_steps) + "\n";
}

TEST_F(ToolLoop, NativeToolCallsFromAServerWriteAndCommit) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(rules:
  - match: {tool_result: 'wrote hello\.py'}
    reply: "Wrote hello.py; done."
  - tool_calls: [{id: c1, name: write_file, arguments: {path: hello.py, content: "print('hello')\n"}}]
)"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[write_file, run]"));
  AgentcoRun run = sandbox_.collect(testing::run_process(
      sandbox_.options(sandbox_.run_args(server.base_url(), "say hello", {"--sop", sandbox_.file("team.yaml").string()}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(slurp(run.folder / "hello.py"), "print('hello')\n");
  EXPECT_TRUE(has(commit_lines(run.folder), "Sam (Engineer): Develop: write_file hello.py"));
  const json requests = chat_requests(server);
  ASSERT_EQ(requests.size(), 2u) << requests.dump();
  const json& first = requests[0]["body"];
  EXPECT_EQ(first["tools"].size(), 2u) << first.dump();
  EXPECT_EQ(first["tools"][0]["function"]["name"], "write_file");
  const json& second = requests[1]["body"];
  const json& last = second["messages"].back();
  EXPECT_EQ(last["role"], "tool");
  EXPECT_EQ(last["tool_call_id"], "c1");
  EXPECT_EQ(second["messages"][second["messages"].size() - 2]["tool_calls"][0]["id"], "c1");
}

TEST_F(ToolLoop, AskHumanPutsTheQuestionToThePersonAndTheReplayAnswersIt) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(rules:
  - match: {tool_result: 'Tk, please'}
    reply: "Building it with Tk, as asked."
  - tool_calls: [{id: q1, name: ask_human, arguments: {question: "Which GUI toolkit do you want?"}}]
)"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[write_file, ask_human]"));
  spill(sandbox_.file("typed.txt"), "Tk, please\n.\n");
  testing::ProcessOptions options = sandbox_.options(
      sandbox_.run_args(server.base_url(), "a gui clock", {"--sop", sandbox_.file("team.yaml").string(), "--ask-human"}),
      {});
  options.stdin_file = sandbox_.file("typed.txt");
  AgentcoRun run = sandbox_.collect(testing::run_process(options));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  // The person saw who asks and what, and the model was shown the answer.
  EXPECT_NE(run.process.err.find("Sam (Engineer) asks you, during Develop"), std::string::npos) << run.process.err;
  EXPECT_NE(run.process.err.find("Which GUI toolkit do you want?"), std::string::npos) << run.process.err;
  const auto answers = results_of(run, "ask_human");
  ASSERT_EQ(answers.size(), 1u) << run.describe();
  EXPECT_EQ(answers[0].value("text", ""), "Tk, please\n");
  EXPECT_FALSE(answers[0].value("is_error", true));
  // The question is a traced call answered by "human", so that a replay can answer it.
  bool by_human = false;
  for (const auto& r : run.of_type("llm_response")) by_human |= r.value("model", "") == "human";
  EXPECT_TRUE(by_human) << run.describe();
  EXPECT_EQ(run.of_type("run_start").at(0).value("ask_human", false), true);
  const json requests = chat_requests(server);
  ASSERT_EQ(requests.size(), 2u) << requests.dump();
  EXPECT_EQ(requests[0]["body"]["tools"][1]["function"]["name"], "ask_human") << requests[0]["body"].dump();

  // Nobody types during the replay: the answer comes from the trace.
  testing::ProcessResult replay = agentco({"replay", "--verify", "--strict", run.folder.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.err.find("0 live calls"), std::string::npos) << replay.err;
  EXPECT_EQ(replay.err.find("asks you"), std::string::npos) << replay.err;
}

TEST_F(ToolLoop, WithoutAPersonAtTheTerminalAskHumanIsLeftOut) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = "rules:\n  - reply: \"Nothing to ask.\"\n"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[write_file, ask_human]"));
  AgentcoRun run = sandbox_.collect(testing::run_process(
      sandbox_.options(sandbox_.run_args(server.base_url(), "a gui clock", {"--sop", sandbox_.file("team.yaml").string()}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  const json requests = chat_requests(server);
  ASSERT_EQ(requests.size(), 1u) << requests.dump();
  ASSERT_EQ(requests[0]["body"]["tools"].size(), 1u) << requests[0]["body"].dump();
  EXPECT_EQ(requests[0]["body"]["tools"][0]["function"]["name"], "write_file");
  EXPECT_FALSE(run.of_type("run_start").at(0).contains("ask_human"));
}

// The shipped solo engineer SOP and prompt, with the reading model behind the fake server: it
// knows only what the prompt, the tool list and the results show. It writes a 3-file program
// and its tests, the tests fail on its slip, it reads the file the traceback names, fixes it
// from what it read, the tests pass, the program runs, and it reports what it printed.
TEST_F(ToolLoop, TheSoloEngineerOnAReadingModelGoesFromAFailingTestToAPassingOne) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = "rules:\n  - read: true\n"});
  ASSERT_TRUE(server.ok());
  AgentcoRun run = sandbox_.collect(testing::run_process(sandbox_.options(
      sandbox_.run_args(server.base_url(), "write a cli number summarizer", {"--sop", "solo_engineer"}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  for (const char* file : {"main.py", "parse.py", "stats.py", "test_main.py"})
    EXPECT_TRUE(fs::exists(run.folder / file)) << file;
  EXPECT_NE(slurp(run.folder / "stats.py").find("    return result\n"), std::string::npos) << slurp(run.folder / "stats.py");

  std::vector<std::string> steps;
  for (const auto& call : run.of_type("tool_call")) steps.push_back(call.value("tool", ""));
  EXPECT_EQ(steps, (std::vector<std::string>{"list_files", "write_file", "write_file", "write_file", "write_file", "run",
                                             "read_file", "edit_file", "run", "run"}))
      << ::testing::PrintToString(steps);
  const auto runs = results_of(run, "run");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_TRUE(runs[0].value("text", "").starts_with("exit code 1")) << runs[0].dump();
  EXPECT_NE(runs[0].value("text", "").find("NameError: name 'reslt' is not defined"), std::string::npos);
  EXPECT_TRUE(runs[1].value("text", "").starts_with("exit code 0")) << runs[1].dump();
  EXPECT_NE(runs[2].value("text", "").find("summarizer: total 15, largest 9"), std::string::npos) << runs[2].dump();
  EXPECT_TRUE(has(commit_lines(run.folder), "Sam (Engineer): Develop: edit_file stats.py"));
  bool reported = false;
  for (const auto& m : run.of_type("message"))
    if (m.value("cause_by", "") == "Develop") {
      EXPECT_TRUE(m["payload"].value("finished", false)) << m.dump();
      reported = m.value("content", "").find("the last run printed: summarizer: total 15, largest 9") != std::string::npos;
    }
  EXPECT_TRUE(reported) << run.describe();

  testing::ProcessResult replay = agentco({"replay", "--verify", "--strict", run.folder.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.err.find("0 live calls"), std::string::npos) << replay.err;
}

// Ctrl-C while a tool's command runs: the command is stopped at once (not after its 30 s),
// the run ends "interrupted" with exit 130, and the file written before it stays committed.
TEST_F(ToolLoop, CtrlCDuringAToolsCommandStopsItAndKeepsWhatWasWritten) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(rules:
  - match: {tool_result: 'wrote slow\.py'}
    tool_calls: [{id: c2, name: run, arguments: {command: "sleep 30"}}]
  - tool_calls: [{id: c1, name: write_file, arguments: {path: slow.py, content: "print('slow')\n"}}]
)"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[write_file, run]"));
  testing::ProcessOptions options =
      sandbox_.options(sandbox_.run_args(server.base_url(), "be slow", {"--sop", sandbox_.file("team.yaml").string()}), {});
  options.interrupt_on = "Sam calls run";
  options.timeout = std::chrono::milliseconds(60000);
  const auto started = std::chrono::steady_clock::now();
  AgentcoRun run = sandbox_.collect(testing::run_process(options));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.process.exit_code, 130) << run.describe();
  EXPECT_LT(took, std::chrono::seconds(25)) << "the command ran to its end";
  fs::path folder;  // an interrupted run prints no folder on stdout
  for (const auto& entry : fs::directory_iterator(sandbox_.warehouse())) folder = entry.path();
  ASSERT_FALSE(folder.empty());
  EXPECT_EQ(slurp(folder / "slow.py"), "print('slow')\n");
  EXPECT_TRUE(has(commit_lines(folder), "Sam (Engineer): Develop: write_file slow.py"));
  std::string reason;
  std::istringstream in(slurp(folder / "run.jsonl"));
  for (std::string line; std::getline(in, line);)
    if (auto record = open_trace_record(line); record && record->value("type", "") == "run_end") reason = record->value("reason", "");
  EXPECT_EQ(reason, "interrupted");
}

// A model that never stops calling tools, with max_steps far away: the budget ends the loop
// (exit 3), and what was spent stays within it.
TEST_F(ToolLoop, TheBudgetStopsALoopThatWouldGoOn) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(models: [gpt-4o-mini]
rules:
  - tool_calls: [{name: list_files, arguments: {path: "."}}]
)"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[list_files]", 1000));
  spill(sandbox_.file("budget.yaml"), "llm:\n  max_tokens: 200\n");
  const double investment = 0.002;
  std::vector<std::string> args = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(),
                                   "--llm-base-url", server.base_url(), "--model", "gpt-4o-mini",
                                   "--sop", sandbox_.file("team.yaml").string(), "--config",
                                   sandbox_.file("budget.yaml").string(), "--investment", fmt::format("{}", investment),
                                   "loop forever"};
  testing::ProcessOptions options = sandbox_.options(args, {});
  options.timeout = std::chrono::milliseconds(120000);
  AgentcoRun run = sandbox_.collect(testing::run_process(options));
  ASSERT_EQ(run.process.exit_code, 3) << run.describe();
  EXPECT_GT(run.of_type("tool_call").size(), 3u) << run.describe();
  EXPECT_LT(run.of_type("tool_call").size(), 1000u);
  double spent = 0;
  for (const auto& r : run.of_type("llm_response")) spent += r.value("cost_usd", 0.0);
  EXPECT_GT(spent, 0.0);
  EXPECT_LE(spent, investment);
}

TEST_F(ToolLoop, TextToolCallsWorkForAServerWithoutFunctionCalling) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(rules:
  - match: {regex: 'tool_response'}
    reply: "All done."
  - reply: "I will write it.\n<tool_call>\n{\"name\": \"write_file\", \"arguments\": {\"path\": \"hi.txt\", \"content\": \"hi\"}}\n</tool_call>"
)"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team_with_tools("[write_file]"));
  spill(sandbox_.file("text.yaml"), "llm:\n  tool_format: text\n");
  AgentcoRun run = sandbox_.collect(testing::run_process(sandbox_.options(
      sandbox_.run_args(server.base_url(), "say hi",
                        {"--sop", sandbox_.file("team.yaml").string(), "--config", sandbox_.file("text.yaml").string()}),
      {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(slurp(run.folder / "hi.txt"), "hi");
  const json requests = chat_requests(server);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0]["body"].contains("tools")) << requests[0]["body"].dump();
  EXPECT_NE(requests[0]["body"]["messages"][0]["content"].get<std::string>().find("write_file"), std::string::npos);
}

TEST_F(ToolLoop, AnMcpServersToolIsUsedRecordedListedAndReplayedWithoutStartingIt) {
  const fs::path script = testing::write_fake_mcp_server(sandbox_.root());
  const fs::path starts = sandbox_.file("starts.log");
  spill(sandbox_.file("mcp.yaml"), "mcp_servers:\n  notes:\n    command: python3\n    args: [" + script.string() +
                                       "]\n    env: {MCP_START_LOG: " + starts.string() + "}\n");
  spill(sandbox_.file("team.yaml"), team_with_tools("[read_file, \"mcp:notes/*\"]"));
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = R"(rules:
  - match: {tool_result: 'noted: buy milk \(1 notes\)'}
    reply: "Noted."
  - tool_calls: [{id: n1, name: notes__add_note, arguments: {text: buy milk}}]
)"});
  ASSERT_TRUE(server.ok());
  AgentcoRun run = sandbox_.collect(testing::run_process(sandbox_.options(
      sandbox_.run_args(server.base_url(), "remember milk",
                        {"--sop", sandbox_.file("team.yaml").string(), "--config", sandbox_.file("mcp.yaml").string()}),
      {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(slurp(starts), "started\n");
  ASSERT_EQ(run.of_type("mcp_server").size(), 1u);
  EXPECT_EQ(run.of_type("mcp_server")[0]["tools"][0]["name"], "add_note");
  const auto results = results_of(run, "notes__add_note");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].value("server", ""), "notes");
  EXPECT_EQ(results[0].value("text", ""), "noted: buy milk (1 notes)");
  // The server's stderr went to the run's log; its env value (a secret) never reached the trace.
  EXPECT_NE(run.process.err.find("mcp notes: notes server ready"), std::string::npos) << run.process.err;
  EXPECT_EQ(slurp(run.folder / "run.jsonl").find(starts.string()), std::string::npos);

  testing::ProcessResult replay = agentco({"replay", "--verify", "--strict", run.folder.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.err.find("and 1 MCP tool results answered from the recording, 0 live calls"), std::string::npos)
      << replay.err;
  EXPECT_EQ(slurp(starts), "started\n") << "the replay started the MCP server";

  testing::ProcessResult listed = agentco({"mcp", "list", "--no-user-config", "--config", sandbox_.file("mcp.yaml").string()});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("notes (stdio: python3 "), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("MCP 2025-06-18, 1 tools"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("  mcp:notes/add_note\n      Adds a note to the list"), std::string::npos) << listed.out;
}

TEST_F(ToolLoop, McpListSaysWhichServerCannotBeReached) {
  const fs::path script = testing::write_fake_mcp_server(sandbox_.root());
  spill(sandbox_.file("mcp.yaml"), "mcp_servers:\n  broken:\n    command: python3\n    args: [" + script.string() +
                                       ", exit]\n  fine:\n    command: python3\n    args: [" + script.string() + "]\n");
  testing::ProcessResult listed = agentco({"mcp", "list", "--no-user-config", "--config", sandbox_.file("mcp.yaml").string()});
  EXPECT_EQ(listed.exit_code, 1) << listed.err;
  EXPECT_NE(listed.out.find("broken: cannot be reached: MCP server 'broken'"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("mcp:fine/add_note"), std::string::npos) << listed.out;
}

TEST_F(ToolLoop, CheckSopNamesAnUndefinedMcpServerWithFileAndLine) {
  spill(sandbox_.file("team.yaml"), team_with_tools("[read_file, \"mcp:nowhere/*\"]"));
  testing::ProcessResult checked = agentco({"check-sop", "--no-user-config", sandbox_.file("team.yaml").string()});
  EXPECT_EQ(checked.exit_code, 2);
  EXPECT_NE(checked.err.find(sandbox_.file("team.yaml").string() +
                             ":7: role Sam: tool 'mcp:nowhere/*' names MCP server 'nowhere', which the config does "
                             "not define (it defines no mcp_servers)"),
            std::string::npos)
      << checked.err;
}

// ---- SOP and config errors, in process ----------------------------------------------------------

class ToolSop : public ::testing::Test {
 protected:
  ToolSop() { register_builtin_actions(registry_); }
  Result<Sop> parse(const std::string& yaml) { return parse_sop(yaml, "team.yaml", registry_, prompts_); }
  ActionRegistry registry_;
  PromptLibrary prompts_;
};

TEST_F(ToolSop, AnUnknownToolIsAnErrorNamingTheLineAndTheKnownTools) {
  auto sop = parse(team_with_tools("[read_file, rm_rf]"));
  ASSERT_FALSE(sop);
  EXPECT_NE(sop.error().message.find("team.yaml:7: role Sam: unknown tool 'rm_rf' (built-in tools: read_file, "
                                     "write_file, edit_file, list_files, search, run, ask_human;"),
            std::string::npos)
      << sop.error().message;
}

TEST_F(ToolSop, MalformedMcpEntriesAndDuplicatesAreErrors) {
  auto bad = parse(team_with_tools("[\"mcp:files\"]"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'mcp:files': an MCP tool is written mcp:SERVER/TOOL or mcp:SERVER/*"),
            std::string::npos)
      << bad.error().message;
  auto twice = parse(team_with_tools("[run, run]"));
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("tool 'run' is listed twice"), std::string::npos) << twice.error().message;
}

TEST_F(ToolSop, AToolLoopWithoutToolsIsAnError) {
  auto sop = parse("name: t\nroles:\n  - name: Sam\n    profile: Engineer\n    actions: [Develop]\n"
                   "    watch: [UserRequirement]\nactions:\n  Develop:\n    type: tool_loop\n    prompt: solo_engineer\n");
  ASSERT_FALSE(sop);
  EXPECT_NE(sop.error().message.find("role Sam runs Develop, a tool_loop action, but lists no tools"), std::string::npos)
      << sop.error().message;
}

TEST_F(ToolSop, McpServersMustBeDefinedInTheConfig) {
  auto sop = parse(team_with_tools("[\"mcp:files/read_text_file\"]"));
  ASSERT_TRUE(sop) << sop.error().message;
  Config config;
  config.mcp_servers["docs"].command = "docs-server";
  Status checked = check_role_tools(config, *sop);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message,
            "team.yaml:7: role Sam: tool 'mcp:files/read_text_file' names MCP server 'files', which the config does "
            "not define (mcp_servers: docs)");
  config.mcp_servers["files"].command = "files-server";
  EXPECT_TRUE(check_role_tools(config, *sop));
}

TEST(ToolConfig, McpServersLoadMergeAndKeepTheirSecretsOutOfTheRecordedConfig) {
  Config config;
  ASSERT_TRUE(apply_config_yaml(config,
                                "mcp_servers:\n  files:\n    command: npx\n    args: [-y, server]\n"
                                "    env: {TOKEN: secret-token-123}\n  web:\n    url: https://example.com/mcp\n"
                                "    headers: {Authorization: Bearer abcdef123}\n    call_timeout_s: 5\n",
                                "my.yaml"));
  ASSERT_EQ(config.mcp_servers.size(), 2u);
  EXPECT_EQ(config.mcp_servers["files"].args, (std::vector<std::string>{"-y", "server"}));
  EXPECT_EQ(config.mcp_servers["web"].call_timeout_s, 5);
  EXPECT_EQ(config.mcp_servers["files"].origin, "my.yaml:2");
  const json shown = config.to_json(true);
  EXPECT_EQ(shown["mcp_servers"]["files"]["env"]["TOKEN"], "***");
  EXPECT_EQ(shown["mcp_servers"]["web"]["headers"]["Authorization"], "***");
  json recorded = shown;
  drop_redacted_secrets(recorded);
  EXPECT_TRUE(recorded["mcp_servers"]["files"]["env"].empty());
  // A later layer changes one field and keeps the rest.
  ASSERT_TRUE(apply_config_yaml(config, "mcp_servers:\n  files:\n    args: [other]\n", "user.yaml"));
  EXPECT_EQ(config.mcp_servers["files"].command, "npx");
  EXPECT_EQ(config.mcp_servers["files"].args, (std::vector<std::string>{"other"}));
}

TEST(ToolConfig, BadMcpServerEntriesNameFileAndLine) {
  struct Case {
    std::string yaml, message;
  };
  const std::vector<Case> cases = {
      {"mcp_servers:\n  files: {}\n", "bad.yaml:2: mcp_servers.files: needs either command"},
      {"mcp_servers:\n  files: {command: a, url: 'http://x'}\n", "mcp_servers.files: has both command and url"},
      {"mcp_servers:\n  files: {comand: a}\n", "unknown key 'mcp_servers.files.comand' (did you mean 'mcp_servers.files.command'?)"},
      {"mcp_servers:\n  files: {command: a, args: b}\n", "mcp_servers.files.args: expected a list of strings"},
      {"mcp_servers:\n  files: {url: 'ftp://x'}\n", "mcp_servers.files.url: expected an http:// or https:// URL"},
      {"mcp_servers:\n  'a/b': {command: a}\n", "the name 'a/b' may hold only letters"},
      {"tools:\n  result_cap: 3\n", "tools.result_cap"},
  };
  for (const auto& c : cases) {
    Config config;
    Status status = apply_config_yaml(config, c.yaml, "bad.yaml");
    ASSERT_FALSE(status) << c.yaml;
    EXPECT_NE(status.error().message.find(c.message), std::string::npos) << status.error().message;
  }
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
