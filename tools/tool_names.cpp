#include "tools/tool_names.hpp"

#include <fmt/format.h>

namespace agentco {

const std::vector<std::string>& builtin_tool_names() {
  static const std::vector<std::string> names = {"read_file", "write_file", "edit_file", "list_files", "search", "run", "ask_human"};
  return names;
}

namespace {

bool plain_name(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string known_builtins() { return fmt::format("{}", fmt::join(builtin_tool_names(), ", ")); }

}  // namespace

Result<ToolRef> parse_tool_ref(std::string_view entry) {
  if (entry.starts_with("mcp:")) {
    const std::string_view rest = entry.substr(4);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size())
      return make_error("tools", fmt::format("'{}': an MCP tool is written mcp:SERVER/TOOL or mcp:SERVER/*", entry));
    ToolRef ref{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
    if (!plain_name(ref.server))
      return make_error("tools", fmt::format("'{}': the server name '{}' may hold only letters, digits, '_', '-' and '.'",
                                             entry, ref.server));
    if (ref.tool != "*" && ref.tool.find('/') != std::string::npos)
      return make_error("tools", fmt::format("'{}': one tool name or * after the server", entry));
    return ref;
  }
  for (const auto& name : builtin_tool_names())
    if (entry == name) return ToolRef{"", name};
  return make_error("tools", fmt::format("unknown tool '{}' (built-in tools: {}; an MCP server's: mcp:SERVER/TOOL or "
                                         "mcp:SERVER/*)",
                                         entry, known_builtins()));
}

std::string mcp_tool_function_name(std::string_view server, std::string_view tool) {
  std::string out;
  out.reserve(server.size() + tool.size() + 2);
  auto append = [&out](std::string_view part) {
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      out += ok ? c : '_';
    }
  };
  append(server);
  out += "__";
  append(tool);
  if (out.size() > 64) out.resize(64);
  return out;
}

}  // namespace agentco
