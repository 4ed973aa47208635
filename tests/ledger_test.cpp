// CostLedger (llm/ledger.hpp): which pricing entry prices a call (the model name the server
// reports, dated or with a vendor prefix, else the requested one), cached prompt tokens at
// the cached price, the warning for unpriced models, and the budget's reservations.
#include "llm/ledger.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace agentco {
namespace {

// What spdlog writes while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int count(const std::string& part) const {
    int n = 0;
    const std::string all = text();
    for (auto at = all.find(part); at != std::string::npos; at = all.find(part, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::map<std::string, ModelPrice> table() {
  std::map<std::string, ModelPrice> prices;
  prices["gpt-4o"] = {0.0025, 0.01, 0.00125};
  prices["gpt-4o-mini"] = {0.00015, 0.0006, 0.000075};
  prices["gpt-4"] = {0.03, 0.06, std::nullopt};
  prices["deepseek-chat"] = {0.00027, 0.0011, 0.00007};
  prices["flat"] = {1.0, 1.0, std::nullopt};  // no cached price: cached tokens cost the prompt price
  return prices;
}

ChatRequest request_for(const std::string& model, std::string prompt = "hello", int max_tokens = 100) {
  ChatRequest request;
  request.model = model;
  request.max_tokens = max_tokens;
  request.messages = {{"user", std::move(prompt)}};
  return request;
}

ChatResult reply(const std::string& model, long prompt, long completion, long cached = 0) {
  ChatResult result;
  result.model = model;
  result.usage.prompt_tokens = prompt;
  result.usage.completion_tokens = completion;
  result.usage.cached_tokens = cached;
  return result;
}

// ---- Which entry prices a call -------------------------------------------------------------

TEST(CostLedger, ADatedModelNameIsPricedByTheEntryItStartsWith) {
  CostLedger ledger(table(), 10.0);
  EXPECT_EQ(ledger.priced_as("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(ledger.priced_as("gpt-4o-2024-08-06", "gpt-4o"), "gpt-4o");
  EXPECT_EQ(ledger.priced_as("gpt-4o-mini", "gpt-4o-mini"), "gpt-4o-mini");
}

TEST(CostLedger, AnOpenRouterNameIsPricedWithoutItsVendorPrefix) {
  CostLedger ledger(table(), 10.0);
  EXPECT_EQ(ledger.priced_as("openai/gpt-4o-mini", "openai/gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(ledger.priced_as("", "deepseek/deepseek-chat"), "deepseek-chat");
}

TEST(CostLedger, OfTwoEntriesThatStartTheNameTheLongerOneWins) {
  CostLedger ledger(table(), 10.0);
  EXPECT_EQ(ledger.priced_as("gpt-4o-mini-2024-07-18", ""), "gpt-4o-mini");  // not gpt-4o
  EXPECT_EQ(ledger.priced_as("gpt-4-0613", ""), "gpt-4");
}

TEST(CostLedger, AnEntryPricesANameOnlyUpToABoundary) {
  CostLedger ledger(table(), 10.0);
  EXPECT_EQ(ledger.priced_as("gpt-4o", ""), "gpt-4o");
  EXPECT_EQ(ledger.priced_as("gpt-4omni", ""), "");  // gpt-4 and gpt-4o stop inside a word
  EXPECT_EQ(ledger.priced_as("deepseek-chatter", ""), "");
}

TEST(CostLedger, TheReportedNameWinsAndTheRequestedOneStandsInWhenItIsUnknown) {
  CostLedger ledger(table(), 10.0);
  EXPECT_EQ(ledger.priced_as("gpt-4o-2024-08-06", "gpt-4o-mini"), "gpt-4o");
  EXPECT_EQ(ledger.priced_as("my-azure-deployment", "gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(ledger.priced_as("", "gpt-4o-mini"), "gpt-4o-mini");
}

TEST(CostLedger, AnUnknownModelCostsNothingAndWarnsOnceNamingBothNamesAndTheKeyToAdd) {
  CapturedLog log;
  CostLedger ledger(table(), 10.0);
  BudgetHold none;
  for (int i = 0; i < 3; ++i) {
    const Booking booking =
        ledger.record(none, "Alice", request_for("qwen2.5-coder"), reply("qwen2.5-coder:7b-instruct", 100, 100));
    EXPECT_EQ(booking.cost, 0.0);
    EXPECT_EQ(booking.priced_as, "");
  }
  EXPECT_EQ(log.count("no price known"), 1) << log.text();
  EXPECT_NE(log.text().find("'qwen2.5-coder:7b-instruct' (requested as 'qwen2.5-coder')"), std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("pricing: {qwen2.5-coder: {prompt: USD, completion: USD}}"), std::string::npos)
      << log.text();
  ledger.record(none, "Alice", request_for("other"), reply("other", 1, 1));
  EXPECT_EQ(log.count("no price known"), 2) << "another model warns once too";
  EXPECT_EQ(ledger.total().calls, 4);
}

// ---- What a call costs --------------------------------------------------------------------

TEST(CostLedger, CachedPromptTokensCostTheCachedPrice) {
  CostLedger ledger(table(), 10.0);
  Usage usage;
  usage.prompt_tokens = 2000;
  usage.cached_tokens = 1000;
  usage.completion_tokens = 100;
  // 1,000 fresh at 0.0025, 1,000 cached at 0.00125, 100 completion at 0.01.
  EXPECT_NEAR(ledger.price("gpt-4o", usage), 0.0025 + 0.00125 + 0.001, 1e-12);
  // Without a cached price, cached tokens cost the prompt price.
  EXPECT_NEAR(ledger.price("flat", usage), 2.0 + 0.1, 1e-12);
  // Cached counts beyond the prompt are capped at it.
  usage.cached_tokens = 5000;
  EXPECT_NEAR(ledger.price("gpt-4o", usage), 0.0025 + 0.001, 1e-12);
}

TEST(CostLedger, ABookedCallCountsItsCostAndCachedTokensPerRoleAndInTotal) {
  CostLedger ledger(table(), 10.0);
  BudgetHold none;
  const Booking booking =
      ledger.record(none, "Alex", request_for("deepseek-chat"), reply("deepseek-chat", 1000, 1000, 800));
  EXPECT_EQ(booking.priced_as, "deepseek-chat");
  EXPECT_NEAR(booking.cost, 0.2 * 0.00027 + 0.8 * 0.00007 + 0.0011, 1e-12);
  EXPECT_EQ(ledger.total().cached_tokens, 800);
  EXPECT_EQ(ledger.by_role().at("Alex").cached_tokens, 800);
  EXPECT_EQ(ledger.by_role().at("Alex").to_json()["cached_tokens"], 800);
  EXPECT_NEAR(ledger.spent(), booking.cost, 1e-15);
}

// ---- The budget ---------------------------------------------------------------------------

TEST(CostLedger, AWorstCaseIsThePromptEstimateAtThePromptPriceAndMaxTokensOfCompletion) {
  CostLedger ledger(table(), 10.0);
  const ChatRequest request = request_for("flat", std::string(300, 'a'), 1000);
  const long estimate = ledger.prompt_estimate(request);
  EXPECT_GE(estimate, 100);  // at least a token per 3 bytes of ASCII
  EXPECT_NEAR(ledger.worst_case(request), estimate / 1000.0 + 1.0, 1e-12);
  // Non-ASCII text counts denser: 300 bytes of CJK (100 characters) at least 150 tokens.
  std::string cjk;
  for (int i = 0; i < 100; ++i) cjk += "字";
  EXPECT_GE(ledger.prompt_estimate(request_for("flat", cjk)), 150);
}

TEST(CostLedger, AServerReportingMorePromptTokensThanEstimatedRaisesLaterEstimates) {
  CostLedger ledger(table(), 10.0);
  const ChatRequest request = request_for("flat", std::string(300, 'a'), 10);
  const long before = ledger.prompt_estimate(request);
  BudgetHold none;
  ledger.record(none, "Alex", request, reply("flat", before * 2, 1));
  EXPECT_GE(ledger.prompt_estimate(request), before * 2);
  ledger.record(none, "Alex", request, reply("flat", before / 2, 1));  // lower figures never lower it
  EXPECT_GE(ledger.prompt_estimate(request), before * 2);
}

TEST(CostLedger, ACallIsHeldOnlyWhenSpentPlusHeldPlusItsWorstCaseFits) {
  CostLedger ledger(table(), 2.5);
  const ChatRequest request = request_for("flat", "hi", 1000);  // worst case just over $1
  auto first = ledger.try_reserve(request);
  auto second = ledger.try_reserve(request);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(ledger.calls_held(), 2);
  EXPECT_NEAR(ledger.reserved(), 2 * ledger.worst_case(request), 1e-12);
  EXPECT_FALSE(ledger.try_reserve(request)) << "a third would overshoot while two are in flight";
  EXPECT_TRUE(ledger.check(request).ok()) << "but it fits once they settle, so it is not refused";

  ledger.record(*first, "Alex", request, reply("flat", 5, 1000));  // cost ~$1.005
  EXPECT_FALSE(first->held());
  EXPECT_FALSE(ledger.try_reserve(request));
  second->release();
  EXPECT_EQ(ledger.calls_held(), 0);
  EXPECT_EQ(ledger.reserved(), 0.0);
  auto third = ledger.try_reserve(request);
  ASSERT_TRUE(third);
  ledger.record(*third, "Alex", request, reply("flat", 5, 1000));
  const Status refused = ledger.check(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "budget");
  EXPECT_NE(refused.error().message.find("raise --investment"), std::string::npos);
  EXPECT_LE(ledger.spent(), ledger.investment());
}

TEST(CostLedger, AHoldThatGoesAwayGivesItsReservationBack) {
  CostLedger ledger(table(), 10.0);
  {
    auto hold = ledger.try_reserve(request_for("flat", "hi", 1000));
    ASSERT_TRUE(hold);
    BudgetHold moved = std::move(*hold);
    EXPECT_FALSE(hold->held());
    EXPECT_TRUE(moved.held());
    EXPECT_GT(ledger.reserved(), 1.0);
  }
  EXPECT_EQ(ledger.reserved(), 0.0);
  EXPECT_EQ(ledger.calls_held(), 0);
}

TEST(CostLedger, ACallThatCostMoreThanItsHoldIsLoggedWithTheFigures) {
  CapturedLog log;
  CostLedger ledger(table(), 10.0);
  const ChatRequest request = request_for("flat", "hi", 10);
  auto hold = ledger.try_reserve(request);
  ASSERT_TRUE(hold);
  ledger.record(*hold, "Alex", request, reply("flat", 500, 10));  // 500 prompt tokens for "hi"
  EXPECT_NE(log.text().find("more than the"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("500 prompt tokens reported"), std::string::npos) << log.text();
}

TEST(CostLedger, AnUnpricedRequestIsPricedAsItsCallsWereOnceTheServerNamedTheModel) {
  CostLedger ledger(table(), 10.0);
  const ChatRequest request = request_for("prod-deployment", "hi", 1000);
  EXPECT_EQ(ledger.worst_case(request), 0.0);
  BudgetHold none;
  ledger.record(none, "Alex", request, reply("gpt-4o-2024-08-06", 10, 10));
  EXPECT_GT(ledger.worst_case(request), 0.0099);  // 1,000 completion tokens at gpt-4o's price
}

}  // namespace
}  // namespace agentco
