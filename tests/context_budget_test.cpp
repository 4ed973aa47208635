// Pins the fitting in build_request (actions/prompt.hpp): a prompt is assembled to fit the
// model's context window, inputs made leaner in the documented order, each step that leaves
// something out one `context_drop` record; a prompt that cannot fit is an error "context"
// naming role, action, file and sizes; the reply gets min(max_tokens, window/4) and never more
// than the window leaves. One template uses every input that has leaner sizes, each size
// marked so that the prompt shows which one was sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "environment/message_bus.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "llm/mock_provider.hpp"
#include "sop/prompt_library.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kTemplate =
    "## The design\n{{system_design}}\n\n"
    "## The files it imports\n{{dependencies}}\n\n"
    "## The project\n{{code_listing}}\n\n"
    "## What the tests printed\n{{test_output}}\n\n"
    "## Task\nWrite {{file}}.\n";

// The documented order (actions/prompt.hpp), as context_drop records name the steps.
const std::vector<std::string> kOrder = {
    "dependencies: full code -> interfaces", "code listing: full code -> interfaces",
    "documents: whole -> brief",             "dependencies: interfaces -> names",
    "test output: every failure -> the first", "code listing: interfaces -> names",
};

std::string marked(const std::string& marker, char filler, std::size_t bytes) {
  return marker + "\n" + std::string(bytes, filler);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class ContextBudget : public ::testing::Test {
 protected:
  ContextBudget() : slot_{"prompt", "fit_prompt", "a prompt to fit", {}, true}, values_(slot_) {
    slot_.inputs = {Input::kFile, Input::kDependencies, Input::kCodeListing, Input::kTestOutput};
    dir_ = fs::temp_directory_path() / ("agentco_context_budget_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "prompts");
    std::ofstream(dir_ / "prompts" / "fit_prompt.txt") << kTemplate;
    prompts_ = PromptLibrary((dir_ / "prompts").string());

    config_.llm.model = "fake-model";
    config_.llm.max_tokens = 100;
    auto workspace = Workspace::open(dir_ / "project");
    EXPECT_TRUE(workspace.ok()) << workspace.error().message;
    workspace_ = std::move(workspace).value();
    auto trace = TraceWriter::open(dir_ / "run.jsonl");
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    trace_ = std::move(trace).value();
    ledger_ = std::make_unique<CostLedger>(config_.pricing, config_.run.investment);
    gateway_ = std::make_unique<LlmGateway>(std::make_shared<MockProvider>(), *ledger_, trace_.get());
    run_ = std::make_unique<RunContext>(io_.get_executor(), config_, "an idea", bus_, *workspace_, *trace_,
                                        *gateway_, prompts_);

    role_.name = "Alex";
    role_.profile = "Engineer";
    spec_.name = "WriteCode";
    spec_.type = "write_code";
    spec_.templates["prompt"] = "fit_prompt";
    spec_.reads = {"system_design"};

    run_->documents["system_design"] = {{"Implementation approach", "APPROACH one small module"},
                                        {"File list", json::array({"main.py", "store.py"})},
                                        {"Program call flow", marked("CALL-FLOW", 'c', 1500)}};
    run_->document_layouts["system_design"] = {{"Implementation approach", "File list", "Program call flow"},
                                               {"Implementation approach", "File list"}};
    values_.set(Input::kFile, "main.py");
    values_.set_sizes(Input::kDependencies, {{"full code", marked("DEPS-FULL", 'd', 3000)},
                                             {"interfaces", marked("DEPS-IFACE", 'd', 600)},
                                             {"names", "DEPS-NAMES"}});
    values_.set_sizes(Input::kCodeListing, {{"full code", marked("LIST-FULL", 'l', 3000)},
                                            {"interfaces", marked("LIST-IFACE", 'l', 900)},
                                            {"names", "LIST-NAMES"}});
    values_.set_sizes(Input::kTestOutput, {{"every failure", marked("TEST-EVERY", 't', 1500)},
                                           {"first failure", marked("TEST-FIRST", 't', 300)}});
  }

  ~ContextBudget() override {
    run_.reset();
    gateway_.reset();
    trace_.reset();
    workspace_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // build_request with this window (0: unknown), and the trace records it wrote.
  Result<ChatRequest> fit(long window, std::vector<json>* records = nullptr) {
    run_->context_windows.configured = window;
    const std::uint64_t before = trace_->last_seq();
    ActionContext ctx{*run_, role_, spec_, news_, news_};
    Result<ChatRequest> request = build_request(ctx, values_, {{"kind", "code"}, {"file", "main.py"}});
    if (records) {
      records->clear();
      auto contents = read_trace(trace_->path());
      EXPECT_TRUE(contents.ok());
      if (contents.ok())
        for (const auto& r : contents->records)
          if (r.value("seq", 0ull) > before) records->push_back(r);
    }
    return request;
  }

  static std::vector<json> of_type(const std::vector<json>& records, const std::string& type) {
    std::vector<json> out;
    for (const auto& r : records)
      if (r.value("type", "") == type) out.push_back(r);
    return out;
  }

  // The estimate build_request fits: system and user prompt, and 8 for the message framing.
  static long tokens(const ChatRequest& request) {
    long total = 8;
    for (const auto& m : request.messages) total += prompt_tokens_estimate(m.content);
    return total;
  }
  static std::string user(const ChatRequest& request) { return request.messages.back().content; }

  // The whole prompt's estimate: nothing fitted (window unknown).
  long whole() {
    Result<ChatRequest> request = fit(0);
    EXPECT_TRUE(request.ok());
    return request.ok() ? tokens(*request) : 0;
  }

  fs::path dir_;
  Config config_;
  PromptLibrary prompts_;
  MessageBus bus_;
  boost::asio::io_context io_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<TraceWriter> trace_;
  std::unique_ptr<CostLedger> ledger_;
  std::unique_ptr<LlmGateway> gateway_;
  std::unique_ptr<RunContext> run_;
  RoleSpec role_;
  ActionSpec spec_;
  std::vector<MessagePtr> news_;
  TemplateSlot slot_;
  PromptValues values_;
};

TEST_F(ContextBudget, AWindowJustBigEnoughLeavesEverythingIn) {
  const long prompt = whole();
  ASSERT_GT(prompt, 3000);
  std::vector<json> records;
  // max_tokens 100 is under a quarter of the window: the reply keeps 100.
  Result<ChatRequest> request = fit(prompt + 100, &records);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_TRUE(of_type(records, "context_drop").empty()) << records.size();
  EXPECT_EQ(tokens(*request), prompt);
  EXPECT_EQ(request->max_tokens, 100);
  for (const char* marker : {"DEPS-FULL", "LIST-FULL", "TEST-EVERY", "CALL-FLOW", "APPROACH"})
    EXPECT_TRUE(has(user(*request), marker)) << marker;
}

TEST_F(ContextBudget, AsTheWindowShrinksInputsAreDroppedInTheDocumentedOrderOneRecordEach) {
  long previous = whole();
  const long start = previous;
  // What the prompt shows after each step: the marker that must be there and the one gone.
  const std::vector<std::pair<std::string, std::string>> shown = {
      {"DEPS-IFACE", "DEPS-FULL"}, {"LIST-IFACE", "LIST-FULL"},   {"APPROACH", "CALL-FLOW"},
      {"DEPS-NAMES", "DEPS-IFACE"}, {"TEST-FIRST", "TEST-EVERY"}, {"LIST-NAMES", "LIST-IFACE"},
  };
  for (std::size_t steps = 1; steps <= kOrder.size(); ++steps) {
    SCOPED_TRACE("window one token short of the prompt after " + std::to_string(steps - 1) + " steps");
    const long window = previous + 100 - 1;
    std::vector<json> records;
    Result<ChatRequest> request = fit(window, &records);
    ASSERT_TRUE(request.ok()) << request.error().message;
    const std::vector<json> drops = of_type(records, "context_drop");
    ASSERT_EQ(drops.size(), steps);
    long before = start;
    for (std::size_t i = 0; i < drops.size(); ++i) {
      const json& drop = drops[i];
      EXPECT_EQ(drop.value("dropped", ""), kOrder[i]);
      EXPECT_EQ(drop.value("role", ""), "Alex");
      EXPECT_EQ(drop.value("action", ""), "WriteCode");
      EXPECT_EQ(drop.value("template", ""), "fit_prompt");
      EXPECT_EQ(drop.value("file", ""), "main.py");
      EXPECT_EQ(drop.value("window", 0L), window);
      EXPECT_EQ(drop.value("tokens_before", 0L), before);
      EXPECT_LT(drop.value("tokens_after", 0L), before);
      before = drop.value("tokens_after", 0L);
    }
    EXPECT_EQ(tokens(*request), before) << "the last record's tokens_after is what was sent";
    EXPECT_LE(tokens(*request) + request->max_tokens, window);
    EXPECT_TRUE(has(user(*request), shown[steps - 1].first)) << user(*request).substr(0, 400);
    EXPECT_FALSE(has(user(*request), shown[steps - 1].second));
    previous = before;
  }
}

TEST_F(ContextBudget, APromptThatCannotFitEvenAtItsLeanestIsAContextErrorNamingRoleActionFileAndSizes) {
  // The leanest prompt: every step taken. The reply keeps 20 (less than a quarter of these windows).
  config_.llm.max_tokens = 20;
  long leanest = whole();
  for (std::size_t steps = 1; steps <= kOrder.size(); ++steps) {
    std::vector<json> records;
    ASSERT_TRUE(fit(leanest + 19, &records).ok());
    leanest = of_type(records, "context_drop").back().value("tokens_after", 0L);
  }
  ASSERT_TRUE(fit(leanest + 20).ok()) << "the leanest prompt fits a window just its size";

  const long window = leanest + 19;
  std::vector<json> records;
  Result<ChatRequest> request = fit(window, &records);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, "context");
  const std::string& message = request.error().message;
  EXPECT_TRUE(has(message, "Alex WriteCode for main.py")) << message;
  EXPECT_TRUE(has(message, "needs about " + std::to_string(leanest) + " tokens")) << message;
  EXPECT_TRUE(has(message, "model 'fake-model' has a context window of " + std::to_string(window) +
                               " tokens (llm.context_window)"))
      << message;
  EXPECT_TRUE(has(message, "20 are kept for the reply")) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(of_type(records, "context_drop").size(), kOrder.size()) << "what was tried is in the trace";
}

TEST_F(ContextBudget, TheReplyIsKeptAQuarterOfTheWindowWhenMaxTokensIsMore) {
  config_.llm.max_tokens = 4096;
  const long prompt = whole();
  // A window of 4k tokens whose three quarters just hold the prompt: it fits whole although
  // max_tokens (4096) is more than the window leaves, and the reply gets the rest.
  const long quarter = (prompt + 2) / 3 + 1;
  std::vector<json> records;
  Result<ChatRequest> request = fit(4 * quarter, &records);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_TRUE(of_type(records, "context_drop").empty());
  EXPECT_EQ(request->max_tokens, 4 * quarter - prompt);
  EXPECT_GE(request->max_tokens, quarter);
  EXPECT_EQ(request->max_tokens_limit, 4 * quarter - prompt);

  // Two tokens less a quarter: three quarters no longer hold the prompt.
  Result<ChatRequest> smaller = fit(4 * (quarter - 2), &records);
  ASSERT_TRUE(smaller.ok()) << smaller.error().message;
  ASSERT_FALSE(of_type(records, "context_drop").empty());
  EXPECT_LE(tokens(*smaller), 3 * (quarter - 2));
  EXPECT_LE(tokens(*smaller) + smaller->max_tokens, 4 * (quarter - 2));
  EXPECT_GE(smaller->max_tokens, quarter - 2);
}

TEST_F(ContextBudget, TheReplyGetsMaxTokensWhenTheWindowHasRoomAndTheRestMayOnlyGoToARetry) {
  config_.llm.max_tokens = 4096;
  const long prompt = whole();
  Result<ChatRequest> request = fit(100000);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->max_tokens, 4096);
  EXPECT_EQ(request->max_tokens_limit, 100000 - prompt) << "a re-ask after a cut-off may ask for no more";

  config_.llm.max_tokens = 100;
  Result<ChatRequest> small = fit(100000);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->max_tokens, 100);
}

TEST_F(ContextBudget, AStepThatWouldLeaveNothingOutIsNoDrop) {
  // One failure only (both sizes the same), and documents whose brief is all of them.
  values_.set_sizes(Input::kTestOutput, {{"every failure", marked("TEST-ONE", 't', 900)},
                                         {"first failure", marked("TEST-ONE", 't', 900)}});
  run_->document_layouts["system_design"].brief.clear();
  std::vector<json> records;
  Result<ChatRequest> request = fit(1000, &records);  // far too small: every step is tried
  ASSERT_FALSE(request.ok());
  std::vector<std::string> dropped;
  for (const auto& drop : of_type(records, "context_drop")) dropped.push_back(drop.value("dropped", ""));
  EXPECT_EQ(dropped, (std::vector<std::string>{kOrder[0], kOrder[1], kOrder[3], kOrder[5]}));
}

TEST_F(ContextBudget, AnUnknownWindowSendsThePromptWholeAndTheTraceSaysSoOncePerModel) {
  const long prompt = whole();
  std::vector<json> records;
  Result<ChatRequest> again = fit(0, &records);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(tokens(*again), prompt);
  EXPECT_EQ(again->max_tokens, 100);
  EXPECT_EQ(again->max_tokens_limit, 0);
  EXPECT_TRUE(records.empty()) << "the window was said at the first request";

  auto contents = read_trace(trace_->path());
  ASSERT_TRUE(contents.ok());
  const auto said = of_type(contents->records, "context_window");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].value("model", ""), "fake-model");
  EXPECT_EQ(said[0].value("tokens", -1L), 0);
  EXPECT_EQ(said[0].value("source", ""), "unknown");
}

TEST_F(ContextBudget, TheWindowOfTheCallsModelIsTheOneFittedTo) {
  config_.llm.model = "gpt-4";  // 8192 in the built-in table
  run_->context_windows.probed["qwen2.5-coder:7b"] = 3000;
  std::vector<json> records;
  Result<ChatRequest> table = fit(0, &records);
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(of_type(records, "context_drop").empty()) << "the whole prompt fits 8192";
  ASSERT_EQ(of_type(records, "context_window").size(), 1u);
  EXPECT_EQ(of_type(records, "context_window")[0].value("source", ""), "built-in table");

  spec_.model = "qwen2.5-coder:7b";  // what its server said at start-up
  Result<ChatRequest> probed = fit(0, &records);
  ASSERT_TRUE(probed.ok()) << probed.error().message;
  EXPECT_EQ(probed->model, "qwen2.5-coder:7b");
  ASSERT_FALSE(of_type(records, "context_drop").empty());
  EXPECT_EQ(of_type(records, "context_drop")[0].value("window", 0L), 3000);
  EXPECT_EQ(of_type(records, "context_window")[0].value("source", ""), "server");
  EXPECT_LE(tokens(*probed) + probed->max_tokens, 3000);
}

}  // namespace
}  // namespace agentco
