// LlmGateway: the one door from actions to models. For every call it checks the stop flag
// and the budget, traces the request and its response or error, and books tokens and cost
// per role. Providers stay ignorant of all of that.
//
// Budget: a call holds its worst case (CostLedger::try_reserve) from before it is sent until
// it ends, so calls in flight together cannot overspend. A call that could not fit even once
// every call in flight has settled is refused with "budget"; one that only waits for them to
// settle waits (re-checking at least every second, and the stop flag with it).
//
// A reply cut off by max_tokens (finish_reason "length") is asked for once more with twice
// the max_tokens (at most max_tokens_cap, and at most the request's max_tokens_limit, what the
// context window leaves the reply): a call of its own, traced, reserved and booked like any
// other, and refused with "budget" when it does not fit. A second cut-off, or one with no room
// left to ask for more, is an error "llm" that says to raise llm.max_tokens (or, when the
// window is full, to use a model with a larger one).
//
// Single-threaded, shared by all roles of a run.
#pragma once
#include <functional>
#include <list>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "core/stop_state.hpp"
#include "llm/ledger.hpp"
#include "llm/provider.hpp"

namespace agentco {

class TraceWriter;

struct CallSite {
  std::string role;    // role name, e.g. "Alice"
  std::string action;  // action name, e.g. "WritePRD"
};

class LlmGateway {
 public:
  // The most max_tokens a cut-off reply is asked for again with, unless set otherwise.
  static constexpr int kMaxTokensCap = 32768;

  LlmGateway(std::shared_ptr<Provider> provider, CostLedger& ledger, TraceWriter* trace);

  // The run's stop state; once it is set, no new call starts after a stop was requested.
  void watch_stop(const StopState* stop) { stop_ = stop; }
  // The ceiling of the doubled max_tokens after a cut-off reply.
  void set_max_tokens_cap(int cap) { max_tokens_cap_ = cap; }

  // Errors: "interrupted" (the run is stopping), "budget" (the call could overspend),
  // or the provider's "llm" error (also for a reply cut off twice).
  boost::asio::awaitable<Result<ChatResult>> chat(ChatRequest request, CallSite site);

  Provider& provider() { return *provider_; }
  CostLedger& ledger() { return ledger_; }
  long calls_started() const { return next_call_id_ - 1; }

 private:
  // One call to the provider: admitted by the budget, traced, booked.
  boost::asio::awaitable<Result<ChatResult>> call_once(const ChatRequest& request, const CallSite& site);
  // Waits until some call in flight settles (or a second passes).
  boost::asio::awaitable<void> wait_for_settled_call();
  void wake_budget_waiters();

  std::shared_ptr<Provider> provider_;
  CostLedger& ledger_;
  TraceWriter* trace_;
  const StopState* stop_ = nullptr;
  long next_call_id_ = 1;
  int max_tokens_cap_ = kMaxTokensCap;
  std::list<std::function<void()>> budget_waiters_;  // each wakes one call waiting for budget
};

}  // namespace agentco
