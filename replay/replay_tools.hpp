// The ToolRecall of a replay, resume or fork (tools/tool_hub.hpp): MCP servers' tool lists and
// their tools' results answered from the recording, so that no server is started or contacted
// for what the trace holds. A result is matched by role, tool and arguments (as JSON), the
// first unused one, up to the fork point; built-in tools are not recalled (their writes are
// traced and compared, `run` is answered by the process journal).
#pragma once
#include <vector>

#include "replay/replay_script.hpp"
#include "tools/tool_hub.hpp"

namespace agentco {

class ReplayToolRecall : public ToolRecall {
 public:
  explicit ReplayToolRecall(ReplayScript& script);
  std::optional<nlohmann::json> server(const std::string& name) override;
  std::optional<ToolResult> result(const std::string& role, const std::string& tool,
                                   const nlohmann::json& arguments) override;

 private:
  ReplayScript& script_;
  std::vector<bool> used_;
};

}  // namespace agentco
