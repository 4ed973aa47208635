// `agentco resume`: the real binary against the fake-llm-server program. The sweep kills a
// run of the 6-file scripted project (parallel coding waves, QA processes) at 20 points spread
// over its own trace (record 2 up to the last but one; every fourth a torn half record), resumes
// it, and checks that the resumed run ends with exactly the files of an uninterrupted run and
// asks the server only for the calls whose answers the killed run had not recorded.
#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/scripted_project.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

constexpr const char* kIdea = "a program that adds up values from six modules";
constexpr int kKillPoints = 20;

constexpr const char* kFastConfig =
    "llm:\n"
    "  timeout_connect_s: 2\n"
    "  timeout_first_byte_s: 10\n"
    "  max_retries: 2\n"
    "  retry_base_s: 0.05\n"
    "  retry_max_s: 0.2\n"
    "run:\n"
    "  code_review_rounds: 1\n"
    "  test_rounds: 1\n";

std::string project_script(const json& first_rules = json::array()) {
  testing::ScriptOptions options;
  options.first_rules = first_rules;
  return testing::scripted_project_script(testing::scripted_project(6), options).dump();
}

// The project as a user sees it: every file but the trace, meta.json, git and caches.
std::map<std::string, std::string> project_files(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || name == "__pycache__")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || name == "run.jsonl" || name == "meta.json") continue;
    std::string text = testing::slurp(it->path());
    // A test run again live (it was in flight when the run died) reports its own timing.
    static const std::regex timing(R"(Ran (\d+) tests? in [0-9.]+s)");
    if (it->path().parent_path().filename() == "test_outputs") text = std::regex_replace(text, timing, "Ran $1 test(s)");
    files[fs::relative(it->path(), folder).string()] = std::move(text);
  }
  return files;
}

// The paths whose content differs (or exists on one side only), for a readable failure.
std::vector<std::string> differing(const std::map<std::string, std::string>& a,
                                   const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [path, text] : a)
    if (auto it = b.find(path); it == b.end() || it->second != text) out.push_back(path);
  for (const auto& [path, text] : b)
    if (!a.count(path)) out.push_back(path + " (only in the reference)");
  return out;
}

int chat_requests(const FakeServerProcess& server) {
  int n = 0;
  for (const auto& entry : server.requests())
    if (entry.value("target", "").find("chat/completions") != std::string::npos) ++n;
  return n;
}

// Records of `type` in a trace file that verify (a torn last line does not).
int count_records(const fs::path& trace, const std::string& type) {
  int n = 0;
  std::istringstream in(testing::slurp(trace));
  for (std::string line; std::getline(in, line);) {
    auto record = open_trace_record(line);
    if (record && (type.empty() || record->value("type", "") == type)) ++n;  // "": every record
  }
  return n;
}

// The folders in the warehouse (a stopped run prints none on stdout).
std::vector<fs::path> folders_in(const fs::path& warehouse) {
  std::vector<fs::path> out;
  if (fs::exists(warehouse))
    for (const auto& entry : fs::directory_iterator(warehouse))
      if (entry.is_directory()) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct Sandbox {
  RunSandbox sandbox{"resume"};
  std::unique_ptr<FakeServerProcess> server;
  explicit Sandbox(const std::string& script) {
    testing::spill(sandbox.file("fast.yaml"), kFastConfig);
    server = std::make_unique<FakeServerProcess>(sandbox.root() / "server", FakeServerProcess::Options{script, "", false});
  }
  AgentcoRun run(const std::vector<std::string>& env = {}, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--config", sandbox.file("fast.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return sandbox.run(server->base_url(), kIdea, args, env);
  }
  AgentcoRun resume(const fs::path& folder, const std::vector<std::string>& env = {},
                    const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"resume", "--no-user-config", folder.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return sandbox.collect(testing::run_process(sandbox.options(args, env)));
  }
  // The one run folder in the warehouse.
  fs::path folder() const {
    auto folders = folders_in(sandbox.warehouse());
    EXPECT_EQ(folders.size(), 1u);
    return folders.empty() ? fs::path() : folders.front();
  }
};

// The uninterrupted run, once per test process.
struct Reference {
  std::map<std::string, std::string> files;
  int records = 0;
  int chat_requests = 0;
  int commits = 0;
};

const Reference& reference() {
  static const Reference ref = [] {
    Reference r;
    Sandbox s(project_script());
    if (!s.server->ok()) return r;
    AgentcoRun run = s.run();
    EXPECT_EQ(run.process.exit_code, 0) << run.describe();
    r.files = project_files(run.folder);
    r.records = static_cast<int>(run.trace.size());
    r.chat_requests = chat_requests(*s.server);
    r.commits = static_cast<int>(testing::head_commits(run.folder).size());
    return r;
  }();
  return ref;
}

// What every resumed run must show: finished, whole, the reference's files and commit count,
// no moved-aside copy left, and exactly `expected_calls` new requests at the server.
void expect_resumed_like_reference(const AgentcoRun& resumed, Sandbox& s, int calls_before, int expected_calls) {
  const Reference& ref = reference();
  ASSERT_EQ(resumed.process.exit_code, 0) << resumed.describe();
  testing::expect_work_kept(resumed, "idle");
  const auto files = project_files(resumed.folder);
  EXPECT_EQ(differing(files, ref.files), std::vector<std::string>{});
  for (const auto& path : differing(files, ref.files))
    if (files.count(path)) ADD_FAILURE() << path << ":\n" << files.at(path);
  EXPECT_EQ(static_cast<int>(testing::head_commits(resumed.folder).size()), ref.commits);
  EXPECT_EQ(chat_requests(*s.server) - calls_before, expected_calls) << resumed.describe();
  EXPECT_EQ(folders_in(s.sandbox.warehouse()).size(), 1u) << "a moved-aside copy was left behind";
  EXPECT_NE(resumed.process.err.find("reused from the recording"), std::string::npos) << resumed.describe();
}

class ResumeSweep : public ::testing::TestWithParam<int> {};

TEST_P(ResumeSweep, KilledAtARecordThenResumedEndsLikeAnUninterruptedRun) {
  const Reference& ref = reference();
  ASSERT_GT(ref.records, 20) << "the reference run failed";
  const int i = GetParam();
  const int seq = 2 + i * (ref.records - 3) / (kKillPoints - 1);
  const bool torn = i % 4 == 3;
  SCOPED_TRACE("killed at record " + std::to_string(seq) + " of " + std::to_string(ref.records) +
               (torn ? " (torn)" : ""));

  Sandbox s(project_script());
  ASSERT_TRUE(s.server->ok());
  AgentcoRun killed = s.run({"AGENTCO_CRASH_AT_RECORD=" + std::to_string(seq) + (torn ? ":torn" : "")});
  ASSERT_EQ(killed.process.exit_code, 128 + SIGKILL) << killed.describe();
  const fs::path folder = s.folder();
  ASSERT_FALSE(folder.empty());
  const int answered = count_records(folder / "run.jsonl", "llm_response");
  const int before = chat_requests(*s.server);

  AgentcoRun resumed = s.resume(folder);
  std::fprintf(stderr, "[ sweep    ] killed at record %d/%d%s: %d answers recorded, %d of %d calls asked after resume\n",
               seq, ref.records, torn ? " (torn)" : "", answered, chat_requests(*s.server) - before, ref.chat_requests);
  expect_resumed_like_reference(resumed, s, before, ref.chat_requests - answered);
  if (torn) {
    EXPECT_NE(resumed.process.err.find("torn"), std::string::npos) << resumed.describe();
  }
}

INSTANTIATE_TEST_SUITE_P(KillPoints, ResumeSweep, ::testing::Range(0, kKillPoints));

TEST(Resume, AResumeThatIsItselfKilledIsResumedAgain) {
  const Reference& ref = reference();
  ASSERT_GT(ref.records, 20);
  Sandbox s(project_script());
  AgentcoRun killed = s.run({"AGENTCO_CRASH_AT_RECORD=" + std::to_string(ref.records * 2 / 3)});
  ASSERT_EQ(killed.process.exit_code, 128 + SIGKILL) << killed.describe();
  const fs::path folder = s.folder();
  const int answered = count_records(folder / "run.jsonl", "llm_response");
  const int before = chat_requests(*s.server);

  // The resume dies while it is still replaying the recording: the original is kept aside.
  AgentcoRun first = s.resume(folder, {"AGENTCO_CRASH_AT_RECORD=" + std::to_string(ref.records / 3)});
  ASSERT_EQ(first.process.exit_code, 128 + SIGKILL) << first.describe();
  EXPECT_TRUE(fs::exists(folder.string() + ".interrupted"));
  EXPECT_EQ(chat_requests(*s.server), before) << "a replayed answer was asked again";

  AgentcoRun second = s.resume(folder);
  expect_resumed_like_reference(second, s, before, ref.chat_requests - answered);
  EXPECT_NE(second.process.err.find("was interrupted before it caught up"), std::string::npos) << second.describe();
}

TEST(Resume, ARunStoppedByItsRoundLimitGoesOnWithAHigherOne) {
  const Reference& ref = reference();
  Sandbox s(project_script());
  AgentcoRun stopped = s.run({}, {"--max-rounds", "3"});
  ASSERT_NE(stopped.process.exit_code, 0) << stopped.describe();
  ASSERT_FALSE(stopped.of_type("run_end").empty());
  EXPECT_EQ(stopped.of_type("run_end").back().value("reason", ""), "max_rounds");
  const int answered = count_records(stopped.folder / "run.jsonl", "llm_response");
  const int before = chat_requests(*s.server);
  // Resumed under the same limit, it stops at the same point, in the same folder, asking nothing.
  AgentcoRun again = s.resume(stopped.folder);
  ASSERT_NE(again.process.exit_code, 0) << again.describe();
  EXPECT_EQ(again.folder, stopped.folder) << again.describe();
  EXPECT_EQ(chat_requests(*s.server), before);
  // The rebuilt trace no longer says the folder was renamed; it keeps its name all the same.
  AgentcoRun resumed = s.resume(stopped.folder, {}, {"--max-rounds", "100"});
  expect_resumed_like_reference(resumed, s, before, ref.chat_requests - answered);
  EXPECT_EQ(resumed.folder, stopped.folder);
}

TEST(Resume, CtrlCDuringACallThenResumeAsksThatCallAgainAndNothingElse) {
  const Reference& ref = reference();
  // The design call stalls for a minute, once: the run is interrupted while it waits.
  json stall = {{"match", {{"action", "WriteDesign"}}},
                {"fault", "stall_before_first_byte"},
                {"stall_ms", 60000},
                {"times", 1},
                {"reply", "unused"}};
  Sandbox s(project_script(json::array({stall})));
  testing::ProcessOptions options = s.sandbox.options(
      s.sandbox.run_args(s.server->base_url(), kIdea, {"--config", s.sandbox.file("fast.yaml").string()}), {});
  testing::BackgroundProcess child(options);
  fs::path folder;
  for (int tries = 0; tries < 600 && folder.empty(); ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto folders = folders_in(s.sandbox.warehouse());
    if (folders.size() == 1 && fs::exists(folders.front() / "run.jsonl")) {
      std::istringstream in(testing::slurp(folders.front() / "run.jsonl"));
      for (std::string line; std::getline(in, line);) {
        auto record = open_trace_record(line);
        if (record && record->value("type", "") == "llm_request" && record->value("action", "") == "WriteDesign")
          folder = folders.front();
      }
    }
  }
  ASSERT_FALSE(folder.empty()) << "the design call was never asked";
  child.signal(SIGINT);
  testing::ProcessResult interrupted = child.wait(std::chrono::seconds(30));
  ASSERT_EQ(interrupted.exit_code, 130) << interrupted.err;
  const int answered = count_records(folder / "run.jsonl", "llm_response");
  const int before = chat_requests(*s.server);

  AgentcoRun resumed = s.resume(folder);
  expect_resumed_like_reference(resumed, s, before, ref.chat_requests - answered);
}

TEST(Resume, AFinishedRunHasNothingToResume) {
  Sandbox s(project_script());
  AgentcoRun done = s.run();
  ASSERT_EQ(done.process.exit_code, 0) << done.describe();
  const int before = chat_requests(*s.server);
  const std::string trace_before = testing::slurp(done.folder / "run.jsonl");
  AgentcoRun again = s.resume(done.folder);
  EXPECT_EQ(again.process.exit_code, 0) << again.describe();
  EXPECT_NE(again.process.err.find("nothing to resume"), std::string::npos) << again.describe();
  EXPECT_EQ(chat_requests(*s.server), before);
  EXPECT_EQ(testing::slurp(done.folder / "run.jsonl"), trace_before);
}

// Resume works on the folder it is given, wherever it was copied, and keeps its name; the
// original is not touched, and files the user added are in the resumed folder.
TEST(Resume, ACopiedFolderIsResumedInPlaceAndKeepsTheUsersFiles) {
  const Reference& ref = reference();
  ASSERT_GT(ref.records, 20);
  Sandbox s(project_script());
  AgentcoRun killed = s.run({"AGENTCO_CRASH_AT_RECORD=6"});
  ASSERT_EQ(killed.process.exit_code, 128 + SIGKILL) << killed.describe();
  const fs::path original = s.folder();
  const std::string original_trace = testing::slurp(original / "run.jsonl");
  const fs::path copy = s.sandbox.root() / "elsewhere" / "my_project";
  fs::create_directories(copy.parent_path());
  fs::copy(original, copy, fs::copy_options::recursive);
  testing::spill(copy / "notes.txt", "my notes\n");
  testing::spill(copy / "ideas" / "later.md", "a later idea\n");

  AgentcoRun resumed = s.resume(copy);
  ASSERT_EQ(resumed.process.exit_code, 0) << resumed.describe();
  EXPECT_EQ(resumed.folder, copy) << resumed.describe();
  EXPECT_EQ(testing::slurp(copy / "notes.txt"), "my notes\n");
  EXPECT_EQ(testing::slurp(copy / "ideas" / "later.md"), "a later idea\n");
  EXPECT_NE(resumed.process.err.find("kept 2 file(s) that the run did not write"), std::string::npos)
      << resumed.describe();
  EXPECT_FALSE(fs::exists(copy.string() + ".interrupted")) << "everything was accounted for";
  auto files = project_files(copy);
  for (const auto& [path, content] : ref.files) EXPECT_EQ(files[path], content) << path;
  EXPECT_EQ(folders_in(s.sandbox.warehouse()), std::vector<fs::path>{original}) << "nothing is built elsewhere";
  EXPECT_EQ(testing::slurp(original / "run.jsonl"), original_trace) << "the original is not touched";
}

// A folder of the user's that has the name resume uses for its copy is refused, not
// merged or deleted; a file the user edited after the crash is kept beside the rebuilt one.
TEST(Resume, NeverDeletesAUsersFolderOrAFileTheUserEdited) {
  const Reference& ref = reference();
  ASSERT_GT(ref.records, 20);
  Sandbox s(project_script());
  AgentcoRun killed = s.run({"AGENTCO_CRASH_AT_RECORD=" + std::to_string(ref.records / 2)});
  ASSERT_EQ(killed.process.exit_code, 128 + SIGKILL) << killed.describe();
  const fs::path folder = s.folder();
  const fs::path clash = folder.string() + ".interrupted";
  testing::spill(clash / "precious.txt", "mine\n");
  const std::string trace = testing::slurp(folder / "run.jsonl");

  AgentcoRun refused = s.resume(folder);
  EXPECT_EQ(refused.process.exit_code, 2) << refused.describe();
  EXPECT_NE(refused.process.err.find("is not an earlier resume's copy"), std::string::npos) << refused.describe();
  EXPECT_EQ(testing::slurp(clash / "precious.txt"), "mine\n");
  EXPECT_EQ(testing::slurp(folder / "run.jsonl"), trace);
  fs::remove_all(clash);

  testing::spill(folder / "docs" / "requirement.txt", "edited by me\n");
  AgentcoRun resumed = s.resume(folder);
  ASSERT_EQ(resumed.process.exit_code, 0) << resumed.describe();
  EXPECT_NE(resumed.process.err.find("differ from the rebuilt ones (docs/requirement.txt)"), std::string::npos)
      << resumed.describe();
  EXPECT_EQ(testing::slurp(clash / "docs" / "requirement.txt"), "edited by me\n");
  EXPECT_EQ(testing::slurp(folder / "docs" / "requirement.txt"), ref.files.at("docs/requirement.txt"));
}

// A second run that developed the folder further appended its own run_start: the trace
// holds two runs, and resume says so instead of rebuilding only the first.
TEST(Resume, AFolderDevelopedFurtherByASecondRunIsRefusedNamingItsRunStart) {
  Sandbox s(project_script());
  AgentcoRun done = s.run();
  ASSERT_EQ(done.process.exit_code, 0) << done.describe();
  const int first_records = count_records(done.folder / "run.jsonl", "");
  AgentcoRun second = s.run({"AGENTCO_CRASH_AT_RECORD=" + std::to_string(first_records + 8)},
                            {"--project-path", done.folder.string()});
  ASSERT_EQ(second.process.exit_code, 128 + SIGKILL) << second.describe();
  const std::string trace = testing::slurp(done.folder / "run.jsonl");
  AgentcoRun refused = s.resume(done.folder);
  EXPECT_EQ(refused.process.exit_code, 2) << refused.describe();
  EXPECT_NE(refused.process.err.find("record seq " + std::to_string(first_records + 1) + " starts a second run"),
            std::string::npos)
      << refused.describe();
  EXPECT_EQ(testing::slurp(done.folder / "run.jsonl"), trace);
}

TEST(Resume, AFolderWithoutATraceIsNamed) {
  Sandbox s(project_script());
  fs::create_directories(s.sandbox.warehouse() / "empty_project");
  AgentcoRun run = s.resume(s.sandbox.warehouse() / "empty_project");
  EXPECT_EQ(run.process.exit_code, 2) << run.describe();
  EXPECT_NE(run.process.err.find("empty_project/run.jsonl"), std::string::npos) << run.describe();
  AgentcoRun missing = s.resume(s.sandbox.warehouse() / "no_such_project");
  EXPECT_EQ(missing.process.exit_code, 2) << missing.describe();
  EXPECT_NE(missing.process.err.find("no such project folder"), std::string::npos) << missing.describe();
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
