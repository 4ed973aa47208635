#include "core/secrets.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace agentco {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;  // longest first, so a key that contains another goes whole
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_secret(std::string_view secret) {
  if (secret.size() < 6) return;
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  if (std::find(r.secrets.begin(), r.secrets.end(), secret) != r.secrets.end()) return;
  r.secrets.emplace_back(secret);
  std::sort(r.secrets.begin(), r.secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string scrub_secrets(std::string_view text) {
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  std::string out(text);
  for (const auto& secret : r.secrets) {
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3))
      out.replace(at, secret.size(), "***");
  }
  return out;
}

void clear_secrets() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  r.secrets.clear();
}

}  // namespace agentco
