#include "stats/run_stats.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "stats/stats_report.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json rec(const std::string& type, const std::string& ts, json fields) {
  fields["type"] = type;
  fields["ts"] = ts;
  return fields;
}

std::string t(int second) { return fmt::format("2026-11-27T10:00:{:02}.000Z", second); }

// A small run: PM writes a PRD (one call), Engineer writes code (two calls, one review
// LBTM then LGTM), QA runs tests twice (fail, then pass after a fix).
std::vector<json> synthetic_run() {
  return {
      rec("run_start", t(0), {{"idea", "snake"}, {"started_at", t(0)}}),
      rec("message", t(0), {{"sent_from", "User"}, {"recipients", {"Alice"}}}),
      rec("action_start", t(1), {{"role", "Alice"}, {"action", "WritePRD"}}),
      rec("llm_request", t(1), {{"role", "Alice"}, {"call_id", "1"}}),
      rec("llm_response", t(3), {{"role", "Alice"}, {"call_id", "1"}, {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 50}}},
                                 {"cost_usd", 0.01}, {"latency_s", 2.0}}),
      rec("file_write", t(3), {{"role", "Alice"}, {"path", "docs/prd.md"}, {"content", "# PRD\n\nline\n"}}),
      rec("action_end", t(4), {{"role", "Alice"}, {"action", "WritePRD"}, {"ok", true}}),
      rec("message", t(4), {{"sent_from", "Alice"}, {"recipients", {"Alex", "Edward"}}}),
      rec("action_start", t(5), {{"role", "Alex"}, {"action", "WriteCode"}}),
      rec("llm_request", t(5), {{"role", "Alex"}, {"call_id", "2"}}),
      rec("llm_response", t(6), {{"role", "Alex"}, {"call_id", "2"}, {"usage", {{"prompt_tokens", 200}, {"completion_tokens", 80}}},
                                 {"cost_usd", 0.02}, {"latency_s", 1.0}}),
      rec("file_write", t(6), {{"role", "Alex"}, {"path", "main.py"}, {"content", "import os\n\nprint(1)\n"}}),
      rec("review", t(7), {{"role", "Alex"}, {"file", "main.py"}, {"round", 1}, {"verdict", "LBTM"}}),
      rec("llm_request", t(7), {{"role", "Alex"}, {"call_id", "3"}}),
      rec("llm_error", t(8), {{"role", "Alex"}, {"call_id", "3"}, {"code", "timeout"}}),
      rec("llm_request", t(8), {{"role", "Alex"}, {"call_id", "4"}}),
      rec("llm_response", t(12), {{"role", "Alex"}, {"call_id", "4"}, {"usage", {{"prompt_tokens", 300}, {"completion_tokens", 120}}},
                                  {"cost_usd", 0.03}, {"latency_s", 4.0}}),
      rec("file_write", t(12), {{"role", "Alex"}, {"path", "main.py"}, {"content", "import os\nimport sys\n\nprint(2)\n"}}),
      rec("file_write", t(12), {{"role", "Alex"}, {"path", "tests/test_main.py"}, {"content", "def test():\n  pass\n"}}),
      rec("review", t(13), {{"role", "Alex"}, {"file", "main.py"}, {"round", 2}, {"verdict", "LGTM"}}),
      rec("action_end", t(14), {{"role", "Alex"}, {"action", "WriteCode"}, {"ok", true}}),
      rec("action_start", t(14), {{"role", "Edward"}, {"action", "RunTests"}}),
      rec("execution", t(15), {{"role", "Edward"}, {"round", 1}, {"exit_code", 1}, {"failed", 1}}),
      rec("execution", t(16), {{"role", "Edward"}, {"round", 2}, {"exit_code", 0}, {"failed", 0}}),
      rec("action_end", t(18), {{"role", "Edward"}, {"action", "RunTests"}, {"ok", true}}),
      rec("run_end", t(20), {{"reason", "idle"}, {"duration_s", 20.0}}),
  };
}

const RoleStats& role(const RunStats& run, const std::string& name) {
  for (const auto& r : run.roles)
    if (r.role == name) return r;
  throw std::runtime_error("no role " + name);
}

TEST(RunStats, CountsCallsTokensCostAndLatencyPerRoleAndInTotal) {
  RunStats run = compute_run_stats(synthetic_run(), nullptr);
  const RoleStats& alex = role(run, "Alex");
  EXPECT_EQ(alex.calls, 3);
  EXPECT_EQ(alex.failed_calls, 1);
  EXPECT_EQ(alex.prompt_tokens, 500);
  EXPECT_EQ(alex.completion_tokens, 200);
  EXPECT_NEAR(alex.cost_usd, 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(alex.latency_p50_s, 1.0);
  EXPECT_DOUBLE_EQ(alex.latency_p95_s, 4.0);
  EXPECT_EQ(run.total.calls, 4);
  EXPECT_EQ(run.total.prompt_tokens, 600);
  EXPECT_EQ(run.total.completion_tokens, 250);
  EXPECT_NEAR(run.total.cost_usd, 0.06, 1e-12);
  EXPECT_DOUBLE_EQ(run.total.latency_p50_s, 2.0);
  EXPECT_DOUBLE_EQ(run.total.latency_p95_s, 4.0);
}

TEST(RunStats, SplitsEachRolesWallTimeIntoWorkingAndWaiting) {
  RunStats run = compute_run_stats(synthetic_run(), nullptr);
  EXPECT_DOUBLE_EQ(run.wall_s, 20.0);
  EXPECT_DOUBLE_EQ(role(run, "Alice").working_s, 3.0);
  EXPECT_DOUBLE_EQ(role(run, "Alice").waiting_s, 17.0);
  EXPECT_DOUBLE_EQ(role(run, "Alex").working_s, 9.0);
  EXPECT_DOUBLE_EQ(role(run, "Edward").working_s, 4.0);
  // The team worked from 1 to 4, 5 to 14 and 14 to 18: 16 s of 20.
  EXPECT_DOUBLE_EQ(run.total.working_s, 16.0);
  EXPECT_DOUBLE_EQ(run.total.waiting_s, 4.0);
}

TEST(RunStats, CountsMessagesReviewsTestRoundsFilesAndLinesOfCode) {
  RunStats run = compute_run_stats(synthetic_run(), nullptr);
  EXPECT_EQ(role(run, "User").messages_sent, 1);
  EXPECT_EQ(role(run, "Alice").messages_sent, 1);
  EXPECT_EQ(role(run, "Alice").messages_received, 1);
  EXPECT_EQ(role(run, "Alex").messages_received, 1);
  EXPECT_EQ(role(run, "Alex").review_rounds, 2);
  EXPECT_EQ(role(run, "Edward").test_rounds, 2);
  EXPECT_EQ(run.total.messages_sent, 2);
  EXPECT_EQ(run.test_fix_rounds, 1);
  EXPECT_EQ(run.files, 3);
  // main.py's last content has 3 non-blank lines; docs and tests are not code.
  EXPECT_EQ(run.lines_of_code, 3);
  EXPECT_EQ(run.verdict, "passed");
  EXPECT_EQ(run.outcome, "idle");
}

TEST(RunStats, TakesTheVerdictFromMetaJsonWhenPresent) {
  json meta = {{"verdict", {{"tests_passed", 3}, {"tests_failed", 1}, {"decision", "rounds_exhausted"}}}};
  EXPECT_EQ(compute_run_stats(synthetic_run(), meta).verdict, "failed");
  meta = {{"verdict", {{"decision", "not_run"}}}};
  EXPECT_EQ(compute_run_stats(synthetic_run(), meta).verdict, "not_run");
}

TEST(RunStats, ImportedRecordsUseTheSourceToolsTimeAndCodeExtensions) {
  std::vector<json> records = {
      rec("run_start", t(50), {{"at", "2023-10-22T15:41:24.000Z"}, {"imported_from", {{"tool", "chatdev"}, {"code_extensions", {".py"}}}}}),
      rec("file_write", t(50), {{"at", "2023-10-22T15:42:00.000Z"}, {"role", "Programmer"}, {"path", "main.py"}, {"content", "a\nb\n"}}),
      rec("file_write", t(50), {{"at", "2023-10-22T15:42:00.000Z"}, {"role", "Programmer"}, {"path", "index.html"}, {"content", "<p>\n"}}),
      rec("run_end", t(51), {{"at", "2023-10-22T15:46:24.000Z"}, {"reason", "idle"}}),
  };
  RunStats run = compute_run_stats(records, nullptr);
  EXPECT_EQ(run.source, "chatdev");
  EXPECT_DOUBLE_EQ(run.wall_s, 300.0);
  EXPECT_EQ(run.lines_of_code, 2);
  EXPECT_EQ(run.files, 2);
  EXPECT_EQ(run.verdict, "");
}

class StatsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("agentco_stats_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path write_run(const std::string& name) {
    fs::path dir = root_ / name;
    fs::create_directories(dir);
    auto writer = TraceWriter::open(dir / "run.jsonl");
    EXPECT_TRUE(writer.ok());
    for (auto r : synthetic_run()) {
      std::string type = r["type"];
      r.erase("type");
      r["at"] = r["ts"];
      r.erase("ts");
      (*writer)->append(type, r);
    }
    std::ofstream(dir / "meta.json") << R"({"verdict": {"decision": "passed", "tests_failed": 0}})";
    return dir;
  }
  fs::path root_;
};

TEST_F(StatsFiles, ReadsAFolderATraceFileAndEveryRunOfAWarehouse) {
  fs::path a = write_run("a_run");
  write_run("b_run");
  fs::create_directories(root_ / "not_a_run");
  auto one = compute_run_stats(a);
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->name, "a_run");
  EXPECT_EQ(one->total.calls, 4);
  EXPECT_TRUE(compute_run_stats(a / "run.jsonl").ok());
  auto runs = find_runs(root_);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[1].filename(), "b_run");
  auto none = find_runs(root_ / "not_a_run");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("not_a_run"), std::string::npos);
  auto missing = compute_run_stats(root_ / "nowhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nowhere"), std::string::npos);
}

TEST_F(StatsFiles, TablesAlignAndColourOnlyWhenAsked) {
  auto a = compute_run_stats(write_run("a_run"));
  auto b = compute_run_stats(write_run("a_much_longer_run_name"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<RunStats> runs{*a, *b};
  std::string plain = render_stats_table(runs, TableStyle{false, false});
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  // Every line of the runs table has the same width up to its last column.
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < plain.size()) {
    auto nl = plain.find('\n', start);
    lines.push_back(plain.substr(start, nl - start));
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 5u);  // header, rule, two runs, totals
  for (const auto& line : lines) EXPECT_EQ(display_width(line), display_width(lines[1])) << line;
  EXPECT_NE(lines[4].find("total (2 runs)"), std::string::npos);
  std::string colored = render_stats_table(runs, TableStyle{true, true});
  EXPECT_NE(colored.find("\x1b[32mpassed"), std::string::npos);
  EXPECT_NE(colored.find("Alex"), std::string::npos);
}

TEST_F(StatsFiles, CsvAndJsonHoldOneRowPerRoleAndTotals) {
  auto a = compute_run_stats(write_run("a_run"));
  ASSERT_TRUE(a.ok());
  std::string csv = render_stats_csv({*a});
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 + 1);  // header, 4 roles, total
  EXPECT_NE(csv.find("a_run,agentco,total,4,1,600,250,"), std::string::npos) << csv;
  json j = render_stats_json({*a});
  EXPECT_EQ(j["total"]["calls"], 4);
  EXPECT_EQ(j["runs"][0]["roles"].size(), 4u);
  EXPECT_EQ(j["runs"][0]["verdict"], "passed");
}

TEST(DisplayWidth, CountsWideCharactersTwice) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("赛车"), 4u);
}

// Found by fuzz/trace_fuzz.cpp: members of other types or absurd sizes in a trace (an edited
// or imported file) threw from json::value() or converted out of range. Now they count as 0.
TEST(RunStats, WronglyTypedOrHugeMembersCountAsNothingInsteadOfThrowing) {
  std::vector<json> records = {
      {{"seq", 1}, {"type", "run_start"}, {"ts", "-2147483648-01-01T00:00:00Z"}, {"imported_from", {{"tool", 5}}}},
      {{"seq", 2}, {"type", "llm_response"}, {"role", "Alice"}, {"usage", {{"prompt_tokens", 1e300}}}},
      {{"seq", 3}, {"type", "execution"}, {"role", "Bob"}, {"round", -1e300}, {"exit_code", "x"}, {"timed_out", 1}},
  };
  const json meta = {{"verdict", {{"decision", 5}, {"tests_failed", "x"}, {"program", {{"started", "no"}}}}}};
  RunStats run;
  ASSERT_NO_THROW(run = compute_run_stats(records, meta));
  EXPECT_EQ(run.source, "");
  EXPECT_EQ(run.total.prompt_tokens, 1000000000000L);  // clamped to 10^12
}

}  // namespace
}  // namespace agentco
