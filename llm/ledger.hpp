// CostLedger: token and cost accounting per call, per role and per run, and the budget.
//
// Prices: a call is priced by the pricing entry that is the longest prefix of the model name
// the server reported (gpt-4o-mini-2024-07-18 -> gpt-4o-mini), else of the name requested;
// a vendor prefix up to the last '/' may be dropped (openai/gpt-4o-mini). A prefix must end
// where the name does or before a character that is not a letter or digit, so gpt-4 does not
// price gpt-4o. Cached prompt tokens cost the entry's cached price (default: its prompt
// price). A call no entry prices costs 0, with one warning per model.
//
// Budget: every call in flight holds a reservation of its worst case (BudgetHold); a call is
// admitted only when spent + reserved + its worst case <= investment, so calls running at the
// same time cannot overspend together. The hold is settled when the call ends: booked by
// record() on success, given back on an error or cancellation.
//
// Not thread-safe: the run is single-threaded.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/result.hpp"
#include "llm/provider.hpp"

namespace agentco {

struct UsageTotals {
  long calls = 0;
  long prompt_tokens = 0;
  long completion_tokens = 0;
  long cached_tokens = 0;  // part of prompt_tokens, served from the server's prompt cache
  double cost = 0.0;
  double model_seconds = 0.0;
  bool estimated = false;  // some figure was estimated, not reported by the server

  nlohmann::json to_json() const;
};

// What a booked call cost and which pricing entry priced it ("" when none did).
struct Booking {
  double cost = 0.0;
  std::string priced_as;
};

class CostLedger;

// The worst case of one admitted call, held against the budget until the call is settled:
// by CostLedger::record(), by release(), or when the hold goes away (an error, a cancelled or
// destroyed coroutine). Move-only; must not outlive its ledger.
class BudgetHold {
 public:
  BudgetHold() = default;
  BudgetHold(BudgetHold&& other) noexcept;
  BudgetHold& operator=(BudgetHold&& other) noexcept;
  BudgetHold(const BudgetHold&) = delete;
  BudgetHold& operator=(const BudgetHold&) = delete;
  ~BudgetHold() { release(); }

  bool held() const { return ledger_ != nullptr; }
  double amount() const { return amount_; }
  // Gives the reservation back; nothing after the first time.
  void release();

 private:
  friend class CostLedger;
  BudgetHold(CostLedger* ledger, double amount) : ledger_(ledger), amount_(amount) {}

  CostLedger* ledger_ = nullptr;
  double amount_ = 0.0;
};

class CostLedger {
 public:
  CostLedger(std::map<std::string, ModelPrice> pricing, double investment);

  // The pricing entry for a call whose server reported `reported` (may be empty) for a request
  // of `requested`: the longest entry that prefixes the reported name (also without its vendor
  // prefix), else the requested one. Empty when none does.
  std::string priced_as(std::string_view reported, std::string_view requested) const;
  // USD for `usage` at the price of `entry` (from priced_as; "" costs 0).
  double price(const std::string& entry, const Usage& usage) const;

  // A prompt token count for `request` that real tokenizers should not exceed (see ledger.cpp).
  long prompt_estimate(const ChatRequest& request) const;
  // The most `request` can cost: its prompt estimate at the prompt price and max_tokens of
  // completion, priced by the requested model (or what its calls were priced as so far).
  double worst_case(const ChatRequest& request) const;

  // Error "budget" when spent + worst_case(request) exceeds the investment: the call cannot
  // fit even once every call in flight has settled.
  Status check(const ChatRequest& request) const;
  // A hold of worst_case(request) when spent + reserved + it fits the investment; nothing
  // when calls in flight hold too much for now.
  std::optional<BudgetHold> try_reserve(const ChatRequest& request);

  // Books a finished call (its usage, priced by the model the server reported, else the one
  // requested) for `role` and in total, and settles `hold`. A call that cost more than its
  // hold is logged as a warning with the figures.
  Booking record(BudgetHold& hold, const std::string& role, const ChatRequest& request, const ChatResult& result);

  double spent() const { return total_.cost; }
  double reserved() const { return reserved_; }
  int calls_held() const { return holds_; }
  double investment() const { return investment_; }
  const UsageTotals& total() const { return total_; }
  const std::map<std::string, UsageTotals>& by_role() const { return by_role_; }

 private:
  friend class BudgetHold;
  void give_back(double amount);
  std::string entry_for_request(const std::string& requested) const;
  std::string budget_message(double worst) const;

  std::map<std::string, ModelPrice> pricing_;
  double investment_;
  double reserved_ = 0.0;
  int holds_ = 0;
  UsageTotals total_;
  std::map<std::string, UsageTotals> by_role_;
  std::set<std::string> warned_models_;
  std::map<std::string, std::string> learned_entry_;  // requested model -> entry its calls were priced as
  std::map<std::string, double> calibration_;        // requested model -> reported / estimated prompt tokens (>= 1)
};

}  // namespace agentco
