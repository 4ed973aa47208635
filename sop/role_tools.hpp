// The check of a SOP's `tools:` lists against the config, once both are known: every
// mcp:SERVER/... entry names a server under mcp_servers:. (Built-in names and the syntax are
// checked when the SOP loads.) Whether the server offers the tool is only known when it runs.
#pragma once
#include "config/config.hpp"
#include "core/result.hpp"
#include "sop/sop.hpp"

namespace agentco {

// One error with a line per problem: "team.yaml:12: role Sam: tool 'mcp:files/*' names MCP
// server 'files', which the config does not define (mcp_servers: docs)".
Status check_role_tools(const Config& config, const Sop& sop);

}  // namespace agentco
