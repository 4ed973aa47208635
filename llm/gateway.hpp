// LlmGateway: the one door from actions to models. For every call it checks the stop flag
// and the budget (worst case, before the call), traces the request and its response or
// error, and books tokens and cost per role. Providers stay ignorant of all of that.
// Single-threaded, shared by all roles of a run.
#pragma once
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
  LlmGateway(std::shared_ptr<Provider> provider, CostLedger& ledger, TraceWriter* trace);

  // The run's stop state; once it is set, no new call starts after a stop was requested.
  void watch_stop(const StopState* stop) { stop_ = stop; }

  // Errors: "interrupted" (the run is stopping), "budget" (the call could overspend),
  // or the provider's "llm" error.
  boost::asio::awaitable<Result<ChatResult>> chat(ChatRequest request, CallSite site);

  Provider& provider() { return *provider_; }
  CostLedger& ledger() { return ledger_; }
  long calls_started() const { return next_call_id_ - 1; }

 private:
  std::shared_ptr<Provider> provider_;
  CostLedger& ledger_;
  TraceWriter* trace_;
  const StopState* stop_ = nullptr;
  long next_call_id_ = 1;
};

}  // namespace agentco
