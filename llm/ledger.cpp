#include "llm/ledger.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace agentco {

nlohmann::json UsageTotals::to_json() const {
  return {{"calls", calls},
          {"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"cost_usd", cost},
          {"model_seconds", model_seconds},
          {"estimated", estimated}};
}

CostLedger::CostLedger(std::map<std::string, ModelPrice> pricing, double investment)
    : pricing_(std::move(pricing)), investment_(investment) {}

double CostLedger::price(const std::string& model, const Usage& usage) {
  auto it = pricing_.find(model);
  if (it == pricing_.end()) {
    if (warned_models_.insert(model).second) {
      spdlog::warn("no price known for model '{}': its calls count as $0 (add it under "
                   "'pricing:' in your config)",
                   model);
    }
    return 0.0;
  }
  return usage.prompt_tokens / 1000.0 * it->second.prompt_per_1k +
         usage.completion_tokens / 1000.0 * it->second.completion_per_1k;
}

double CostLedger::worst_case(const ChatRequest& request) {
  Usage usage;
  for (const auto& m : request.messages) usage.prompt_tokens += estimate_tokens(m.content) + 4;
  usage.completion_tokens = request.max_tokens;
  return price(request.model, usage);
}

Status CostLedger::check(const ChatRequest& request) {
  double worst = worst_case(request);
  if (total_.cost + worst > investment_ + 1e-12) {
    return make_error("budget",
                      fmt::format("the next model call could cost up to ${:.4f} and ${:.4f} of the "
                                  "${:.4f} investment is spent; raise --investment to go on",
                                  worst, total_.cost, investment_));
  }
  return ok_status();
}

double CostLedger::record(const std::string& role, const std::string& model, const Usage& usage,
                          double latency_s) {
  double cost = price(model, usage);
  for (UsageTotals* t : {&total_, &by_role_[role]}) {
    t->calls += 1;
    t->prompt_tokens += usage.prompt_tokens;
    t->completion_tokens += usage.completion_tokens;
    t->cost += cost;
    t->model_seconds += latency_s;
    t->estimated = t->estimated || usage.estimated;
  }
  return cost;
}

}  // namespace agentco
