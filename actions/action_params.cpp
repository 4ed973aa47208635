#include "actions/action_params.hpp"

#include <algorithm>
#include <charconv>

namespace agentco {

int positive_int_param(const ActionSpec& spec, const std::string& key, int fallback, int max) {
  const auto it = spec.params.find(key);
  if (it == spec.params.end()) return fallback;
  if (it->is_number_integer()) return std::clamp(it->get<int>(), 1, max);
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    int parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && parsed > 0) return std::min(parsed, max);
  }
  return fallback;
}

bool yes_param(const ActionSpec& spec, const std::string& key) {
  const auto it = spec.params.find(key);
  if (it == spec.params.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (!it->is_string()) return false;
  const std::string& text = it->get_ref<const std::string&>();
  return text == "true" || text == "yes" || text == "on";
}

}  // namespace agentco
