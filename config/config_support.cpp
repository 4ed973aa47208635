#include "config/config_support.hpp"

#include <algorithm>

namespace agentco::config_detail {

std::string location(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

Error config_error(std::string message) { return make_error("config", std::move(message)); }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                   const std::vector<std::string>& compare_as) {
  const std::size_t threshold = word.size() <= 4 ? 1 : word.size() <= 10 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_distance = threshold + 1;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::size_t distance = edit_distance(word, compare_as[i]);
    if (distance < best_distance && distance < std::max<std::size_t>(word.size(), 1)) {
      best = candidates[i];
      best_distance = distance;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string unknown_key_in(const std::string& prefix, const std::string& name, const std::vector<std::string>& known) {
  std::string message = "unknown key '" + prefix + "." + name + "'";
  if (auto best = closest(name, known, known))
    message += " (did you mean '" + prefix + "." + *best + "'?)";
  else
    message += " (known keys: " + join(known) + ")";
  return message;
}

}  // namespace agentco::config_detail
