#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "importers/importer.hpp"
#include "stats/run_stats.hpp"
#include "support/fixtures.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;

class ImportMetaGpt : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("agentco_import_metagpt_" + std::to_string(::getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
};

TEST_F(ImportMetaGpt, EveryFixtureZipImportsWithItsDocumentsAsMessagesAndItsSources) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  fs::path zips = fixtures / "metagpt" / "incremental_dev_project";
  if (!fs::is_directory(zips)) GTEST_SKIP() << "no MetaGPT zips in " << fixtures;
  if (::system("unzip -v >/dev/null 2>&1") != 0) GTEST_SKIP() << "unzip is not installed";
  int imported = 0;
  for (const auto& e : fs::directory_iterator(zips)) {
    if (e.path().extension() != ".zip") continue;
    SCOPED_TRACE(e.path().filename().string());
    auto report = import_run(ImportRequest{"metagpt", e.path(), out_ / e.path().stem(), out_});
    ASSERT_TRUE(report.ok()) << report.error().message;
    ++imported;
    auto trace = read_trace(report->project / "run.jsonl");
    ASSERT_TRUE(trace.ok());
    std::map<std::string, int> types;
    std::map<std::string, std::string> cause_by_sender;
    for (const auto& r : trace->records) {
      ++types[r.value("type", "")];
      if (r.value("type", "") == "message") cause_by_sender[r.value("sent_from", "")] = r.value("cause_by", "");
    }
    EXPECT_EQ(types["run_start"], 1);
    EXPECT_EQ(types["run_end"], 1);
    EXPECT_EQ(cause_by_sender["Alice"], "WritePRD");
    EXPECT_EQ(cause_by_sender["Bob"], "WriteDesign");
    EXPECT_EQ(cause_by_sender["Eve"], "WriteTasks");
    EXPECT_GE(types["file_write"], 8);
    EXPECT_GE(types["commit"], 4);
    auto stats = compute_run_stats(report->project);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats->source, "metagpt");
    EXPECT_GT(stats->lines_of_code, 10);
    EXPECT_EQ(stats->total.calls, 0);
    EXPECT_FALSE(report->warnings.empty());  // no model calls, no test runs
    EXPECT_TRUE(fs::is_regular_file(report->project / "docs" / "requirement.txt"));
  }
  EXPECT_EQ(imported, 4);
}

TEST_F(ImportMetaGpt, AFolderThatIsNoWorkspaceIsAClearError) {
  fs::create_directories(out_ / "empty");
  auto report = import_run(ImportRequest{"metagpt", out_ / "empty", out_ / "x", out_});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace agentco
