#include "replay/replay_tools.hpp"

namespace agentco {

ReplayToolRecall::ReplayToolRecall(ReplayScript& script)
    : script_(script), used_(script.recording().tool_results.size(), false) {}

std::optional<nlohmann::json> ReplayToolRecall::server(const std::string& name) {
  for (const nlohmann::json& record : script_.recording().mcp_servers) {
    const std::uint64_t seq = record.value("seq", std::uint64_t{0});
    if (seq > script_.options().upto_seq) continue;
    if (record.value("server", std::string()) == name) return record;
  }
  return std::nullopt;
}

std::optional<ToolResult> ReplayToolRecall::result(const std::string& role, const std::string& tool,
                                                   const nlohmann::json& arguments) {
  const auto& recorded = script_.recording().tool_results;
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    const RecordedToolResult& entry = recorded[i];
    if (used_[i] || entry.seq > script_.options().upto_seq) continue;
    if (entry.role != role || entry.tool != tool || entry.arguments != arguments) continue;
    used_[i] = true;
    ++script_.counters().tool_results_answered;
    return ToolResult{entry.text, entry.is_error, entry.structured, {}};
  }
  return std::nullopt;
}

}  // namespace agentco
