#include "llm/ledger.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace agentco {

namespace {

constexpr double kSlack = 1e-12;  // USD: rounding, not money

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// `key` starts `name` and ends at a boundary of it: "gpt-4o" starts "gpt-4o-mini" but not "gpt-4omni".
bool prefixes(std::string_view key, std::string_view name) {
  if (key.empty() || !name.starts_with(key)) return false;
  return name.size() == key.size() || !is_alnum(key.back()) || !is_alnum(name[key.size()]);
}

std::string_view without_vendor(std::string_view name) {
  const auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// The longest key of `pricing` that prefixes `name` or `name` without its vendor prefix.
std::string longest_entry(const std::map<std::string, ModelPrice>& pricing, std::string_view name) {
  std::string best;
  if (name.empty()) return best;
  for (const auto& [key, price] : pricing) {
    if (key.size() > best.size() && (prefixes(key, name) || prefixes(key, without_vendor(name)))) best = key;
  }
  return best;
}

// The prompt tokens a request can take, before calibration. Byte-level BPE tokenizers
// (OpenAI's, DeepSeek's, Llama's, Qwen's) average about 4 bytes a token on English prose, but
// code, JSON and markup come nearer 3, and non-ASCII text is denser still: a CJK character
// (3 bytes) is often one token and rare ones two, Cyrillic about a token per 2-byte letter.
// So ASCII counts a token per 3 bytes and other bytes a token per 2, plus the chat format's
// few tokens per message. The ledger raises this further per model when a server reports more
// prompt tokens than it estimated (calibration_).
long text_estimate(std::string_view text) {
  std::size_t ascii = 0;
  for (char c : text) ascii += static_cast<unsigned char>(c) < 0x80;
  const std::size_t other = text.size() - ascii;
  return static_cast<long>((ascii + 2) / 3 + (other + 1) / 2);
}

long base_prompt_estimate(const ChatRequest& request) { return count_prompt_tokens(request, &text_estimate); }

std::string usd(double value) { return fmt::format("${:.6f}", value); }

}  // namespace

nlohmann::json UsageTotals::to_json() const {
  return {{"calls", calls},
          {"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"cached_tokens", cached_tokens},
          {"cost_usd", cost},
          {"model_seconds", model_seconds},
          {"estimated", estimated}};
}

// ---- BudgetHold ------------------------------------------------------------------------

BudgetHold::BudgetHold(BudgetHold&& other) noexcept
    : ledger_(std::exchange(other.ledger_, nullptr)), amount_(std::exchange(other.amount_, 0.0)) {}

BudgetHold& BudgetHold::operator=(BudgetHold&& other) noexcept {
  if (this != &other) {
    release();
    ledger_ = std::exchange(other.ledger_, nullptr);
    amount_ = std::exchange(other.amount_, 0.0);
  }
  return *this;
}

void BudgetHold::release() {
  if (CostLedger* ledger = std::exchange(ledger_, nullptr)) ledger->give_back(amount_);
}

// ---- CostLedger ------------------------------------------------------------------------

CostLedger::CostLedger(std::map<std::string, ModelPrice> pricing, double investment)
    : pricing_(std::move(pricing)), investment_(investment) {}

std::string CostLedger::priced_as(std::string_view reported, std::string_view requested) const {
  std::string entry = longest_entry(pricing_, reported);
  return entry.empty() ? longest_entry(pricing_, requested) : entry;
}

double CostLedger::price(const std::string& entry, const Usage& usage) const {
  auto it = pricing_.find(entry);
  if (it == pricing_.end()) return 0.0;
  const ModelPrice& p = it->second;
  const long prompt = std::max(0L, usage.prompt_tokens);
  const long cached = std::clamp(usage.cached_tokens, 0L, prompt);
  return (prompt - cached) / 1000.0 * p.prompt_per_1k + cached / 1000.0 * p.cached_per_1k.value_or(p.prompt_per_1k) +
         std::max(0L, usage.completion_tokens) / 1000.0 * p.completion_per_1k;
}

long CostLedger::prompt_estimate(const ChatRequest& request) const {
  const long base = base_prompt_estimate(request);
  auto it = calibration_.find(request.model);
  if (it == calibration_.end()) return base;
  return static_cast<long>(std::ceil(static_cast<double>(base) * it->second));
}

std::string CostLedger::entry_for_request(const std::string& requested) const {
  std::string entry = longest_entry(pricing_, requested);
  if (!entry.empty()) return entry;
  auto it = learned_entry_.find(requested);
  return it == learned_entry_.end() ? std::string() : it->second;
}

double CostLedger::worst_case(const ChatRequest& request) const {
  Usage usage;
  usage.prompt_tokens = prompt_estimate(request);
  usage.completion_tokens = std::max(0, request.max_tokens);
  return price(entry_for_request(request.model), usage);
}

std::string CostLedger::budget_message(double worst) const {
  if (reserved_ > 0.0)
    return fmt::format(
        "the next model call could cost up to ${:.4f}; ${:.4f} of the ${:.4f} investment is spent and ${:.4f} "
        "held by calls in flight; raise --investment to go on",
        worst, total_.cost, investment_, reserved_);
  return fmt::format(
      "the next model call could cost up to ${:.4f} and ${:.4f} of the ${:.4f} investment is spent; raise "
      "--investment to go on",
      worst, total_.cost, investment_);
}

Status CostLedger::check(const ChatRequest& request) const {
  const double worst = worst_case(request);
  if (total_.cost + worst > investment_ + kSlack) return make_error("budget", budget_message(worst));
  return ok_status();
}

std::optional<BudgetHold> CostLedger::try_reserve(const ChatRequest& request) {
  const double worst = worst_case(request);
  if (total_.cost + reserved_ + worst > investment_ + kSlack) return std::nullopt;
  reserved_ += worst;
  ++holds_;
  return BudgetHold(this, worst);
}

void CostLedger::give_back(double amount) {
  --holds_;
  reserved_ = holds_ <= 0 ? 0.0 : std::max(0.0, reserved_ - amount);  // no drift once nothing is held
  if (holds_ < 0) holds_ = 0;
}

Booking CostLedger::record(BudgetHold& hold, const std::string& role, const ChatRequest& request,
                           const ChatResult& result) {
  const Usage& usage = result.usage;
  Booking booking;
  booking.priced_as = priced_as(result.model, request.model);
  if (booking.priced_as.empty()) {
    const std::string& shown = result.model.empty() ? request.model : result.model;
    if (warned_models_.insert(shown).second) {
      // Suggest the requested name when it starts the reported one: it also prices later versions.
      const std::string_view asked = without_vendor(request.model);
      const std::string key(!asked.empty() && prefixes(asked, without_vendor(shown)) ? asked : without_vendor(shown));
      const std::string also =
          !result.model.empty() && result.model != request.model ? fmt::format(" (requested as '{}')", request.model) : "";
      spdlog::warn(
          "no price known for model '{}'{}: its calls count as $0 and --investment cannot limit them; add it "
          "under 'pricing:' in your config, e.g. pricing: {{{}: {{prompt: USD, completion: USD}}}} (USD per "
          "1,000 tokens)",
          shown, also, key);
    }
  } else if (longest_entry(pricing_, request.model).empty() && !request.model.empty()) {
    learned_entry_[request.model] = booking.priced_as;  // later worst cases of this request price it so
  }
  booking.cost = price(booking.priced_as, usage);

  if (hold.held() && booking.cost > hold.amount() + kSlack) {
    spdlog::warn(
        "a model call of {} cost {}, more than the {} reserved for it ({} prompt tokens reported against {} "
        "estimated, {} completion tokens for max_tokens {}); the budget may be overspent by {}",
        role, usd(booking.cost), usd(hold.amount()), usage.prompt_tokens, prompt_estimate(request),
        usage.completion_tokens, request.max_tokens, usd(booking.cost - hold.amount()));
  }
  hold.release();
  if (!usage.estimated && usage.prompt_tokens > 0) {
    const double ratio = static_cast<double>(usage.prompt_tokens) / static_cast<double>(base_prompt_estimate(request));
    double& factor = calibration_.try_emplace(request.model, 1.0).first->second;
    if (ratio > factor) factor = ratio;
  }

  for (UsageTotals* t : {&total_, &by_role_[role]}) {
    t->calls += 1;
    t->prompt_tokens += usage.prompt_tokens;
    t->completion_tokens += usage.completion_tokens;
    t->cached_tokens += usage.cached_tokens;
    t->cost += booking.cost;
    t->model_seconds += result.latency_s;
    t->estimated = t->estimated || usage.estimated;
  }
  return booking;
}

}  // namespace agentco
