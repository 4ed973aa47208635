#include "stats/prefix_share.hpp"

#include <algorithm>
#include <string_view>

namespace agentco {

namespace {

std::string_view member(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

std::size_t common_prefix(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

std::string serialize_messages(const nlohmann::json& messages) {
  std::string out;
  if (!messages.is_array()) return out;
  for (const auto& message : messages) {
    if (!message.is_object()) {
      out += "\n\n\n";
      continue;
    }
    out += member(message, "role");
    out += '\n';
    out += member(message, "content");
    out += "\n\n";
  }
  return out;
}

long estimated_prompt_tokens(std::size_t bytes) { return static_cast<long>((bytes + 3) / 4); }

PrefixShareCounter::Figures PrefixShareCounter::add(const nlohmann::json& messages) {
  std::string text = serialize_messages(messages);
  std::size_t longest = 0;
  auto next = seen_.lower_bound(text);
  if (next != seen_.end()) longest = common_prefix(text, *next);
  if (next != seen_.begin()) longest = std::max(longest, common_prefix(text, *std::prev(next)));
  // The prefix counts whole tokens only (rounded down), so it never exceeds the prompt.
  Figures figures{estimated_prompt_tokens(text.size()), static_cast<long>(longest / 4)};
  seen_.insert(std::move(text));
  return figures;
}

double prefix_share(long prefix_tokens, long prompt_tokens) {
  return prompt_tokens > 0 ? static_cast<double>(prefix_tokens) / static_cast<double>(prompt_tokens) : 0.0;
}

}  // namespace agentco
