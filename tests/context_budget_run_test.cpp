// The context budget end to end: the real binary against fake-llm-server's reading model
// (`read: true`: every request is answered from its prompt alone), a 12-file project, and a
// small llm.context_window. With 4,500 tokens the run must leave things out (the whole code
// listing of the summary and the manual is over three quarters of it) but every prompt can be
// made to fit: it finishes, the trace says what was dropped, and no request asks for more than
// the window. With 2,500 tokens the documents and every file's own prompts still fit (they show
// the design only as it concerns their file), the summary of all the code cannot: the run stops
// with the "context" error in one line, exit 1, and the PRD, design, tasks and code are kept.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/support/context_run.hpp"
#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

constexpr const char* kIdea = "write a cli inventory tool with 12 files";

std::string config_with_window(const std::string& base_url, long window) {
  return "llm:\n"
         "  base_url: " +
         base_url +
         "\n"
         "  model: fake-model\n"
         "  context_window: " +
         std::to_string(window) +
         "\n"
         "  timeout_total_s: 30\n"
         "  max_retries: 1\n"
         "  retry_base_s: 0.05\n";
}

class ContextBudgetRun : public ::testing::Test {
 protected:
  ContextBudgetRun() : sandbox_("context_budget_run") {
    server_ = std::make_unique<FakeServerProcess>(
        sandbox_.root() / "server", FakeServerProcess::Options{"rules:\n  - read: true\n", "", false});
  }

  AgentcoRun run(long window) {
    EXPECT_TRUE(server_->ok());
    return testing::run_with_config(sandbox_, config_with_window(server_->base_url(), window), kIdea);
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(ContextBudgetRun, ASmallWindowMakesTheTwelveFileRunLeaveThingsOutButItFinishes) {
  AgentcoRun run = this->run(4500);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");

  const auto drops = run.of_type("context_drop");
  ASSERT_FALSE(drops.empty()) << "the whole code listing does not fit 4,500 tokens";
  for (const auto& drop : drops) {
    EXPECT_EQ(drop.value("window", 0L), 4500) << drop.dump();
    EXPECT_LT(drop.value("tokens_after", 0L), drop.value("tokens_before", 0L)) << drop.dump();
  }
  EXPECT_GE(run.of_type("llm_request").size(), 40u) << "the whole project was written";
  EXPECT_LE(testing::largest_request(run), 4500);
  const auto windows = run.of_type("context_window");
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].value("source", ""), "llm.context_window");
}

TEST_F(ContextBudgetRun, AWindowFarTooSmallStopsTheRunWithTheContextErrorAndKeepsTheFinishedWork) {
  AgentcoRun run = this->run(2500);
  ASSERT_EQ(run.process.exit_code, 1) << run.describe();
  testing::expect_work_kept(run, "failed");

  // One line says why, naming the step (and its file, when it is about one), the sizes and the
  // window's source. Every file's own prompt fits 2,500 tokens; the summary, which shows the
  // code of all twelve, does not even with the code cut to names.
  const std::regex why(
      R"(run failed: Alex \(Engineer\) could not finish WriteCode: Alex WriteCode( for \w+\.py)?: the prompt needs )"
      R"(about \d+ tokens, but model 'fake-model' has a context window of 2500 tokens \(llm\.context_window\) and )"
      R"(625 are kept for the reply; nothing more can be left out\. [^\n]*llm\.context_window[^\n]*\n)");
  EXPECT_TRUE(std::regex_search(run.process.err, why)) << run.tail();
  bool context_error = false;
  for (const auto& end : run.of_type("action_end"))
    context_error = context_error || end.value("code", "") == "context";
  EXPECT_TRUE(context_error);

  for (const char* kept : {"docs/prd.json", "docs/system_design.json", "docs/tasks.json"})
    EXPECT_TRUE(std::filesystem::exists(run.folder / kept)) << kept;
  EXPECT_LE(testing::largest_request(run), 2500) << "nothing was sent that does not fit";
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
