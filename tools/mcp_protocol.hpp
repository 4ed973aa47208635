// The Model Context Protocol as agentco's MCP client speaks it (tools only), without any
// transport: the JSON-RPC messages it sends and how it reads what a server answers. Pure
// functions; tools/mcp_client.hpp moves the messages.
//
// Revisions: the client offers 2025-11-25 and accepts a server that answers 2025-11-25,
// 2025-06-18 or 2025-03-26. From 2025-06-18 on a tool may declare an outputSchema and return
// structuredContent, which must fit it; any revision may set isError.
// A server's answers are untrusted input: every member is checked for its type, and what is
// wrong is said in words ("tools/list: tools[2].inputSchema: expected an object").
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco {

inline constexpr std::string_view kMcpLatestRevision = "2025-11-25";
bool mcp_revision_supported(std::string_view revision);

struct McpToolInfo {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::json input_schema = nlohmann::json::object();
  nlohmann::json output_schema;  // null when the tool declares none
};

struct McpServerInfo {
  std::string revision;  // the protocol revision agreed
  std::string name;      // serverInfo.name
  std::string version;   // serverInfo.version
  std::string instructions;
};

nlohmann::json mcp_request(long id, std::string_view method, nlohmann::json params);
nlohmann::json mcp_notification(std::string_view method, nlohmann::json params = nullptr);
nlohmann::json mcp_initialize_params(std::string_view client_version);

// A response's result: the `result` member, or error "mcp" with the JSON-RPC error's code
// and message (or what is malformed about the response).
Result<nlohmann::json> mcp_result(const nlohmann::json& response, std::string_view method);

// The result of initialize: error "mcp" for an unsupported revision or a malformed answer.
Result<McpServerInfo> read_initialize_result(const nlohmann::json& result);

// One page of tools/list: its tools (appended to `tools`) and the next cursor ("" at the
// end). A tool whose schemas are not usable is left out, and said in `skipped`.
Result<std::string> read_tools_page(const nlohmann::json& result, std::vector<McpToolInfo>& tools,
                                    std::vector<std::string>& skipped);

// What a tools/call result gives the model.
struct McpCallOutcome {
  std::string text;            // the text content blocks, other blocks in words
  bool is_error = false;       // isError, or structured content that does not fit the schema
  nlohmann::json structured;   // structuredContent, null when absent
};
Result<McpCallOutcome> read_call_result(const nlohmann::json& result, const McpToolInfo& tool);

}  // namespace agentco
