#include "sop/role_tools.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tools/tool_names.hpp"

namespace agentco {

Status check_role_tools(const Config& config, const Sop& sop) {
  std::vector<std::string> problems;
  std::vector<std::string> defined;
  for (const auto& [name, server] : config.mcp_servers) defined.push_back(name);
  for (const RoleSpec& role : sop.roles) {
    for (const std::string& entry : role.tools) {
      auto ref = parse_tool_ref(entry);
      if (!ref || ref->server.empty() || config.mcp_servers.count(ref->server)) continue;
      problems.push_back(fmt::format(
          "{}:{}: role {}: tool '{}' names MCP server '{}', which the config does not define ({})", sop.source,
          role.tools_line, role.name, entry, ref->server,
          defined.empty() ? std::string("it defines no mcp_servers")
                          : fmt::format("mcp_servers: {}", fmt::join(defined, ", "))));
    }
  }
  if (problems.empty()) return ok_status();
  return make_error("sop", fmt::format("{}", fmt::join(problems, "\n")));
}

}  // namespace agentco
