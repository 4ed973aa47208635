// Files compiled into the binary (prompts, SOPs, default config, pricing), keyed by their
// path relative to the source tree, e.g. "sop/software_company.yaml".
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace agentco {

const std::map<std::string_view, std::string_view>& embedded_resources();

inline std::optional<std::string> embedded_resource(std::string_view path) {
  const auto& table = embedded_resources();
  if (auto it = table.find(path); it != table.end()) return std::string(it->second);
  return std::nullopt;
}

}  // namespace agentco
