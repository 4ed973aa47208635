// End-to-end tests of the real agentco binary with the offline mock model: the project
// folder it leaves, the trace, the git history, the four ways a run ends (idle, budget,
// --max-rounds, Ctrl-C), user errors that must stop before any folder exists, and secrets
// that must never reach the folder or the output.
//
// Every run gets a fresh temp folder, HOME inside it, a clean environment (PATH only, plus
// what the test adds) and --no-user-config, so a developer's own config cannot leak in.
#include <fcntl.h>
#include <git2.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "environment/git_repo.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/git_inspect.hpp"
#include "trace/trace.hpp"

extern char** environ;

namespace agentco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kIdea = "write a cli snake game";
constexpr const char* kSecret = "sk-test-SECRET123";

// ---- Helpers: files, processes, git ----------------------------------------------------

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The last `count` non-empty lines of `text`, oldest first.
std::vector<std::string> last_lines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  for (auto& line : split_lines(text))
    if (!line.empty()) lines.push_back(line);
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return lines;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("agentco_cli_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
    path_ = fs::canonical(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

using ::agentco::testing::ProcessOptions;
using ::agentco::testing::ProcessResult;
using ::agentco::testing::run_process;

// The directory of PATH holding an executable `name`, if any.
std::optional<fs::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Paths that differ between the working tree (untracked files included, ignored ones not)
// and HEAD. Empty means everything on disk is committed.
std::vector<std::string> uncommitted_paths(const fs::path& folder) {
  git_libgit2_init();
  std::vector<std::string> paths;
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, folder.c_str()) != 0) {
    paths.push_back("(no git repository)");
  } else {
    git_status_options options = GIT_STATUS_OPTIONS_INIT;
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    git_status_list* list = nullptr;
    if (git_status_list_new(&list, repo, &options) != 0) {
      paths.push_back("(git status failed)");
    } else {
      for (std::size_t i = 0; i < git_status_list_entrycount(list); ++i) {
        const git_status_entry* entry = git_status_byindex(list, i);
        const git_diff_delta* delta = entry->head_to_index ? entry->head_to_index : entry->index_to_workdir;
        paths.push_back(delta && delta->new_file.path ? delta->new_file.path : "?");
      }
      git_status_list_free(list);
    }
    git_repository_free(repo);
  }
  git_libgit2_shutdown();
  return paths;
}

std::vector<CommitInfo> git_log(const fs::path& folder) {
  auto repo = GitRepo::open_or_init(folder);
  EXPECT_TRUE(repo.ok()) << repo.error().message;
  if (!repo) return {};
  return (*repo)->log();
}

// Every line of run.jsonl, each parsed and checksum-verified.
std::vector<json> trace_records(const fs::path& folder) {
  std::vector<json> records;
  std::string text = read_text(folder / "run.jsonl");
  EXPECT_FALSE(text.empty()) << "no trace in " << folder;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the trace's last line is torn";
  int number = 0;
  for (const auto& line : split_lines(text)) {
    ++number;
    Result<json> record = open_trace_record(line);
    EXPECT_TRUE(record.ok()) << "run.jsonl line " << number << ": " << record.error().message << "\n" << line;
    if (record) records.push_back(*record);
  }
  return records;
}

json read_json(const fs::path& file) {
  try {
    return json::parse(read_text(file));
  } catch (const json::exception& e) {
    ADD_FAILURE() << file << " is not valid JSON: " << e.what();
    return json();
  }
}

// ---- The binary --------------------------------------------------------------------------

// One isolated place to run agentco: HOME, warehouse and config files under a temp folder.
class Sandbox {
 public:
  Sandbox() {
    fs::create_directories(home());
    fs::create_directories(work());
  }
  fs::path home() const { return dir_.path() / "home"; }
  fs::path work() const { return dir_.path() / "work"; }
  fs::path warehouse() const { return dir_.path() / "warehouse"; }
  fs::path file(const std::string& name) const { return dir_.path() / name; }

  // Runs `agentco <args>` with PATH and HOME only, plus `env` ("NAME=value"); SIGINT once
  // stderr says `interrupt_on`, when given.
  ProcessResult agentco(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                        const std::string& interrupt_on = {}) const {
    ProcessOptions options;
    options.argv.push_back(AGENTCO_BINARY);
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    const char* path = std::getenv("PATH");
    options.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + home().string(), "LANG=C.UTF-8"};
    options.env.insert(options.env.end(), env.begin(), env.end());
    options.cwd = work();
    options.interrupt_on = interrupt_on;
    return run_process(options);
  }

  // `agentco run --no-user-config --llm mock --warehouse W <extra...> <idea>`.
  ProcessResult run_mock(const std::vector<std::string>& extra = {}, const std::vector<std::string>& env = {},
                         const std::string& interrupt_on = {}) const {
    std::vector<std::string> args = {"run", "--no-user-config", "--llm", "mock", "--warehouse", warehouse().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(kIdea);
    return agentco(args, env, interrupt_on);
  }

  // The project folders the warehouse holds.
  std::vector<fs::path> projects() const {
    std::vector<fs::path> out;
    if (!fs::exists(warehouse())) return out;
    for (const auto& entry : fs::directory_iterator(warehouse())) out.push_back(entry.path());
    return out;
  }

  // The folder named by stdout's last line, checked to be inside the warehouse.
  fs::path folder_of(const ProcessResult& result) const {
    auto last = last_lines(result.out, 1);
    EXPECT_EQ(last.size(), 1u) << "stdout is empty; stderr:\n" << result.err;
    if (last.empty()) return {};
    fs::path folder = last[0];
    EXPECT_TRUE(fs::is_directory(folder)) << folder;
    EXPECT_EQ(fs::weakly_canonical(folder).parent_path(), fs::weakly_canonical(warehouse())) << folder;
    return folder;
  }

 private:
  TempDir dir_;
};

std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + r.out +
         "--- stderr:\n" + r.err;
}

bool has_type(const std::vector<json>& records, const std::string& type) {
  for (const auto& r : records)
    if (r.value("type", "") == type) return true;
  return false;
}

// ---- A full run, shared by the tests that only look at what it left --------------------

class CliRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new Sandbox();
    result_ = new ProcessResult(sandbox_->run_mock());
  }
  static void TearDownTestSuite() {
    delete result_;
    delete sandbox_;
    result_ = nullptr;
    sandbox_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(result_->exit_code, 0) << describe(*result_);
    folder_ = sandbox_->folder_of(*result_);
    ASSERT_FALSE(folder_.empty());
  }

  static Sandbox* sandbox_;
  static ProcessResult* result_;
  fs::path folder_;
};

Sandbox* CliRunTest::sandbox_ = nullptr;
ProcessResult* CliRunTest::result_ = nullptr;

TEST_F(CliRunTest, AMockRunExitsZeroAndPrintsOnlyTheProjectFolderOnStdout) {
  EXPECT_EQ(split_lines(result_->out).size(), 1u) << result_->out;
  EXPECT_EQ(sandbox_->projects().size(), 1u);
  EXPECT_NE(result_->err.find("run finished"), std::string::npos) << result_->err;
}

TEST_F(CliRunTest, TheFolderIsNamedAfterThePrdProjectNameAndTheStartTime) {
  const std::string name = folder_.filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(cli_snake_game_\d{8}_\d{6})"))) << name;
}

TEST_F(CliRunTest, TheFolderHoldsTheDocumentsDiagramsSourcesTestsTraceAndMeta) {
  for (const char* file : {"docs/requirement.txt", "docs/prd.json", "docs/prd.md", "docs/system_design.json",
                           "docs/system_design.md", "docs/tasks.json", "docs/tasks.md", "run.jsonl", "meta.json",
                           "main.py"}) {
    EXPECT_TRUE(fs::is_regular_file(folder_ / file)) << file;
    EXPECT_GT(fs::file_size(folder_ / file), 0u) << file;
  }
  EXPECT_EQ(read_text(folder_ / "docs/requirement.txt"), std::string(kIdea) + "\n");

  int diagrams = 0;
  for (const auto& entry : fs::directory_iterator(folder_ / "resources")) diagrams += entry.path().extension() == ".mmd";
  EXPECT_GE(diagrams, 1);

  // Every file of the task list was written, and the tests folder holds test files.
  json tasks = read_json(folder_ / "docs/tasks.json");
  ASSERT_TRUE(tasks.contains("Task list")) << tasks.dump(2);
  for (const auto& file : tasks["Task list"]) EXPECT_TRUE(fs::is_regular_file(folder_ / file.get<std::string>())) << file;
  int tests = 0;
  for (const auto& entry : fs::directory_iterator(folder_ / "tests")) tests += entry.path().extension() == ".py";
  EXPECT_GE(tests, 1);
}

TEST_F(CliRunTest, EveryJsonDocumentParsesAsAnObject) {
  int documents = 0;
  for (const auto& entry : fs::directory_iterator(folder_ / "docs")) {
    if (entry.path().extension() != ".json") continue;
    ++documents;
    EXPECT_TRUE(read_json(entry.path()).is_object()) << entry.path();
  }
  EXPECT_EQ(documents, 3);
  EXPECT_EQ(read_json(folder_ / "docs/prd.json").value("Project Name", ""), "cli_snake_game");
}

TEST_F(CliRunTest, EveryTraceLineParsesVerifiesAndIsNumberedWithoutGaps) {
  std::vector<json> records = trace_records(folder_);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.size(), split_lines(read_text(folder_ / "run.jsonl")).size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].value("seq", 0u), i + 1) << records[i].dump();
    EXPECT_TRUE(records[i].contains("ts")) << records[i].dump();
  }
  Result<TraceContents> contents = read_trace(folder_ / "run.jsonl");
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_TRUE(contents->warnings.empty());
}

TEST_F(CliRunTest, TheTraceHoldsEveryKindOfRecordFromStartToEnd) {
  std::vector<json> records = trace_records(folder_);
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.front().value("type", ""), "run_start");
  EXPECT_EQ(records.front().value("schema_version", -1), kTraceSchemaVersion);
  EXPECT_EQ(records.front().value("idea", ""), kIdea);
  EXPECT_EQ(records.back().value("type", ""), "run_end");
  EXPECT_EQ(records.back().value("reason", ""), "idle");
  for (const char* type : {"run_start", "message", "llm_request", "llm_response", "action_start", "action_end",
                           "file_write", "commit", "run_end"})
    EXPECT_TRUE(has_type(records, type)) << "no " << type << " record";
}

TEST_F(CliRunTest, TheGitHistoryHasAtLeastSixCommitsByTheRoles) {
  std::vector<CommitInfo> log = git_log(folder_);
  EXPECT_GE(log.size(), 6u);
  std::set<std::string> authors;
  for (const auto& commit : log) {
    std::string first_word = commit.author.substr(0, commit.author.find(' '));
    authors.insert(first_word);
  }
  for (const char* role : {"User", "Alice", "Bob", "Eve", "Alex", "Edward"})
    EXPECT_TRUE(authors.count(role)) << "no commit by " << role;
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().author, "User");  // the first commit holds the requirement
  EXPECT_EQ(uncommitted_paths(folder_), std::vector<std::string>{});
  EXPECT_EQ(testing::head_text(folder_, "docs/prd.json"), read_text(folder_ / "docs/prd.json"));
}

TEST_F(CliRunTest, MetaJsonSaysFinishedWithFiguresForEveryRole) {
  json meta = read_json(folder_ / "meta.json");
  EXPECT_EQ(meta["outcome"].value("status", ""), "finished") << meta.dump(2);
  EXPECT_EQ(meta["outcome"].value("reason", ""), "idle");
  EXPECT_EQ(meta.value("idea", ""), kIdea);
  EXPECT_EQ(meta.value("provider", ""), "mock");
  ASSERT_TRUE(meta["roles"].is_object());
  EXPECT_EQ(meta["roles"].size(), 5u);
  for (const auto& [name, figures] : meta["roles"].items()) {
    EXPECT_GE(figures.value("turns", 0), 1) << name;
    EXPECT_GE(figures.value("calls", 0), 1) << name;
    EXPECT_GT(figures.value("prompt_tokens", 0), 0) << name;
    EXPECT_TRUE(figures.contains("cost_usd")) << name;
  }
  EXPECT_EQ(meta.value("commits", 0u), git_log(folder_).size());
}

TEST_F(CliRunTest, TheGeneratedProgramRunsWithPython) {
  auto python = find_on_path("python3");
  if (!python) GTEST_SKIP() << "python3 is not installed";
  ProcessOptions options;
  options.argv = {python->string(), "main.py"};
  for (char** e = environ; *e; ++e) options.env.push_back(*e);  // pyenv shims need the real HOME
  options.cwd = folder_;
  options.timeout = std::chrono::milliseconds(10000);
  ProcessResult result = run_process(options);
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_FALSE(result.out.empty());
}

// ---- Other runs --------------------------------------------------------------------------

TEST(CliRun, TheNameFlagFixesTheFolderName) {
  Sandbox sandbox;
  ProcessResult result = sandbox.run_mock({"--name", "my_snake"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  fs::path folder = sandbox.folder_of(result);
  EXPECT_TRUE(std::regex_match(folder.filename().string(), std::regex(R"(my_snake_\d{8}_\d{6})"))) << folder;
  EXPECT_EQ(sandbox.projects().size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(folder / "docs/prd.json"));
}

TEST(CliRun, ASpentBudgetStopsWithExitThreeAndKeepsTheRequirement) {
  Sandbox sandbox;
  write_text(sandbox.file("budget.yaml"), "pricing: {mock: {prompt: 1.0, completion: 1.0}}\n");
  ProcessResult result = sandbox.run_mock({"--config", sandbox.file("budget.yaml").string(), "--investment", "0.5"});
  ASSERT_EQ(result.exit_code, 3) << describe(result);
  std::string tail = join(last_lines(result.err, 3));
  EXPECT_NE(tail.find("budget"), std::string::npos) << tail;
  EXPECT_NE(tail.find("stopped"), std::string::npos) << tail;

  fs::path folder = sandbox.folder_of(result);
  ASSERT_FALSE(folder.empty());
  EXPECT_EQ(testing::head_text(folder, "docs/requirement.txt"), std::string(kIdea) + "\n");
  EXPECT_EQ(uncommitted_paths(folder), std::vector<std::string>{});
  json meta = read_json(folder / "meta.json");
  EXPECT_EQ(meta["outcome"].value("status", ""), "stopped") << meta.dump(2);
  EXPECT_EQ(meta["outcome"].value("reason", ""), "budget");
  std::vector<json> records = trace_records(folder);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().value("type", ""), "run_end");
  EXPECT_EQ(records.back().value("reason", ""), "budget");
}

TEST(CliRun, MaxRoundsStopsWithExitFourAndKeepsThePrdAndDesign) {
  Sandbox sandbox;
  ProcessResult result = sandbox.run_mock({"--max-rounds", "2"});
  ASSERT_EQ(result.exit_code, 4) << describe(result);
  EXPECT_NE(join(last_lines(result.err, 3)).find("max_rounds"), std::string::npos) << result.err;
  fs::path folder = sandbox.folder_of(result);
  ASSERT_FALSE(folder.empty());
  for (const char* doc : {"docs/prd.json", "docs/system_design.json"}) {
    ASSERT_TRUE(fs::is_regular_file(folder / doc)) << doc;
    EXPECT_TRUE(read_json(folder / doc).is_object()) << doc;
    EXPECT_EQ(testing::head_text(folder, doc), read_text(folder / doc)) << doc;
  }
  EXPECT_FALSE(fs::exists(folder / "docs/tasks.json"));
  EXPECT_EQ(uncommitted_paths(folder), std::vector<std::string>{});
  json meta = read_json(folder / "meta.json");
  EXPECT_EQ(meta["outcome"].value("status", ""), "stopped");
  EXPECT_EQ(meta["outcome"].value("reason", ""), "max_rounds");
  EXPECT_EQ(meta.value("turns", 0), 2);
}

TEST(CliRun, CtrlCStopsWithExit130AndKeepsTheFinishedDocumentsCommitted) {
  Sandbox sandbox;
  // Ctrl-C once the architect starts: the PRD is done and committed, the design's call (300 ms
  // each, the whole run would need 11) is under way. A point in the run, not a time, so that a
  // slow start (a sanitized build) changes nothing.
  ProcessResult result = sandbox.run_mock({}, {"AGENTCO_MOCK_LATENCY_MS=300"}, "(Architect) runs WriteDesign");
  ASSERT_EQ(result.exit_code, 130) << describe(result);
  EXPECT_NE(join(last_lines(result.err, 3)).find("interrupted"), std::string::npos) << result.err;
  fs::path folder = sandbox.folder_of(result);
  ASSERT_FALSE(folder.empty());

  EXPECT_EQ(testing::head_text(folder, "docs/requirement.txt"), std::string(kIdea) + "\n");
  ASSERT_TRUE(fs::is_regular_file(folder / "docs/prd.json"));
  for (const auto& entry : fs::directory_iterator(folder / "docs")) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_TRUE(read_json(entry.path()).is_object()) << entry.path();
  }
  // Whatever is on disk is committed, the PRD among it.
  EXPECT_EQ(uncommitted_paths(folder), std::vector<std::string>{});
  EXPECT_EQ(testing::head_text(folder, "docs/prd.json"), read_text(folder / "docs/prd.json"));

  std::vector<json> records = trace_records(folder);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().value("type", ""), "run_end");
  EXPECT_EQ(records.back().value("reason", ""), "interrupted");
  EXPECT_LT(records.back()["total"].value("calls", 99), 11) << "the run did not stop early";
  json meta = read_json(folder / "meta.json");
  EXPECT_EQ(meta["outcome"].value("status", ""), "stopped");
  EXPECT_EQ(meta["outcome"].value("reason", ""), "interrupted");
}

// ---- User errors: one clear message, exit 2, no folder ----------------------------------

TEST(CliRun, AnUnknownConfigKeyExitsTwoWithFileAndLineAndCreatesNoFolder) {
  Sandbox sandbox;
  const fs::path config = sandbox.file("bad.yaml");
  write_text(config, "llm:\n  model: mock\nrun:\n  max_roundz: 3\n");
  ProcessResult result = sandbox.run_mock({"--config", config.string()});
  EXPECT_EQ(result.exit_code, 2) << describe(result);
  EXPECT_NE(result.err.find(config.string() + ":4:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("max_roundz"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_TRUE(sandbox.projects().empty());
}

TEST(CliRun, ABadSopFileExitsTwoWithFileAndLineAndCreatesNoFolder) {
  Sandbox sandbox;
  const fs::path sop = sandbox.file("my_sop.yaml");
  write_text(sop,
             "name: mine\n"
             "roles:\n"
             "  - name: Alice\n"
             "    actions: [WritePRD]\n"
             "    watch: [UserRequirement]\n"
             "  - name: Bob\n"
             "    actions: [WriteDesing]\n"  // line 7: a typo
             "    watch: [WritePRD]\n"
             "actions:\n"
             "  WritePRD:\n"
             "    type: document\n"
             "    prompt: write_prd\n"
             "    document: prd\n"
             "    schema:\n"
             "      - {name: Project Name, type: str}\n");
  ProcessResult result = sandbox.run_mock({"--sop", sop.string()});
  EXPECT_EQ(result.exit_code, 2) << describe(result);
  EXPECT_NE(result.err.find(sop.string() + ":7:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("WriteDesing"), std::string::npos) << result.err;
  EXPECT_TRUE(sandbox.projects().empty());

  ProcessResult checked = sandbox.agentco({"check-sop", "--no-user-config", sop.string()});
  EXPECT_EQ(checked.exit_code, 2) << describe(checked);
  EXPECT_NE(checked.err.find(sop.string() + ":7:"), std::string::npos) << checked.err;
}

TEST(CliRun, NoModelConfiguredExitsTwoAndSuggestsTheMockModel) {
  Sandbox sandbox;
  ProcessResult result =
      sandbox.agentco({"run", "--no-user-config", "--warehouse", sandbox.warehouse().string(), kIdea});
  EXPECT_EQ(result.exit_code, 2) << describe(result);
  EXPECT_NE(result.err.find("--llm mock"), std::string::npos) << result.err;
  EXPECT_TRUE(sandbox.projects().empty());
}

TEST(CliRun, CheckSopAcceptsTheBuiltInSop) {
  Sandbox sandbox;
  ProcessResult result = sandbox.agentco({"check-sop", "--no-user-config", "software_company"});
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_NE(result.out.find("5 roles"), std::string::npos) << result.out;
}

// ---- Secrets -----------------------------------------------------------------------------

// Fails for every file under `folder`, commit message and output stream holding kSecret.
void expect_secret_nowhere(const ProcessResult& result, const fs::path& folder) {
  EXPECT_EQ(result.out.find(kSecret), std::string::npos) << "stdout holds the key";
  EXPECT_EQ(result.err.find(kSecret), std::string::npos) << "stderr holds the key";
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(read_text(entry.path()).find(kSecret), std::string::npos) << entry.path() << " holds the key";
  }
  EXPECT_GT(files, 10);
  for (const auto& commit : git_log(folder)) EXPECT_EQ(commit.message.find(kSecret), std::string::npos);
  // The key was read (and redacted), so the checks above were not vacuous.
  std::vector<json> records = trace_records(folder);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front()["config"]["llm"].value("api_key", ""), "***") << records.front()["config"].dump();
}

TEST(CliRun, AnApiKeyInTheEnvironmentNeverReachesTheFolderTheTraceOrTheOutput) {
  Sandbox sandbox;
  ProcessResult result = sandbox.run_mock({"--verbose"}, {std::string("OPENAI_API_KEY=") + kSecret});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  fs::path folder = sandbox.folder_of(result);
  ASSERT_FALSE(folder.empty());
  expect_secret_nowhere(result, folder);
}

TEST(CliRun, AnApiKeyInAConfigFileNeverReachesTheFolderTheTraceOrTheOutput) {
  Sandbox sandbox;
  write_text(sandbox.file("keys.yaml"), std::string("llm:\n  api_key: ") + kSecret + "\n");
  ProcessResult result = sandbox.run_mock({"--config", sandbox.file("keys.yaml").string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  fs::path folder = sandbox.folder_of(result);
  ASSERT_FALSE(folder.empty());
  expect_secret_nowhere(result, folder);
}

// ---- Incremental development: --project-path ------------------------------------------

TEST(CliIncrementalRun, DevelopsAnAgentcoProjectFurtherKeepingItsHistoryAndItsFiles) {
  Sandbox sandbox;
  ProcessResult first = sandbox.run_mock();
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  fs::path folder = sandbox.folder_of(first);
  const auto before = git_log(folder);
  const std::string main_before = read_text(folder / "main.py");

  ProcessResult second = sandbox.agentco({"run", "--no-user-config", "--llm", "mock", "--project-path",
                                          folder.string(), "add a high-score table"});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(last_lines(second.out, 1), std::vector<std::string>{folder.string()});
  EXPECT_EQ(sandbox.projects().size(), 1u) << "no new folder: the project is developed in place";

  const auto after = git_log(folder);
  ASSERT_GT(after.size(), before.size());
  EXPECT_EQ(after.back().id, before.back().id) << "the first commit is still the root of the history";
  EXPECT_EQ(after[after.size() - before.size()].id, before.front().id) << "the old history is kept below the new";
  EXPECT_EQ(read_text(folder / "main.py"), main_before) << "a file the new task list does not name is untouched";
  EXPECT_TRUE(fs::exists(folder / "high_score_table.py")) << "the planned new file is written";
  EXPECT_NE(read_text(folder / "docs" / "requirement.txt").find("high-score"), std::string::npos);
  json refine_request;
  for (const auto& r : trace_records(folder)) {
    if (r.value("type", "") == "llm_request" && r["hints"].value("document", "") == "prd") refine_request = r;
  }
  ASSERT_TRUE(refine_request.is_object());
  EXPECT_TRUE(refine_request["hints"].value("refine", false)) << "the existing PRD is refined, not written anew";
  EXPECT_TRUE(uncommitted_paths(folder).empty());
}

TEST(CliIncrementalRun, DevelopsAMetaGptProjectFurtherAfterImportingIt) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  auto python = find_on_path("python3");
  if (!python) GTEST_SKIP() << "python3 is needed to unpack the fixture zip";
  Sandbox sandbox;
  fs::path zip = fixtures / "metagpt" / "incremental_dev_project" / "number_guessing_game.zip";
  fs::path unpacked = sandbox.file("unpacked");
  std::string command = python->string() + " -c \"import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\" " +
                        zip.string() + " " + unpacked.string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  fs::path project = unpacked / "number_guessing_game";
  ASSERT_TRUE(fs::is_directory(project / "docs" / "prd"));
  const std::string game_before = read_text(project / "number_guessing_game" / "game.py");

  ProcessResult run = sandbox.agentco({"run", "--no-user-config", "--llm", "mock", "--project-path", project.string(),
                                       "add a high-score table"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  const auto log = git_log(project);
  ASSERT_GE(log.size(), 2u);
  EXPECT_NE(log.back().message.find("Import the existing project (metagpt)"), std::string::npos) << log.back().message;
  EXPECT_EQ(read_text(project / "number_guessing_game" / "game.py"), game_before);
  EXPECT_TRUE(fs::exists(project / "number_guessing_game" / "high_score_table.py"))
      << "new sources go where MetaGPT keeps its sources";
  json meta = read_json(project / "meta.json");
  EXPECT_EQ(meta["outcome"].value("status", ""), "finished");
  EXPECT_EQ(meta["verdict"].value("tests_failed", -1), 0) << meta.dump(2);
}

}  // namespace
}  // namespace agentco
