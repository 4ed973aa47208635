#include "llm/gateway.hpp"

#include <chrono>

#include "trace/trace.hpp"

namespace agentco {

LlmGateway::LlmGateway(std::shared_ptr<Provider> provider, CostLedger& ledger, TraceWriter* trace)
    : provider_(std::move(provider)), ledger_(ledger), trace_(trace) {}

boost::asio::awaitable<Result<ChatResult>> LlmGateway::chat(ChatRequest request, CallSite site) {
  if (stop_ && stop_->requested()) {
    co_return make_error("interrupted", "the run is stopping (" + stop_->reason + ")");
  }
  if (auto budget = ledger_.check(request); !budget) {
    if (trace_) {
      trace_->append("budget", {{"role", site.role},
                                {"action", site.action},
                                {"spent_usd", ledger_.spent()},
                                {"investment_usd", ledger_.investment()},
                                {"next_worst_case_usd", ledger_.worst_case(request)},
                                {"message", budget.error().message}});
    }
    co_return budget.error();
  }

  const long call_id = next_call_id_++;
  if (trace_) {
    trace_->append("llm_request", {{"call_id", call_id},
                                   {"role", site.role},
                                   {"action", site.action},
                                   {"provider", provider_->name()},
                                   {"request_hash", request_hash(request)},
                                   {"request", request_to_json(request)},
                                   {"hints", request.hints}});
  }
  auto started = std::chrono::steady_clock::now();
  Result<ChatResult> result = co_await provider_->chat(request);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!result) {
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
  if (r.latency_s <= 0.0) r.latency_s = elapsed;
  if (r.model.empty()) r.model = request.model;
  double cost = ledger_.record(site.role, r.model, r.usage, r.latency_s);
  if (trace_) {
    trace_->append("llm_response", {{"call_id", call_id},
                                    {"role", site.role},
                                    {"action", site.action},
                                    {"text", r.text},
                                    {"reasoning", r.reasoning},
                                    {"finish_reason", r.finish_reason},
                                    {"model", r.model},
                                    {"usage",
                                     {{"prompt_tokens", r.usage.prompt_tokens},
                                      {"completion_tokens", r.usage.completion_tokens},
                                      {"estimated", r.usage.estimated}}},
                                    {"cost_usd", cost},
                                    {"latency_s", r.latency_s},
                                    {"first_token_s", r.first_token_s}});
  }
  co_return result;
}

}  // namespace agentco
