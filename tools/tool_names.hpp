// What a SOP role's `tools:` list may name, without the tools themselves: the SOP loader
// checks the names with this, and tools/tool_hub.hpp resolves them into tools.
//   read_file, write_file, edit_file, list_files, search, run   the built-in tools
//   ask_human                                                   a question to the person at the terminal
//   mcp:SERVER/TOOL                                             one tool of an MCP server
//   mcp:SERVER/*                                                every tool of an MCP server
// SERVER is a name under the config's mcp_servers: (checked once the config is known:
// sop/role_tools.hpp).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentco {

// The built-in tools' names, in the order the model is shown them.
const std::vector<std::string>& builtin_tool_names();

struct ToolRef {
  std::string server;  // empty: a built-in tool
  std::string tool;    // "*": every tool of the server
};

// The tool an entry names; error "tools" saying what is wrong and what is allowed.
Result<ToolRef> parse_tool_ref(std::string_view entry);

// The name a model is shown for an MCP server's tool: "SERVER__TOOL", with every character
// outside [A-Za-z0-9_-] written as '_' and cut to 64 characters (what OpenAI's function names
// allow).
std::string mcp_tool_function_name(std::string_view server, std::string_view tool);

}  // namespace agentco
