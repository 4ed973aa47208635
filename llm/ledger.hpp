// CostLedger: token and cost accounting per call, per role and per run, and the budget.
// The budget check happens before each call with the request's worst case (prompt estimate
// plus max_tokens of completion), so a run never spends past its investment.
// Not thread-safe (the run is single-threaded).
#pragma once
#include <map>
#include <set>
#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "llm/provider.hpp"

namespace agentco {

struct UsageTotals {
  long calls = 0;
  long prompt_tokens = 0;
  long completion_tokens = 0;
  double cost = 0.0;
  double model_seconds = 0.0;
  bool estimated = false;  // some figure was estimated, not reported by the server

  nlohmann::json to_json() const;
};

class CostLedger {
 public:
  CostLedger(std::map<std::string, ModelPrice> pricing, double investment);

  // USD for the usage at the model's price; unknown models cost 0 (one warning each).
  double price(const std::string& model, const Usage& usage);
  // The most this request can cost.
  double worst_case(const ChatRequest& request);
  // Error "budget" when spent + worst_case(request) would exceed the investment.
  Status check(const ChatRequest& request);
  // Books a finished call; returns its cost.
  double record(const std::string& role, const std::string& model, const Usage& usage,
                double latency_s);

  double spent() const { return total_.cost; }
  double investment() const { return investment_; }
  const UsageTotals& total() const { return total_; }
  const std::map<std::string, UsageTotals>& by_role() const { return by_role_; }

 private:
  std::map<std::string, ModelPrice> pricing_;
  double investment_;
  UsageTotals total_;
  std::map<std::string, UsageTotals> by_role_;
  std::set<std::string> warned_models_;
};

}  // namespace agentco
