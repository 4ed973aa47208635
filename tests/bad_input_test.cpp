// Bad input through the real binary (issue: nothing aborts, nothing leaks): bytes that are not
// UTF-8 in the idea, in a model's streamed or whole reply, in a SOP file and in a prompt
// template; an API key that a server echoes back in its 401 and 500 bodies; a template name
// that would leave the prompts folder; usage errors. Each ends with a clear message and
// exit 0, 1 or 2, never 134 (std::terminate), keeps finished work, and prints no secret.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/scripted_project.hpp"
#include "trace/trace.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::has;
using testing::RunSandbox;
using testing::slurp;

constexpr const char* kKey = "sk-agentco-test-key-4f9a2c";
const std::string kReplacement = "\xEF\xBF\xBD";

// Every file a run left, as one text (to look for a key anywhere).
std::string everything_in(const fs::path& folder) {
  std::string all;
  if (!fs::exists(folder)) return all;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().string().find("/.git/") == std::string::npos) all += slurp(entry.path());
  return all;
}

class BadInput : public ::testing::Test {
 protected:
  BadInput() : sandbox_("bad_input") {}

  AgentcoRun mock_run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> all = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(), "--llm",
                                    "mock", "-q"};
    all.insert(all.end(), args.begin(), args.end());
    return sandbox_.collect(testing::run_process(sandbox_.options(all, env)));
  }

  RunSandbox sandbox_;
};

TEST_F(BadInput, AnIdeaWithBytesThatAreNotUtf8RunsWithThemReplacedAndSaysSo) {
  const AgentcoRun run = mock_run({"write a \xFF snake game"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_TRUE(has(run.process.err, "the idea: 1 byte that is not UTF-8 (the first at line 1, byte 9) was replaced by "
                                   "U+FFFD"))
      << run.process.err;
  EXPECT_TRUE(has(run.meta.value("idea", ""), "write a " + kReplacement + " snake game")) << run.meta.dump(2);
  testing::expect_work_kept(run, "idle");
}

TEST_F(BadInput, ARawByteInAStreamedOrWholeModelReplyIsReplacedWithAWarning) {
  auto files = testing::scripted_project(3);
  testing::ScriptOptions options;
  options.first_rules = json::array({{{"match", {{"action", "WriteManual"}}}, {"fault", "invalid_utf8"},
                                      {"reply", "# The project\n\nRun `python3 main.py`.\n"}}});
  const std::string script = testing::scripted_project_script(files, options).dump();
  for (const bool stream : {true, false}) {
    SCOPED_TRACE(stream ? "streamed" : "whole");
    FakeServerProcess server(sandbox_.root() / (stream ? "server_s" : "server_w"),
                             FakeServerProcess::Options{script, "", false});
    ASSERT_TRUE(server.ok());
    const AgentcoRun run = sandbox_.run(server.base_url(), "a scripted project of modules",
                                        {"-q"}, {std::string("AGENTCO_LLM_STREAM=") + (stream ? "true" : "false")});
    ASSERT_EQ(run.process.exit_code, 0) << run.describe();
    EXPECT_TRUE(has(run.process.err, "WriteManual: the model")) << run.process.err;
    EXPECT_TRUE(has(run.process.err, "not UTF-8")) << run.process.err;
    bool traced = false;
    for (const auto& w : run.of_type("warning")) traced = traced || has(w.value("message", ""), "not UTF-8");
    EXPECT_TRUE(traced);
    EXPECT_TRUE(has(slurp(run.folder / "README.md"), kReplacement)) << slurp(run.folder / "README.md");
  }
}

TEST_F(BadInput, ASopOrTemplateWithBytesThatAreNotUtf8IsReadWithAWarningNamingTheLine) {
  const fs::path prompts = sandbox_.root() / "prompts";
  fs::create_directories(prompts);
  std::ofstream(prompts / "write_prd.txt") << "Write the PRD for: {{idea}} \xFE\n{{format}}\n";
  std::ofstream(sandbox_.root() / "config.yaml") << "run:\n  prompts_dir: " << prompts.string() << "\n";
  const AgentcoRun run = mock_run({"--config", (sandbox_.root() / "config.yaml").string(), "write a cli snake game"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_TRUE(has(run.process.err, (prompts / "write_prd.txt").string() + ":1: 1 byte that is not UTF-8"))
      << run.process.err;

  std::ofstream(sandbox_.root() / "team.yaml")
      << "name: t\n# caf\xE9 menu\nroles:\n  - name: Alice\n    actions: [WritePRD]\n    watch: [UserRequirement]\n"
         "actions:\n  WritePRD:\n    type: document\n    prompt: write_prd\n    schema:\n"
         "      - {name: Project Name, type: str}\n";
  const auto checked = testing::run_process(sandbox_.options({"check-sop", (sandbox_.root() / "team.yaml").string()}, {}));
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_TRUE(has(checked.err, "team.yaml:2: 1 byte that is not UTF-8")) << checked.err;
}

TEST_F(BadInput, AKeyThatTheServerEchoesBackIsPrintedAndWrittenNowhere) {
  FakeServerProcess server(sandbox_.root() / "server",
                           FakeServerProcess::Options{std::string("require_key: sk-the-right-one\n"
                                                                  "echo_authorization: true\n"
                                                                  "rules:\n  - reply: hello\n"),
                                                      "", false});
  ASSERT_TRUE(server.ok());
  const std::vector<std::string> env = {std::string("OPENAI_API_KEY=") + kKey};
  const AgentcoRun run = sandbox_.run(server.base_url(), "write a cli snake game", {}, env);
  EXPECT_EQ(run.process.exit_code, 1) << run.describe();
  EXPECT_TRUE(has(run.process.err, "Authorization: Bearer ***")) << "the echo is there, the key is not:\n"
                                                                  << run.process.err;
  EXPECT_FALSE(has(run.process.err + run.process.out, kKey)) << run.process.err;
  EXPECT_FALSE(has(everything_in(sandbox_.warehouse()), kKey)) << "the key is in the run's folder";

  const auto checked = testing::run_process(
      sandbox_.options({"check-llm", "--no-user-config", "--llm-base-url", server.base_url(), "--model", "fake-model"},
                       env));
  EXPECT_NE(checked.exit_code, 0);
  EXPECT_FALSE(has(checked.out + checked.err, kKey)) << checked.out << checked.err;
}

TEST_F(BadInput, ATemplateNameThatLeavesThePromptsFolderIsNotFound) {
  const fs::path prompts = sandbox_.root() / "prompts";
  fs::create_directories(prompts);
  std::ofstream(sandbox_.root() / "secret.txt") << "the contents of a private file\n";
  std::ofstream(sandbox_.root() / "config.yaml") << "run:\n  prompts_dir: " << prompts.string() << "\n";
  std::ofstream(sandbox_.root() / "team.yaml")
      << "name: t\nroles:\n  - name: Alice\n    actions: [WritePRD]\n    watch: [UserRequirement]\n"
         "actions:\n  WritePRD:\n    type: document\n    prompt: ../secret\n    schema:\n"
         "      - {name: Project Name, type: str}\n";
  const AgentcoRun run = mock_run({"--config", (sandbox_.root() / "config.yaml").string(), "--sop",
                                   (sandbox_.root() / "team.yaml").string(), "write a cli snake game"});
  EXPECT_EQ(run.process.exit_code, 2) << run.describe();
  EXPECT_TRUE(has(run.process.err, "'../secret'")) << run.process.err;
  EXPECT_FALSE(has(run.process.err, "private file")) << run.process.err;
}

TEST_F(BadInput, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"run"}, {"run", "--no-such-flag", "x"}, {"no-such-command"}, {"stats", "--format", "xml", "."}}) {
    const auto result = testing::run_process(sandbox_.options(args, {}));
    EXPECT_EQ(result.exit_code, 2) << args.front() << ": " << result.err;
  }
  EXPECT_EQ(testing::run_process(sandbox_.options({"--help"}, {})).exit_code, 0);
}

TEST_F(BadInput, FlagsOutOfRangeAreRefusedAsTheSameValuesInAConfigFileAre) {
  struct Case {
    std::vector<std::string> flag;
    std::string message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {{"--investment", "-1"}, "run.investment: must be at least 0, got -1"},
           {{"--investment", "nan"}, "run.investment: expected a number, got 'nan'"},
           {{"--investment", "inf"}, "run.investment: expected a number, got 'inf'"},
           {{"--max-rounds", "0"}, "run.max_rounds: must be at least 1, got 0"},
           {{"--max-rounds", "many"}, "run.max_rounds: expected an integer, got 'many'"}}) {
    std::vector<std::string> args = c.flag;
    args.push_back("write a cli snake game");
    const AgentcoRun run = mock_run(args);
    EXPECT_EQ(run.process.exit_code, 2) << c.flag[0] << " " << c.flag[1] << ": " << run.process.err;
    EXPECT_TRUE(has(run.process.err, c.message)) << run.process.err;
  }
  EXPECT_FALSE(std::filesystem::exists(sandbox_.warehouse())) << "no folder is made before the flags are right";

  std::ofstream(sandbox_.root() / "prompts.txt") << "write a cli snake game\n";
  for (const std::vector<std::string>& flag : std::vector<std::vector<std::string>>{
           {"--investment", "nan"}, {"--budget", "-0.5"}, {"--budget", "inf"}, {"--run-timeout", "0"}}) {
    std::vector<std::string> args = {"bench", (sandbox_.root() / "prompts.txt").string(), "--llm", "mock",
                                     "--no-user-config", "--out", (sandbox_.root() / "bench").string()};
    args.insert(args.end(), flag.begin(), flag.end());
    const auto result = testing::run_process(sandbox_.options(args, {}));
    EXPECT_EQ(result.exit_code, 2) << flag[0] << " " << flag[1] << ": " << result.err;
  }
  EXPECT_FALSE(std::filesystem::exists(sandbox_.root() / "bench"));
}

TEST_F(BadInput, ATraceWhoseRunStartHoldsAWronglyTypedIdeaIsRefusedNamingTheRecord) {
  const AgentcoRun run = mock_run({"write a cli snake game"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  // run_start's idea becomes a list, sealed with a correct CRC: well-formed, wrongly typed.
  const fs::path trace = run.folder / "run.jsonl";
  std::string text = slurp(trace);
  const auto first_end = text.find('\n');
  auto start = open_trace_record(text.substr(0, first_end));
  ASSERT_TRUE(start.ok());
  start->erase("crc");
  (*start)["idea"] = json::array({"a", "list"});
  text.replace(0, first_end, seal_trace_record(*start));
  std::ofstream(trace, std::ios::binary | std::ios::trunc) << text;

  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"replay", run.folder.string(), "--out", (sandbox_.root() / "replayed").string()},
           {"replay", run.folder.string(), "--out", (sandbox_.root() / "forked").string(), "--fork-at", "5",
            "--llm", "mock"}}) {
    const auto result = testing::run_process(sandbox_.options(command, {}));
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(has(result.err, "run.jsonl run_start (seq 1): 'idea' must be a string, got array")) << result.err;
  }
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
