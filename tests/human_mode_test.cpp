// Human modes through the binary, with the answers piped to its stdin: --human ROLE (accept
// the model's draft with Enter, or type the answer ending with a line "."), and
// --review-by-human (a person's LBTM leads to a rewrite). The built-in mock drafts.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/floor_run.hpp"

namespace {

using namespace agentco::testing::floor;

FloorRun run_human(const TempDir& dir, std::vector<std::string> args, const std::string& stdin_text) {
  RunOptions options;
  options.args = {"--llm", "mock"};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.idea = "write a cli calculator";
  options.stdin_text = stdin_text;
  return run_agentco(dir, options);
}

json response_for(const FloorRun& run, const std::string& action) {
  std::set<long long> ids;
  for (const auto& r : run.of_type("llm_request"))
    if (r.value("action", "") == action) ids.insert(r.value("call_id", -1LL));
  for (const auto& r : run.of_type("llm_response"))
    if (ids.count(r.value("call_id", -1LL))) return r;
  return nullptr;
}

TEST(HumanModeTest, APersonAcceptsTheModelsDraftWithEnter) {
  TempDir dir;
  FloorRun run = run_human(dir, {"--human", "Alice"}, "\n");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_NE(run.process.stderr_text.find("==== Alice (Product Manager) is asked, for WritePRD ===="), std::string::npos)
      << run.describe();
  EXPECT_NE(run.process.stderr_text.find("---- the model's draft ----"), std::string::npos);
  json prd = response_for(run, "WritePRD");
  ASSERT_FALSE(prd.is_null());
  EXPECT_EQ(prd.value("reasoning", ""), "human accepted the model's draft");
  // Only the PRD was asked of the person.
  EXPECT_EQ(run.process.stderr_text.find("is asked, for WriteDesign"), std::string::npos);
}

TEST(HumanModeTest, APersonTypesTheAnswerForARoleByProfile) {
  TempDir dir;
  json prd = {{"Language", "en_us"},
              {"Programming Language", "Python"},
              {"Original Requirements", "write a cli calculator"},
              {"Project Name", "typed_by_a_person"},
              {"Product Goals", {"Add numbers"}},
              {"User Stories", {"As a user, I add numbers"}},
              {"Competitive Analysis", {"bc"}},
              {"Competitive Quadrant Chart",
               "quadrantChart\n    title T\n    x-axis Low --> High\n    y-axis Low --> High\n    quadrant-1 A\n"
               "    quadrant-2 B\n    quadrant-3 C\n    quadrant-4 D\n    bc: [0.3, 0.6]"},
              {"Requirement Analysis", "Small."},
              {"Requirement Pool", json::array({json::array({"P0", "add"})})},
              {"UI Design draft", "Command line."},
              {"Anything UNCLEAR", ""}};
  FloorRun run = run_human(dir, {"--human", "Product Manager"}, "[CONTENT]\n" + prd.dump() + "\n[/CONTENT]\n.\n");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_NE(run.folder.filename().string().find("typed_by_a_person"), std::string::npos) << run.folder;
  EXPECT_NE(read_all(run.folder / "docs" / "prd.json").find("typed_by_a_person"), std::string::npos);
  json response = response_for(run, "WritePRD");
  ASSERT_FALSE(response.is_null());
  EXPECT_EQ(response.value("reasoning", ""), "human answer");
  EXPECT_EQ(response.value("model", ""), "human");
}

TEST(HumanModeTest, AHumanReviewersLbtmLeadsToARewrite) {
  TempDir dir;
  // The first review shown gets LBTM with a change; end of input accepts every later draft.
  FloorRun run = run_human(dir, {"--review-by-human"},
                      "## Code Review Result\nLBTM\n1. describe() needs a clearer docstring.\n.\n");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_NE(run.process.stderr_text.find("(Engineer) is asked, for WriteCode"), std::string::npos) << run.describe();
  std::string lbtm_file;
  int lbtm = 0, lgtm = 0;
  for (const auto& r : run.of_type("review")) {
    if (r.value("verdict", "") == "LBTM") {
      ++lbtm;
      lbtm_file = r.value("file", "");
    } else {
      ++lgtm;
    }
  }
  EXPECT_EQ(lbtm, 1) << run.describe();
  EXPECT_EQ(lgtm, 4);  // 4 files; the LBTM one reviewed again after its rewrite
  bool rewritten = false;
  for (const auto& c : run.of_type("commit"))
    if (c.value("message", "") == "RewriteCode: " + lbtm_file + " (review round 1)") rewritten = true;
  EXPECT_TRUE(rewritten) << lbtm_file;
  // Every review was asked of the person, one at a time: no question interleaves another.
  const std::string& err = run.process.stderr_text;
  std::size_t asked = 0;
  for (auto pos = err.find("is asked, for WriteCode"); pos != std::string::npos;
       pos = err.find("is asked, for WriteCode", pos + 1)) {
    ++asked;
  }
  EXPECT_EQ(asked, 5u);
}

TEST(HumanModeTest, AnUnknownRoleIsAnErrorBeforeAnyFolderIsMade) {
  TempDir dir;
  FloorRun run = run_human(dir, {"--human", "Nobody"}, "");
  EXPECT_EQ(run.process.exit_code, 2) << run.describe();
  EXPECT_NE(run.process.stderr_text.find("--human Nobody: no such role"), std::string::npos) << run.describe();
  EXPECT_FALSE(fs::exists(dir.path() / "warehouse") && !fs::is_empty(dir.path() / "warehouse"));
}

}  // namespace
