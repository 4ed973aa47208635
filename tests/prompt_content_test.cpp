// What a real model is shown, end to end: a run of the real binary against the fake server
// program, with a review that asks for a rewrite, a test that fails, a code fix and a test
// fix. Every request about one file (review, rewrite, fix, test) shows that file verbatim,
// as it was last written before the request; the fixes are shown the failing test and its
// output; the triage is shown the failing test and the source file the traceback names; no
// request carries an unfilled {{variable}}; requests of one kind (code, review, rewrite)
// share a prefix.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/prompt_checks.hpp"
#include "tests/support/scripted_project.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;
using testing::user_prompt;

constexpr const char* kConfig =
    "llm:\n"
    "  timeout_total_s: 30\n"
    "  max_retries: 1\n"
    "  retry_base_s: 0.05\n"
    "run:\n"
    "  code_review_rounds: 2\n"
    "  test_rounds: 3\n";

using testing::has;

std::string system_prompt_of(const json& request_record) {
  for (const auto& m : request_record["request"]["messages"])
    if (m.value("role", "") == "system") return m.value("content", "");
  return "";
}

// A test of view.py that fails until QA fixes it.
std::string failing_view_test() {
  return "import unittest\n\nfrom view import value_view\n\n\nclass TestView(unittest.TestCase):\n"
         "    def test_value(self):\n        self.assertEqual(value_view(), 99)\n\n\n"
         "if __name__ == \"__main__\":\n    unittest.main()\n";
}

class PromptContent : public ::testing::Test {
 protected:
  PromptContent() : sandbox_("prompt_content") { testing::spill(sandbox_.file("config.yaml"), kConfig); }

  AgentcoRun run_project() {
    const auto files = testing::scripted_project(6);
    testing::ScriptOptions options;
    const testing::ScriptedFile* view = nullptr;
    for (const auto& f : files)
      if (f.stem == "view") view = &f;
    json first = json::array();
    // model.py: the first review asks for a rewrite.
    first.push_back({{"match", {{"regex", "Review model\\.py"}}}, {"times", 1},
                     {"reply", "## Code Review: model.py\n1. No. value_model is wrong.\n\n## Actions\n1. Fix it.\n\n"
                               "## Code Review Result\nLBTM"}});
    // tests/test_view.py fails; triage sends view.py to the engineer, then fixes the test.
    first.push_back({{"match", {{"regex", "Write tests/test_view\\.py"}}}, {"times", 1},
                     {"reply", testing::scripted_fenced(failing_view_test())}});
    first.push_back({{"match", {{"regex", "Decide what to do about the failures"}}}, {"times", 1},
                     {"reply", testing::scripted_content({{"Decision", "fix_code"}, {"File", "view.py"},
                                                          {"Reason", "value_view returns 2, the test expects 99"}})}});
    first.push_back({{"match", {{"regex", "Decide what to do about the failures"}}}, {"times", 1},
                     {"reply", testing::scripted_content({{"Decision", "fix_test"}, {"File", "tests/test_view.py"},
                                                          {"Reason", "the design promises no 99"}})}});
    first.push_back({{"match", {{"regex", "Fix view\\.py"}}},
                     {"reply", testing::scripted_fenced(testing::scripted_module_code(*view))}});
    first.push_back({{"match", {{"regex", "Fix the test tests/test_view\\.py"}}},
                     {"reply", testing::scripted_fenced(testing::scripted_test_code(*view))}});
    options.first_rules = first;
    const std::string script = testing::scripted_project_script(files, options).dump();
    server_ = std::make_unique<FakeServerProcess>(sandbox_.root() / "server", FakeServerProcess::Options{script, "", false});
    EXPECT_TRUE(server_->ok());
    return sandbox_.run(server_->base_url(), "a project of 6 files",
                        {"--config", sandbox_.file("config.yaml").string(), "-q"});
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(PromptContent, EveryRequestAboutOneFileShowsThatFileAsLastWritten) {
  AgentcoRun run = run_project();
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");
  std::map<std::string, int> checked = testing::expect_prompts_show_their_files(run);

  std::map<std::string, std::string> written;  // path -> content as of the record being read
  for (const auto& record : run.trace) {
    const std::string type = record.value("type", "");
    if (type == "file_write") {
      written[record.value("path", "")] = record.value("content", "");
      continue;
    }
    if (type != "llm_request") continue;
    const std::string prompt = user_prompt(record);
    const json hints = record.value("hints", json::object());
    const std::string kind = hints.value("kind", "");
    const std::string file = hints.value("file", "");
    if (kind == "fix" || hints.value("step", "") == "fix_test") {
      const std::string test_file = hints.value("test_file", "");
      ASSERT_TRUE(written.count(test_file)) << record.dump();
      EXPECT_TRUE(has(prompt, written[test_file])) << "the fix of " << file << " is not shown the failing test";
      EXPECT_TRUE(has(prompt, "AssertionError")) << "the fix is not shown what the test run printed:\n" << prompt;
      EXPECT_TRUE(has(prompt, "the test expects 99") || has(prompt, "the design promises no 99")) << prompt;
    }
    if (kind == "triage") {
      EXPECT_TRUE(has(prompt, "## The failing test: tests/test_view.py")) << prompt;
      EXPECT_TRUE(has(prompt, written["tests/test_view.py"])) << prompt;
      EXPECT_TRUE(has(prompt, "The source file the traceback points to: view.py")) << prompt;
      EXPECT_TRUE(has(prompt, written["view.py"])) << prompt;
      EXPECT_TRUE(has(prompt, "Traceback")) << prompt;
      ++checked["triage"];
    }
  }
  EXPECT_GE(checked["review"], 6);
  EXPECT_GE(checked["rewrite"], 1);  // after model.py's review
  EXPECT_EQ(checked["fix"], 1);      // view.py, after QA
  EXPECT_GE(checked["test"], 7);     // six test files and one test fix
  EXPECT_EQ(checked["triage"], 2);
  EXPECT_EQ(run.meta["verdict"].value("decision", ""), "passed") << run.meta.dump(2);
}

TEST_F(PromptContent, TheEngineersFileRequestsOfOneKindShareAStablePrefix) {
  AgentcoRun run = run_project();
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  // What starts the file-specific part of each kind of request.
  const std::map<std::string, std::string> file_part = {
      {"code", "\n## Your file: "}, {"review", "\n## The file under review: "}, {"rewrite", "\n## Your file: "}};
  std::map<std::string, std::vector<std::string>> prompts;
  for (const auto& record : run.of_type("llm_request")) {
    const std::string kind = record.value("hints", json::object()).value("kind", "");
    if (file_part.count(kind)) prompts[kind].push_back(system_prompt_of(record) + "\n" + user_prompt(record));
  }
  EXPECT_EQ(prompts["code"].size(), 6u);
  EXPECT_GE(prompts["review"].size(), 6u);
  EXPECT_GE(prompts["rewrite"].size(), 1u);
  // Everything before the file-specific part is the same text in every request of a kind:
  // the role, how QA runs the code, the packages and the step's own instructions.
  for (const auto& [kind, all] : prompts) {
    ASSERT_FALSE(all.empty()) << kind;
    const std::size_t own = all.front().find(file_part.at(kind));
    ASSERT_NE(own, std::string::npos) << kind << ":\n" << all.front();
    const std::string prefix = all.front().substr(0, own);
    EXPECT_TRUE(has(prefix, "### How QA runs the code")) << kind;
    EXPECT_TRUE(has(prefix, "## How to ")) << kind;
    EXPECT_GT(prefix.size(), 1000u) << kind;
    for (const auto& p : all) EXPECT_TRUE(p.starts_with(prefix)) << kind << ":\n" << p.substr(0, 600);
  }
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
