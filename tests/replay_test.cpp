// agentco replay: a recorded mock run (parallel coding waves, QA processes) replayed from its
// trace into a new folder gives the same files and git trees; --fork-at goes live; a torn
// last record is dropped; a trace from a newer schema is refused with a clear message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/child_process.hpp"
#include "replay/recorded_run.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {
namespace fs = std::filesystem;
using testing::ProcessOptions;
using testing::run_process;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("agentco-replay-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "home");
  }
  void TearDown() override { fs::remove_all(root_); }

  testing::ProcessResult agentco(std::vector<std::string> args) {
    ProcessOptions options;
    options.argv = {AGENTCO_BINARY};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = {std::string("PATH=") + std::getenv("PATH"), "HOME=" + (root_ / "home").string()};
    options.cwd = root_;
    options.timeout = std::chrono::milliseconds(90000);
    return run_process(options);
  }

  fs::path recorded_run(const std::string& idea) {
    auto r = agentco({"run", "--llm", "mock", "--no-user-config", "-q", "--warehouse", (root_ / "wh").string(), idea});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string folder = r.out.substr(0, r.out.find('\n'));
    return folder;
  }

  fs::path root_;
};

TEST_F(ReplayTest, AReplayHasTheSameFilesAndGitTreesAndAsksNoModel) {
  fs::path original = recorded_run("write a cli snake game");
  ASSERT_TRUE(fs::exists(original / "run.jsonl"));
  auto r = agentco({"replay", original.string(), "--out", (root_ / "replayed").string(), "--verify", "--strict"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("identical"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0 live calls"), std::string::npos) << r.err;
  auto trace = read_trace(root_ / "replayed" / "run.jsonl");
  ASSERT_TRUE(trace) << trace.error().message;
  EXPECT_EQ(trace->records.front().value("replay_of", nlohmann::json()).is_object(), true);
}

TEST_F(ReplayTest, ForkAtAnEventGoesOnLiveIntoANewFolder) {
  fs::path original = recorded_run("write a cli snake game");
  auto r = agentco({"replay", original.string(), "--fork-at", "20", "--llm", "mock", "--no-user-config", "--out",
                    (root_ / "forked").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root_ / "forked" / "run.jsonl"));
  EXPECT_EQ(r.err.find(" 0 live calls"), std::string::npos) << r.err;  // something went live
  auto trace = read_trace(root_ / "forked" / "run.jsonl");
  ASSERT_TRUE(trace) << trace.error().message;
  EXPECT_TRUE(trace->records.front().contains("fork_of"));
}

TEST_F(ReplayTest, ATornLastRecordIsDroppedAndTheRestReplays) {
  fs::path original = recorded_run("write a cli snake game");
  { std::ofstream(original / "run.jsonl", std::ios::app) << "{\"seq\":99999,\"type\":\"llm_resp"; }
  auto r = agentco({"replay", original.string(), "--out", (root_ / "replayed").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("torn"), std::string::npos) << r.err;
}

TEST_F(ReplayTest, ATraceFromANewerSchemaIsRefusedClearly) {
  fs::create_directories(root_ / "future");
  nlohmann::json start = {{"seq", 1}, {"ts", "2030-01-01T00:00:00.000Z"}, {"type", "run_start"},
                          {"schema_version", kTraceSchemaVersion + 1}};
  { std::ofstream(root_ / "future" / "run.jsonl") << seal_trace_record(start) << "\n"; }
  auto r = agentco({"replay", (root_ / "future").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("schema"), std::string::npos) << r.err;
}

TEST_F(ReplayTest, AMissingTraceNamesThePath) {
  auto r = agentco({"replay", (root_ / "nothing-here").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing-here"), std::string::npos) << r.err;
}

// Older traces hold the interpreter's resolved path in argv; they are read as "python3", the
// name commands use now, so they replay on machines whose Python lives elsewhere.
TEST_F(ReplayTest, AnOlderTracesResolvedPythonPathIsReadAsPython3) {
  fs::create_directories(root_ / "old");
  {
    auto writer = TraceWriter::open(root_ / "old" / "run.jsonl");
    ASSERT_TRUE(writer);
    (*writer)->append("run_start", {{"schema_version", kTraceSchemaVersion}});
    (*writer)->append("process", {{"argv", {"/opt/pyenv/versions/3.11.7/bin/python3.11", "-m", "unittest"}},
                                  {"cwd", "$PROJECT"},
                                  {"stdin", ""},
                                  {"result", {{"exit_code", 0}}}});
    (*writer)->append("process", {{"argv", {"/usr/bin/node", "--test"}}, {"cwd", "$PROJECT"}, {"stdin", ""},
                                  {"result", {{"exit_code", 0}}}});
  }
  auto run = read_recorded_run(root_ / "old");
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->processes.size(), 2u);
  EXPECT_EQ(run->processes[0].key["argv"], nlohmann::json({"python3", "-m", "unittest"}));
  EXPECT_EQ(run->processes[1].key["argv"][0], "/usr/bin/node");
}

// Found by fuzz/trace_fuzz.cpp: a sealed record whose members had other types ("seq" as
// text, a token count of 1e300, a process result that is no object) made read_recorded_run
// throw or convert out of range. Now the record is refused with its line, and a recorded
// process result reads what it can.
TEST_F(ReplayTest, AWronglyTypedMemberIsAnErrorNamingTheRecordsLine) {
  auto trace_with = [&](const std::string& name, const std::vector<nlohmann::json>& records) {
    fs::create_directories(root_ / name);
    std::ofstream out(root_ / name / "run.jsonl");
    for (const auto& r : records) out << seal_trace_record(r) << "\n";
    return root_ / name;
  };
  const nlohmann::json start = {{"seq", 1}, {"type", "run_start"}, {"schema_version", kTraceSchemaVersion}};
  auto text_seq = read_recorded_run(trace_with("seq", {{{"seq", "1"}, {"type", "run_start"}}}));
  ASSERT_FALSE(text_seq.ok());
  // read_trace already refuses it: seq must count 1, 2, ... as numbers.
  EXPECT_NE(text_seq.error().message.find("run.jsonl:1: seq \"1\" where the trace must start at seq 1"),
            std::string::npos)
      << text_seq.error().message;

  auto huge = read_recorded_run(trace_with(
      "huge", {start, {{"seq", 2}, {"type", "llm_response"}, {"call_id", 1}, {"usage", {{"prompt_tokens", 1e300}}}}}));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find(":2: the llm_response record: 'usage.prompt_tokens' must be a whole number"),
            std::string::npos)
      << huge.error().message;

  auto odd_process = read_recorded_run(trace_with(
      "process", {start,
                  {{"seq", 2}, {"type", "process"}, {"argv", "python3 main.py"}, {"result", 5}},
                  {{"seq", 3}, {"type", "process"}, {"argv", {"x"}}, {"result", {{"exit_code", 1e300}, {"stdout", 7}}}}}));
  ASSERT_TRUE(odd_process.ok()) << odd_process.error().message;
  ASSERT_EQ(odd_process->processes.size(), 2u);
  EXPECT_EQ(odd_process->processes[1].result.exit_code, -1);
  EXPECT_EQ(odd_process->processes[1].result.stdout_text, "");
}

}  // namespace
}  // namespace agentco
