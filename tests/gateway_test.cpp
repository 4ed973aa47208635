// LlmGateway (llm/gateway.hpp) with an in-process provider that holds calls open until the
// test answers them: calls in flight together never spend past the investment (each holds
// its worst case), a call that cannot fit is refused with "budget", one that only waits for
// others to settle starts when they do; a cut-off reply is asked for again with twice the
// max_tokens (no more than the context window leaves) as a call of its own, reserved, traced
// and booked, and refused when it does not fit; the trace says which pricing entry priced each call.
#include "llm/gateway.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;

// Answers each call with the next scripted reply; with `hold`, a call stays open until the
// test releases it (answer()).
class HeldProvider : public Provider {
 public:
  struct Call {
    ChatRequest request;
    asio::steady_timer* timer = nullptr;  // while the call waits; the timer lives in its coroutine
    std::optional<Result<ChatResult>> answer;
  };

  bool hold = true;
  std::deque<Result<ChatResult>> replies;  // when not holding: answered in order

  std::string name() const override { return "held"; }

  asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override {
    auto call = std::make_shared<Call>();
    call->request = request;
    calls.push_back(call);
    if (!hold) {
      Result<ChatResult> next = replies.front();
      replies.pop_front();
      co_return next;
    }
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, asio::steady_timer::time_point::max());
    call->timer = &timer;
    struct Forget {  // also when the coroutine is destroyed while it waits
      Call& call;
      ~Forget() { call.timer = nullptr; }
    } forget{*call};
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return call->answer.value_or(Result<ChatResult>(make_error("interrupted", "released without an answer")));
  }

  void answer(std::size_t index, Result<ChatResult> result) {
    calls.at(index)->answer = std::move(result);
    if (calls.at(index)->timer) calls.at(index)->timer->cancel();
  }

  std::vector<std::shared_ptr<Call>> calls;
};

ChatResult reply(long prompt, long completion, std::string finish_reason = "stop", std::string model = "flat") {
  ChatResult result;
  result.text = "answer";
  result.model = std::move(model);
  result.finish_reason = std::move(finish_reason);
  result.usage.prompt_tokens = prompt;
  result.usage.completion_tokens = completion;
  return result;
}

ChatRequest ask(int max_tokens = 1000, std::string model = "flat") {
  ChatRequest request;
  request.model = std::move(model);
  request.max_tokens = max_tokens;
  request.messages = {{"user", "hi"}};
  return request;
}

std::map<std::string, ModelPrice> prices() {
  std::map<std::string, ModelPrice> table;
  table["flat"] = {1.0, 1.0, std::nullopt};  // USD 1 per 1,000 tokens: worst cases are easy to read
  table["gpt-4o-mini"] = {0.00015, 0.0006, 0.000075};
  return table;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::err);
    trace_path_ = fs::temp_directory_path() /
                  ("agentco_gateway_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()) + ".jsonl");
  }
  void TearDown() override {
    io_.reset();  // calls still open end first, while the gateway and ledger they use live
    gateway_.reset();
    trace_.reset();
    std::error_code ec;
    fs::remove(trace_path_, ec);
    spdlog::set_level(previous_level_);
  }

  void make(double investment) {
    ledger_ = std::make_unique<CostLedger>(prices(), investment);
    provider_ = std::make_shared<HeldProvider>();
    auto trace = TraceWriter::open(trace_path_);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    trace_ = std::move(*trace);
    gateway_ = std::make_unique<LlmGateway>(provider_, *ledger_, trace_.get());
  }

  // Starts a call; its result lands in results_[slot] when it ends.
  void start(ChatRequest request, std::size_t slot) {
    if (results_.size() <= slot) results_.resize(slot + 1);
    asio::co_spawn(
        *io_,
        [this, request = std::move(request), slot]() mutable -> asio::awaitable<void> {
          // A named site: g++ 12 frees a prvalue argument of a coroutine from the caller's frame.
          CallSite site{"Alex", "WriteCode"};
          Result<ChatResult> result = co_await gateway_->chat(std::move(request), site);
          results_[slot] = std::move(result);
        },
        asio::detached);
  }

  // Runs what is ready (and waits a little for timers that are due).
  // Runs what is ready, then everything that becomes ready from it, however slow the machine
  // (a loaded CI machine once needed more than a fixed 30 ms).
  void settle() {
    io_->restart();
    io_->run_for(std::chrono::milliseconds(30));
    do io_->restart();
    while (io_->poll() > 0);
  }

  std::vector<json> records(const std::string& type) const {
    std::vector<json> out;
    auto contents = read_trace(trace_path_);
    if (!contents) return out;
    for (const auto& r : contents->records)
      if (r.value("type", "") == type) out.push_back(r);
    return out;
  }

  double traced_cost() const {
    double sum = 0;
    for (const auto& r : records("llm_response")) sum += r.value("cost_usd", 0.0);
    return sum;
  }

  std::optional<asio::io_context> io_{std::in_place};
  std::unique_ptr<CostLedger> ledger_;
  std::shared_ptr<HeldProvider> provider_;
  std::unique_ptr<TraceWriter> trace_;
  std::unique_ptr<LlmGateway> gateway_;
  std::vector<std::optional<Result<ChatResult>>> results_;
  fs::path trace_path_;
  spdlog::level::level_enum previous_level_ = spdlog::level::info;
};

// ---- Reservations --------------------------------------------------------------------------

TEST_F(GatewayTest, CallsInFlightTogetherNeverSpendPastTheInvestmentAndTheOneThatCannotFitGetsBudget) {
  make(2.5);  // each call's worst case is just over $1: two fit at once, not three
  for (std::size_t i = 0; i < 4; ++i) start(ask(), i);
  settle();
  ASSERT_EQ(provider_->calls.size(), 2u) << "only two calls may be in flight";
  EXPECT_NEAR(ledger_->reserved(), 2 * ledger_->worst_case(ask()), 1e-12);
  EXPECT_FALSE(results_[2] || results_[3]) << "the others wait for the calls in flight to settle";

  provider_->answer(0, reply(5, 1000));  // the full worst case: $1.005
  settle();
  EXPECT_EQ(provider_->calls.size(), 2u) << "$1.005 spent + $1.008 held leaves no room for another $1.008";
  provider_->answer(1, reply(5, 1000));
  settle();
  EXPECT_EQ(provider_->calls.size(), 2u);
  for (std::size_t i : {2u, 3u}) {
    ASSERT_TRUE(results_[i]);
    ASSERT_FALSE(results_[i]->ok());
    EXPECT_EQ(results_[i]->error().code, "budget") << results_[i]->error().message;
  }
  EXPECT_LE(ledger_->spent(), ledger_->investment());
  EXPECT_LE(traced_cost(), ledger_->investment());
  EXPECT_NEAR(traced_cost(), ledger_->spent(), 1e-12);
  EXPECT_EQ(ledger_->reserved(), 0.0);
  EXPECT_EQ(records("budget").size(), 2u);
}

TEST_F(GatewayTest, ACallWaitingForBudgetStartsWhenTheCallsInFlightSettleForLess) {
  make(2.5);
  for (std::size_t i = 0; i < 3; ++i) start(ask(), i);
  settle();
  ASSERT_EQ(provider_->calls.size(), 2u);
  provider_->answer(0, reply(5, 10));  // cheap: $0.015
  settle();
  ASSERT_EQ(provider_->calls.size(), 3u) << "the waiting call started once there was room";
  provider_->answer(1, reply(5, 10));
  provider_->answer(2, reply(5, 10));
  settle();
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(results_[i]);
    EXPECT_TRUE(results_[i]->ok()) << results_[i]->error().message;
  }
  // Each llm_request says what it held.
  for (const auto& r : records("llm_request")) EXPECT_NEAR(r.value("reserved_usd", 0.0), ledger_->worst_case(ask()), 1e-12);
}

TEST_F(GatewayTest, AFailedOrCancelledCallGivesItsReservationBack) {
  make(10.0);
  start(ask(), 0);
  start(ask(), 1);
  settle();
  ASSERT_EQ(provider_->calls.size(), 2u);
  EXPECT_GT(ledger_->reserved(), 2.0);
  provider_->answer(0, make_error("llm", "HTTP 502"));
  provider_->answer(1, make_error("interrupted", "cancelled"));
  settle();
  EXPECT_EQ(ledger_->reserved(), 0.0);
  EXPECT_EQ(ledger_->calls_held(), 0);
  EXPECT_EQ(ledger_->spent(), 0.0);
  EXPECT_EQ(records("llm_error").size(), 2u);
}

TEST_F(GatewayTest, ACallStillOpenWhenTheRunIsTornDownGivesItsReservationBack) {
  make(10.0);
  {
    asio::io_context io;
    asio::co_spawn(
        io,
        [this]() -> asio::awaitable<void> {
          CallSite site{"Alex", "WriteCode"};
          ChatRequest request = ask();
          (void)co_await gateway_->chat(std::move(request), site);
        },
        asio::detached);
    io.run_for(std::chrono::milliseconds(20));
    EXPECT_GT(ledger_->reserved(), 0.0);
  }  // the io_context goes away with the call's coroutine in it
  EXPECT_EQ(ledger_->reserved(), 0.0);
  EXPECT_EQ(ledger_->calls_held(), 0);
}

// ---- A reply cut off by max_tokens ------------------------------------------------------------

TEST_F(GatewayTest, ACutOffReplyIsAskedForAgainWithTwiceTheMaxTokensAsACallOfItsOwn) {
  make(10.0);
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length"), reply(5, 250)};
  start(ask(200), 0);
  settle();
  ASSERT_TRUE(results_[0]);
  ASSERT_TRUE(results_[0]->ok()) << results_[0]->error().message;
  EXPECT_EQ((*results_[0])->finish_reason, "stop");
  ASSERT_EQ(provider_->calls.size(), 2u);
  EXPECT_EQ(provider_->calls[0]->request.max_tokens, 200);
  EXPECT_EQ(provider_->calls[1]->request.max_tokens, 400);
  // Two calls in the trace, each reserved for its own max_tokens and booked.
  const auto requests = records("llm_request");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["request"]["max_tokens"], 200);
  EXPECT_EQ(requests[1]["request"]["max_tokens"], 400);
  EXPECT_TRUE(requests[1]["hints"].value("asked_again_after_cut_off", false));
  EXPECT_GT(requests[1].value("reserved_usd", 0.0), requests[0].value("reserved_usd", 0.0) + 0.19);
  const auto responses = records("llm_response");
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0]["finish_reason"], "length");
  EXPECT_EQ(ledger_->total().calls, 2);
  EXPECT_NEAR(ledger_->spent(), (5 + 200 + 5 + 250) / 1000.0, 1e-12);
  // A normal call's request hash is what it always was: the hash of the request as asked.
  EXPECT_EQ(requests[0].value("request_hash", ""), request_hash(ask(200)));
}

TEST_F(GatewayTest, TheAskAgainIsRefusedWithBudgetWhenTwiceTheMaxTokensDoesNotFit) {
  make(0.5);  // room for 200 tokens of completion ($0.2) and the spent first try, not for 400 more
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length"), reply(5, 250)};
  start(ask(200), 0);
  settle();
  ASSERT_TRUE(results_[0]);
  ASSERT_FALSE(results_[0]->ok());
  EXPECT_EQ(results_[0]->error().code, "budget") << results_[0]->error().message;
  EXPECT_EQ(provider_->calls.size(), 1u);
  ASSERT_EQ(records("budget").size(), 1u);
  EXPECT_GT(records("budget")[0].value("next_worst_case_usd", 0.0), 0.4);
  EXPECT_LE(ledger_->spent(), ledger_->investment());
}

TEST_F(GatewayTest, ASecondCutOffIsAnErrorSayingToRaiseMaxTokens) {
  make(10.0);
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length"), reply(5, 400, "length")};
  start(ask(200), 0);
  settle();
  ASSERT_TRUE(results_[0]);
  ASSERT_FALSE(results_[0]->ok());
  EXPECT_EQ(results_[0]->error().code, "llm");
  const std::string& message = results_[0]->error().message;
  EXPECT_NE(message.find("cut off at max_tokens=400"), std::string::npos) << message;
  EXPECT_NE(message.find("even after asking again"), std::string::npos) << message;
  EXPECT_NE(message.find("raise llm.max_tokens"), std::string::npos) << message;
  EXPECT_EQ(ledger_->total().calls, 2);  // both tries are paid for
}

TEST_F(GatewayTest, TheDoubledMaxTokensIsCapped) {
  make(100.0);
  gateway_->set_max_tokens_cap(300);
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length"), reply(5, 250)};
  start(ask(200), 0);
  settle();
  ASSERT_EQ(provider_->calls.size(), 2u);
  EXPECT_EQ(provider_->calls[1]->request.max_tokens, 300);
}

TEST_F(GatewayTest, TheAskAgainAsksForNoMoreThanTheContextWindowLeavesTheReply) {
  make(100.0);
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length"), reply(5, 250)};
  ChatRequest request = ask(200);
  request.max_tokens_limit = 260;  // build_request: window - prompt
  start(request, 0);
  settle();
  ASSERT_EQ(provider_->calls.size(), 2u);
  EXPECT_EQ(provider_->calls[1]->request.max_tokens, 260);
}

TEST_F(GatewayTest, ACutOffWithTheWindowFullIsAnErrorSayingSoWithoutAskingAgain) {
  make(100.0);
  provider_->hold = false;
  provider_->replies = {reply(5, 200, "length")};
  ChatRequest request = ask(200);
  request.max_tokens_limit = 200;
  start(request, 0);
  settle();
  ASSERT_TRUE(results_[0]);
  ASSERT_FALSE(results_[0]->ok());
  EXPECT_EQ(provider_->calls.size(), 1u);
  const std::string& message = results_[0]->error().message;
  EXPECT_NE(message.find("cut off at max_tokens=200"), std::string::npos) << message;
  EXPECT_NE(message.find("no more of the model's context window"), std::string::npos) << message;
}

// ---- Prices in the trace ----------------------------------------------------------------------

TEST_F(GatewayTest, TheTraceSaysWhichPricingEntryPricedACallAndItsCachedTokens) {
  make(10.0);
  provider_->hold = false;
  ChatResult dated = reply(2000, 100, "stop", "gpt-4o-mini-2024-07-18");
  dated.usage.cached_tokens = 1024;
  provider_->replies = {dated};
  start(ask(200, "gpt-4o-mini"), 0);
  settle();
  ASSERT_TRUE(results_[0] && results_[0]->ok());
  const auto responses = records("llm_response");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0]["priced_as"], "gpt-4o-mini");
  EXPECT_EQ(responses[0]["model"], "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(responses[0]["usage"]["cached_tokens"], 1024);
  EXPECT_NEAR(responses[0].value("cost_usd", 0.0), 0.976 * 0.00015 + 1.024 * 0.000075 + 0.1 * 0.0006, 1e-12);
}

}  // namespace
}  // namespace agentco
