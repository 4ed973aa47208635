#include "llm/gateway.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "core/utf8.hpp"
#include "trace/trace.hpp"

namespace agentco {

namespace asio = boost::asio;

namespace {

// A call waiting for budget looks again this often even when no call settles (a stop).
constexpr auto kBudgetRecheck = std::chrono::seconds(1);

Error cut_off_error(const ChatRequest& request, bool asked_again) {
  const bool window_full = request.max_tokens_limit > 0 && request.max_tokens >= request.max_tokens_limit;
  return make_error("llm", fmt::format("the reply of model '{}' was cut off at max_tokens={} (finish_reason \"length\"){}; "
                                       "{}",
                                       request.model, request.max_tokens,
                                       asked_again ? " even after asking again with more" : "",
                                       window_full ? "the prompt leaves the reply no more of the model's context "
                                                     "window: use a model with a larger window (llm.context_window)"
                                                   : "raise llm.max_tokens or ask for a shorter reply"));
}

}  // namespace

LlmGateway::LlmGateway(std::shared_ptr<Provider> provider, CostLedger& ledger, TraceWriter* trace)
    : provider_(std::move(provider)), ledger_(ledger), trace_(trace) {}

asio::awaitable<Result<ChatResult>> LlmGateway::chat(ChatRequest request, CallSite site) {
  // At most two turns: the call, and once more with twice the max_tokens after a cut-off.
  for (bool asked_again = false;; asked_again = true) {
    Result<ChatResult> result = co_await call_once(request, site);
    if (!result || result->finish_reason != "length") co_return result;
    long doubled = std::min<long>(max_tokens_cap_, 2L * request.max_tokens);
    if (request.max_tokens_limit > 0) doubled = std::min<long>(doubled, request.max_tokens_limit);
    if (asked_again || doubled <= request.max_tokens) co_return cut_off_error(request, asked_again);
    spdlog::warn("the reply of model '{}' to {}/{} was cut off at max_tokens={}; asking again with {}", request.model,
                 site.role, site.action, request.max_tokens, doubled);
    request.max_tokens = static_cast<int>(doubled);
    request.hints["asked_again_after_cut_off"] = true;  // traced, never sent nor hashed
  }
}

asio::awaitable<Result<ChatResult>> LlmGateway::call_once(const ChatRequest& request, const CallSite& site) {
  BudgetHold hold;
  while (true) {
    if (stop_ && stop_->requested()) {
      co_return make_error("interrupted", "the run is stopping (" + stop_->reason + ")");
    }
    if (auto budget = ledger_.check(request); !budget) {
      if (trace_) {
        trace_->append("budget", {{"role", site.role},
                                  {"action", site.action},
                                  {"spent_usd", ledger_.spent()},
                                  {"reserved_usd", ledger_.reserved()},
                                  {"investment_usd", ledger_.investment()},
                                  {"next_worst_case_usd", ledger_.worst_case(request)},
                                  {"message", budget.error().message}});
      }
      co_return budget.error();
    }
    if (std::optional<BudgetHold> reserved = ledger_.try_reserve(request)) {
      hold = std::move(*reserved);
      break;
    }
    co_await wait_for_settled_call();  // calls in flight hold what this one needs for now
  }

  const long call_id = next_call_id_++;
  if (trace_) {
    trace_->append("llm_request", {{"call_id", call_id},
                                   {"role", site.role},
                                   {"action", site.action},
                                   {"provider", provider_->name()},
                                   {"request_hash", request_hash(request)},
                                   {"request", request_to_json(request)},
                                   {"hints", request.hints},
                                   {"reserved_usd", hold.amount()}});
  }
  auto started = std::chrono::steady_clock::now();
  Result<ChatResult> result = co_await provider_->chat(request);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!result) {
    hold.release();
    wake_budget_waiters();
    if (trace_) {
      trace_->append("llm_error", {{"call_id", call_id},
                                   {"role", site.role},
                                   {"action", site.action},
                                   {"code", result.error().code},
                                   {"error", result.error().message},
                                   {"latency_s", elapsed}});
    }
    co_return result;
  }
  ChatResult& r = result.value();
  // Model output is untrusted: bytes that are not UTF-8 (a character split across streamed
  // tokens, a server in another encoding) become U+FFFD here, once, for everything after.
  auto warn = [&](const std::string& message) {
    spdlog::warn("{}", message);
    if (trace_) trace_->append("warning", {{"role", site.role}, {"message", message}});
  };
  if (r.repaired_utf8_bytes > 0) {
    warn(fmt::format("{} {}: the model server's reply held {} byte{} that {} not UTF-8, replaced by U+FFFD",
                     site.role, site.action, r.repaired_utf8_bytes, r.repaired_utf8_bytes == 1 ? "" : "s",
                     r.repaired_utf8_bytes == 1 ? "is" : "are"));
  }
  std::vector<std::pair<std::string*, std::string>> parts = {{&r.text, "reply"}, {&r.reasoning, "reasoning"}};
  for (auto& call : r.tool_calls) {
    parts.emplace_back(&call.id, "tool call id");
    parts.emplace_back(&call.name, "tool call name");
    parts.emplace_back(&call.arguments, "tool call arguments");
  }
  for (auto& [part, what] : parts) {
    if (!first_invalid_utf8(*part)) continue;
    Utf8Repair repair = repair_utf8(*part);
    warn(fmt::format("{} {}: the model's {}: {}", site.role, site.action, what, describe_utf8_repair(repair)));
    *part = std::move(repair.text);
  }
  if (r.latency_s <= 0.0) r.latency_s = elapsed;
  if (r.model.empty()) r.model = request.model;
  const Booking booking = ledger_.record(hold, site.role, request, r);
  wake_budget_waiters();
  if (trace_) {
    nlohmann::json record = {{"call_id", call_id},
                             {"role", site.role},
                             {"action", site.action},
                             {"text", r.text},
                             {"reasoning", r.reasoning},
                             {"finish_reason", r.finish_reason},
                             {"model", r.model},
                             {"usage",
                              {{"prompt_tokens", r.usage.prompt_tokens},
                               {"completion_tokens", r.usage.completion_tokens},
                               {"cached_tokens", r.usage.cached_tokens},
                               {"estimated", r.usage.estimated}}},
                             {"cost_usd", booking.cost},
                             {"priced_as", booking.priced_as},
                             {"latency_s", r.latency_s},
                             {"first_token_s", r.first_token_s}};
    if (!r.tool_calls.empty()) record["tool_calls"] = tool_calls_to_json(r.tool_calls);
    trace_->append("llm_response", std::move(record));
  }
  co_return result;
}

asio::awaitable<void> LlmGateway::wait_for_settled_call() {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, kBudgetRecheck);
  const auto waiter = budget_waiters_.insert(budget_waiters_.end(), [&timer] { timer.cancel(); });
  // Leaves the list however the wait ends, before the timer goes away.
  struct Leave {
    std::list<std::function<void()>>& waiters;
    std::list<std::function<void()>>::iterator waiter;
    ~Leave() { waiters.erase(waiter); }
  } leave{budget_waiters_, waiter};
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

void LlmGateway::wake_budget_waiters() {
  for (auto& wake : budget_waiters_) wake();  // cancel() only posts: the list does not change here
}

}  // namespace agentco
