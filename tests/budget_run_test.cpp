// Money through the real binary: agentco runs against the fake-llm-server program whose
// replies name dated models (gpt-4o-mini-2024-07-18, as real servers answer) and report cached
// prompt tokens. A run is priced (cost > 0 in meta.json and in `agentco stats`), and an
// --investment of about a third of a full run's cost stops the run with exit 3 without ever
// spending past it, although files are coded and rewritten concurrently (12 files, llm.concurrency 4).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
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

// One review and one test round; code calls overlap (latency, four at once); max_tokens above
// the longest scripted reply (the task list, ~530 tokens) yet small enough that several calls'
// worst cases fit in the budget at once.
constexpr const char* kConfig =
    "llm:\n"
    "  concurrency: 4\n"
    "  max_tokens: 640\n"
    "  timeout_connect_s: 2\n"
    "  timeout_first_byte_s: 5\n"
    "  timeout_idle_s: 5\n"
    "  timeout_total_s: 30\n"
    "  max_retries: 2\n"
    "  retry_base_s: 0.05\n"
    "  retry_max_s: 0.2\n"
    "run:\n"
    "  code_review_rounds: 1\n"
    "  test_rounds: 1\n";

// The scripted project's server, answering gpt-4o-mini with a dated name and a prompt cache.
// With `reviews_ask_for_rewrites`, every file's review asks for one rewrite (the rewrites run
// concurrently, as the first versions do).
std::string script_for(int files, bool reviews_ask_for_rewrites) {
  testing::ScriptOptions options;
  if (reviews_ask_for_rewrites) {
    options.first_rules = json::array({{{"match", {{"regex", "Review \\w+\\.py"}}},
                                        {"times", files},
                                        {"reply", "## Code Review Result\nLBTM"}}});
  }
  options.ttft_ms = 40;
  options.tokens_per_second = 2000;
  json script = testing::scripted_project_script(testing::scripted_project(files), options);
  script["models"] = {"gpt-4o-mini"};
  script["report_model"] = "gpt-4o-mini-2024-07-18";
  script["cache"] = {{"style", "openai"}, {"min_tokens", 64}, {"block", 16}};
  return script.dump();
}

// The most model calls that were open at once, from the trace.
int most_calls_open(const AgentcoRun& run) {
  std::set<long> open;
  std::size_t most = 0;
  for (const auto& r : run.trace) {
    const std::string type = r.value("type", "");
    if (type == "llm_request") open.insert(r.value("call_id", -1L));
    if (type == "llm_response" || type == "llm_error") open.erase(r.value("call_id", -1L));
    most = std::max(most, open.size());
  }
  return static_cast<int>(most);
}

double traced_cost(const AgentcoRun& run) {
  double sum = 0;
  for (const auto& r : run.of_type("llm_response")) sum += r.value("cost_usd", 0.0);
  return sum;
}

class BudgetRun : public ::testing::Test {
 protected:
  BudgetRun() : sandbox_("budget_run") { testing::spill(sandbox_.file("config.yaml"), kConfig); }

  void start_server(int files, bool reviews_ask_for_rewrites = false) {
    server_ = std::make_unique<FakeServerProcess>(
        sandbox_.root() / "server", FakeServerProcess::Options{script_for(files, reviews_ask_for_rewrites), "", false});
    ASSERT_TRUE(server_->ok());
  }

  AgentcoRun run(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"run",          "--no-user-config",   "--warehouse", sandbox_.warehouse().string(),
                                     "--llm-base-url", server_->base_url(), "--model",     "gpt-4o-mini",
                                     "--config",     sandbox_.file("config.yaml").string(), "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("a scripted project of modules");
    return sandbox_.collect(testing::run_process(sandbox_.options(args, {})));
  }

  json stats_json(const AgentcoRun& run) {
    auto result = testing::run_process(sandbox_.options({"stats", run.folder.string(), "--format", "json"}, {}));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return json::parse(result.out, nullptr, false);
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(BudgetRun, AServerNamingDatedModelsYieldsAPricedRunWithCachedTokens) {
  start_server(3);
  const AgentcoRun full = run();
  ASSERT_EQ(full.process.exit_code, 0) << full.describe();
  testing::expect_work_kept(full, "idle");

  const json& total = full.meta["total"];
  EXPECT_GT(total.value("cost_usd", 0.0), 0.0) << full.meta.dump(2);
  EXPECT_GT(total.value("cached_tokens", 0L), 0) << full.meta.dump(2);
  for (const auto& role : full.meta["roles"]) {
    if (role.value("calls", 0L) > 0) {
      EXPECT_GT(role.value("cost_usd", 0.0), 0.0) << role.dump();
    }
  }
  for (const auto& r : full.of_type("llm_response")) {
    EXPECT_EQ(r.value("model", ""), "gpt-4o-mini-2024-07-18");
    EXPECT_EQ(r.value("priced_as", ""), "gpt-4o-mini");
    EXPECT_GT(r.value("cost_usd", 0.0), 0.0);
  }
  EXPECT_EQ(full.process.err.find("no price known"), std::string::npos) << full.process.err;

  const json stats = stats_json(full);
  ASSERT_TRUE(stats.is_object());
  EXPECT_NEAR(stats["total"].value("cost_usd", 0.0), total.value("cost_usd", 0.0), 1e-9);
  EXPECT_EQ(stats["total"].value("cached_tokens", 0L), total.value("cached_tokens", 0L));
  EXPECT_GT(stats["total"].value("prefix_share", 0.0), 0.0);
  EXPECT_GT(stats["runs"][0]["total"].value("prefix_share", 0.0), 0.0);
}

TEST_F(BudgetRun, AThirdOfAFullRunsCostStopsWithExitThreeAndIsNeverOverspentByParallelCalls) {
  // Each file: code, review (LBTM), rewrite, review; so the coding is most of the run's cost.
  std::string config = kConfig;
  config.replace(config.find("code_review_rounds: 1"), 21, "code_review_rounds: 2");
  testing::spill(sandbox_.file("config.yaml"), config);
  start_server(12, /*reviews_ask_for_rewrites=*/true);
  const AgentcoRun full = run();
  ASSERT_EQ(full.process.exit_code, 0) << full.describe();
  const double full_cost = full.meta["total"].value("cost_usd", 0.0);
  ASSERT_GT(full_cost, 0.0);
  EXPECT_GE(most_calls_open(full), 2) << "files are coded concurrently";

  const double investment = full_cost / 3;
  const AgentcoRun stopped = run({"--investment", fmt::format("{:.8f}", investment)});
  ASSERT_EQ(stopped.process.exit_code, 3) << stopped.describe();
  testing::expect_work_kept(stopped, "budget");
  const double spent = stopped.meta["total"].value("cost_usd", -1.0);
  EXPECT_GT(spent, 0.0);
  EXPECT_LE(spent, investment) << "meta.json: spent past the investment";
  EXPECT_LE(traced_cost(stopped), investment) << "the trace: spent past the investment";
  EXPECT_NEAR(traced_cost(stopped), spent, 1e-9);
  EXPECT_GE(most_calls_open(stopped), 2) << "calls ran concurrently before the budget stopped the run";
  ASSERT_FALSE(stopped.of_type("budget").empty());
  const json refusal = stopped.of_type("budget").back();
  EXPECT_GT(refusal.value("spent_usd", 0.0) + refusal.value("next_worst_case_usd", 0.0), investment);
  RecordProperty("full_run_usd", fmt::format("{:.6f}", full_cost));
  RecordProperty("investment_usd", fmt::format("{:.6f}", investment));
  RecordProperty("spent_usd", fmt::format("{:.6f}", spent));
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
