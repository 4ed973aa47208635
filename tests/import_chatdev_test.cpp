#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "importers/chatdev_log.hpp"
#include "importers/importer.hpp"
#include "stats/run_stats.hpp"
#include "support/fixtures.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using namespace chatdev;

TEST(ChatDevLog, SplitsRecordsAndReadsDayBeforeMonth) {
  std::string log =
      "[2023-22-10 15:41:24 INFO] **[Preprocessing]**\n\nline\n"
      "[2023-22-10 15:41:33 INFO] **[OpenAI_Usage_Info Receive]**\nprompt_tokens: 441\ncompletion_tokens: 59\n"
      "total_tokens: 500\ncost: $0.001559\n";
  SplitLog split = split_log(log, "");
  ASSERT_EQ(split.records.size(), 2u);
  EXPECT_EQ(split.records[0].at, "2023-10-22T15:41:24.000Z");
  EXPECT_EQ(split.records[1].line, 4u);
  Usage u = parse_usage(split.records[1].body);
  EXPECT_EQ(u.prompt_tokens, 441);
  EXPECT_EQ(u.completion_tokens, 59);
  EXPECT_DOUBLE_EQ(u.logged_cost, 0.001559);
}

TEST(ChatDevLog, AmbiguousDatesFollowTheFolderStamp) {
  std::string log = "[2023-06-10 15:49:37 INFO] x\n";
  EXPECT_EQ(split_log(log, "20231006154305").records[0].at, "2023-10-06T15:49:37.000Z");
  EXPECT_EQ(split_log(log, "20230610154305").records[0].at, "2023-06-10T15:49:37.000Z");
}

TEST(ChatDevLog, AppliesUnifiedDiffsAsDifflibWritesThem) {
  bool clean = false;
  auto created = apply_unified_diff({"# None"}, {"@@ -1 +1,2 @@", "-# None", "+a = 1", "+print(a)"}, clean);
  EXPECT_TRUE(clean);
  EXPECT_EQ(created, (std::vector<std::string>{"a = 1", "print(a)"}));
  std::vector<std::string> old{"1", "2", "3", "4", "5", "6", "7", "8", "9"};
  auto changed = apply_unified_diff(old, {"@@ -5,3 +5,3 @@", " 5", "-6", "+six", " 7"}, clean);
  EXPECT_TRUE(clean);
  EXPECT_EQ(changed, (std::vector<std::string>{"1", "2", "3", "4", "5", "six", "7", "8", "9"}));
  // A file changed without a log entry: the diff is all that is known after its first line.
  auto unknown = apply_unified_diff(old, {"@@ -5,3 +5,3 @@", " 5", "-X", "+six", " 7"}, clean);
  EXPECT_FALSE(clean);
  EXPECT_EQ(unknown, (std::vector<std::string>{"1", "2", "3", "4", "5", "six", "7"}));
}

TEST(ChatDevLog, ExtractsCodeBlocksAsChatDevsCodesClassNamesThem) {
  std::string reply =
      "Here it is.\n\nmain.py\n```python\nimport game\n\nif __name__ == \"__main__\":\n    game.run()\n```\n\n"
      "**Game.py**\n```python\nclass Game:\n    pass\n```\n"
      "and\n```python\nclass Board(object):\n    pass\n```\n"
      "FILENAME\n```python\nCODE\n```\n";
  auto files = extract_codes(reply);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "main.py");
  EXPECT_EQ(files[0].second, "import game\nif __name__ == \"__main__\":\n    game.run()");
  EXPECT_EQ(files[1].first, "game.py");
  EXPECT_EQ(files[2].first, "board.py");
}

TEST(ChatDevLog, ReadsBothSoftwareInfoFormats) {
  auto now = parse_software_info("**[Software Info]**:\n\n💰**cost**=$0.018538\n\n📃**code_lines**=26\n\n"
                                 "❓**num_prompt_tokens**=8347\n🕑**duration**=345.00s\n");
  EXPECT_DOUBLE_EQ(now["cost"], 0.018538);
  EXPECT_DOUBLE_EQ(now["code_lines"], 26);
  EXPECT_DOUBLE_EQ(now["num_prompt_tokens"], 8347);
  EXPECT_DOUBLE_EQ(now["duration"], 345);
  auto old = parse_software_info("Software Info: version_updates: -1 num_code_files: 1 code_lines: 81 env_lines: 0\n");
  EXPECT_DOUBLE_EQ(old["code_lines"], 81);
  EXPECT_DOUBLE_EQ(old["version_updates"], -1);
}

// The log's own last figure for `key` ("**key**=v" or the older "key: v"), -1 when absent.
double logged_figure(const std::string& log, const std::string& key) {
  double value = -1;
  std::regex re("(?:\\*\\*" + key + "\\*\\*=\\$?|" + key + ": )(-?[0-9.]+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it)
    value = std::stod((*it)[1]);
  return value;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool has_warning(const ImportReport& report, const std::string& text) {
  for (const auto& w : report.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

class ImportChatDev : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("agentco_import_chatdev_" + std::to_string(::getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
};

TEST_F(ImportChatDev, EveryFixtureLogImportsAndItsStatsAgreeWithItsSoftwareInfo) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  fs::path logs = fixtures / "chatdev-logs";
  if (!fs::is_directory(logs)) GTEST_SKIP() << "no chatdev-logs in " << fixtures;
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(logs))
    if (e.is_directory()) runs.push_back(e.path());
  std::sort(runs.begin(), runs.end());
  EXPECT_EQ(runs.size(), 20u);
  for (const auto& dir : runs) {
    SCOPED_TRACE(dir.filename().string());
    fs::path log;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".log") log = e.path();
    ImportRequest request{"chatdev", log, out_ / dir.filename(), out_};
    auto report = import_run(request);
    ASSERT_TRUE(report.ok()) << report.error().message;
    auto stats = compute_run_stats(report->project);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats->source, "chatdev");
    EXPECT_TRUE(stats->warnings.empty());

    std::string text = read_text(log);
    double prompt = logged_figure(text, "num_prompt_tokens");
    double completion = logged_figure(text, "num_completion_tokens");
    double cost = logged_figure(text, "cost");
    double code_lines = logged_figure(text, "code_lines");
    if (prompt >= 0) { EXPECT_EQ(stats->total.prompt_tokens, static_cast<long>(prompt)); }
    if (completion >= 0) { EXPECT_EQ(stats->total.completion_tokens, static_cast<long>(completion)); }
    if (cost > 0) { EXPECT_NEAR(stats->total.cost_usd, cost, 5e-6); }
    if (code_lines >= 0) {
      EXPECT_EQ(stats->lines_of_code, static_cast<long>(code_lines));
    }
    // requirements.txt and manual.md as ChatDev wrote them (its env_lines, manual_lines).
    for (const auto& [key, file] : {std::pair<std::string, std::string>{"env_lines", "requirements.txt"}, {"manual_lines", "manual.md"}}) {
      double logged = logged_figure(text, key);
      if (logged <= 0) continue;
      long lines = 0;
      std::ifstream in(report->project / file);
      for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t\r") != std::string::npos) ++lines;
      EXPECT_EQ(lines, static_cast<long>(logged)) << file;
    }
    if (prompt < 0 || code_lines < 0 || cost <= 0) { EXPECT_FALSE(report->warnings.empty()); }
    // Every usage record of the log became one model call.
    long usage_records = 0;
    for (std::size_t at = 0; (at = text.find("\nprompt_tokens:", at)) != std::string::npos; ++at) ++usage_records;
    if (usage_records > 0) { EXPECT_EQ(stats->total.calls, usage_records); }
  }
}

TEST_F(ImportChatDev, OldAndUnfinishedLogsSayWhatTheyLack) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  fs::path logs = fixtures / "chatdev-logs";
  if (!fs::is_directory(logs / "Calculator_THUNLP_20230628184918")) GTEST_SKIP() << "fixture logs missing";
  auto import = [&](const std::string& dir, const std::string& file) {
    ImportRequest request{"chatdev", logs / dir / file, out_ / dir, out_};
    auto report = import_run(request);
    EXPECT_TRUE(report.ok()) << dir << ": " << (report.ok() ? "" : report.error().message);
    return report.ok() ? *report : ImportReport{};
  };
  auto calculator = import("Calculator_THUNLP_20230628184918", "20230628184918.log");
  EXPECT_TRUE(has_warning(calculator, "no model calls"));
  EXPECT_TRUE(has_warning(calculator, "no Software Info"));
  EXPECT_FALSE(has_warning(calculator, "did not finish"));  // "AgentTech Ends"
  auto timer = import("timer_THUNLP_20230823091709", "20230823091709.log");
  EXPECT_TRUE(has_warning(timer, "did not finish"));
  auto car = import("car_THUNLPDemo_2024", "Demo_DefaultOrganization_20241221131803.log");
  EXPECT_TRUE(has_warning(car, "no token usage"));
  auto flappy = import("FlappyBird_THUNLP_20230726121145", "20230726121145.log");
  auto stats = compute_run_stats(flappy.project);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->lines_of_code, 81);  // taken from the programmer's replies
  EXPECT_TRUE(fs::is_regular_file(flappy.project / "main.py"));
}

TEST_F(ImportChatDev, WritesTheFilesAGitHistoryAndMeta) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  fs::path dir = fixtures / "chatdev-logs" / "RandomPick_ModelBest1024_20231022154124";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "fixture log missing";
  ImportRequest request{"chatdev", dir, out_ / "rp", out_};
  auto report = import_run(request);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(fs::is_regular_file(report->project / "main.py"));
  EXPECT_TRUE(fs::is_directory(report->project / ".git"));
  auto trace = read_trace(report->project / "run.jsonl");
  ASSERT_TRUE(trace.ok());
  std::map<std::string, int> types;
  for (const auto& r : trace->records) ++types[r.value("type", "")];
  EXPECT_EQ(types["run_start"], 1);
  EXPECT_EQ(types["run_end"], 1);
  EXPECT_EQ(types["imported_summary"], 1);
  EXPECT_EQ(types["llm_request"], 13);
  EXPECT_EQ(types["llm_response"], 13);
  EXPECT_GE(types["commit"], 2);
  EXPECT_GE(types["review"], 1);
  EXPECT_EQ(types["execution"], 1);
  EXPECT_EQ(types["action_start"], types["action_end"]);
  EXPECT_GT(types["message"], 20);
  EXPECT_EQ(trace->records.front()["imported_from"]["tool"], "chatdev");
  auto meta = nlohmann::json::parse(read_text(report->project / "meta.json"));
  EXPECT_EQ(meta["lines_of_code"], 26);
  EXPECT_EQ(meta["verdict"]["decision"], "passed");
  // A second import of the same log into the same --out is refused.
  auto again = import_run(request);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("--out"), std::string::npos);
}

TEST_F(ImportChatDev, ALogCutAnywhereStillImports) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  fs::path dir = fixtures / "chatdev-logs" / "car_THUNLPDemo_2024";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "fixture log missing";
  fs::path log;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".log") log = e.path();
  std::string text = read_text(log);
  fs::create_directories(out_);
  // Cuts in the middle of records, diffs and multi-byte characters.
  for (std::size_t i = 1; i <= 24; ++i) {
    std::size_t cut = text.size() * i / 25 + (i % 3);
    fs::path cut_log = out_ / ("cut" + std::to_string(i) + ".log");
    std::ofstream(cut_log, std::ios::binary) << text.substr(0, cut);
    auto report = import_run(ImportRequest{"chatdev", cut_log, out_ / ("cut" + std::to_string(i)), out_});
    ASSERT_TRUE(report.ok()) << "cut at " << cut << ": " << report.error().message;
    EXPECT_TRUE(compute_run_stats(report->project).ok()) << "cut at " << cut;
  }
}

TEST(Import, UnknownToolsAndMissingSourcesAreClearErrors) {
  auto unknown = import_run(ImportRequest{"autogen", "/tmp", "", "/tmp"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("chatdev"), std::string::npos);
  auto missing = import_run(ImportRequest{"chatdev", "/nonexistent/x.log", "", "/tmp"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/x.log"), std::string::npos);
}

// Found by fuzz/chatdev_log_fuzz.cpp: token counts near LONG_MAX overflowed when summed
// (undefined behaviour), and a call before any chat turn (no role yet) made the importer call
// json::value() on a null role entry. Counts are clamped to 10^12 and such a log imports.
TEST(ChatDevLog, HugeTokenCountsAreClampedAndACallBeforeAnyTurnImports) {
  const std::string body =
      "prompt_tokens: 9223372036854775807\ncompletion_tokens: -5\nprompt_tokens: 99999999999999999999\n";
  chatdev::Usage usage = chatdev::parse_usage(body);
  EXPECT_EQ(usage.prompt_tokens, 2000000000000L);
  EXPECT_EQ(usage.completion_tokens, 0);

  char pattern[] = "/tmp/agentco_chatdev_fuzz_XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  fs::copy_file(fs::path(AGENTCO_SOURCE_DIR) / "fuzz/corpus/chatdev_log/regress_huge_token_counts.log",
                dir / "Fuzz_Org_20230825093547.log");
  ImportRequest request{"chatdev", dir / "Fuzz_Org_20230825093547.log", dir / "out", dir};
  Result<ImportReport> report(make_error("", ""));
  ASSERT_NO_THROW(report = import_run(request));
  EXPECT_TRUE(report.ok()) << report.error().message;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace agentco
