#include "tools/mcp_protocol.hpp"

#include <fmt/format.h>

#include "core/json_schema.hpp"

namespace agentco {

using json = nlohmann::json;

namespace {

std::string short_text(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

std::string string_member(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool mcp_revision_supported(std::string_view revision) {
  return revision == "2025-11-25" || revision == "2025-06-18" || revision == "2025-03-26";
}

json mcp_request(long id, std::string_view method, json params) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

json mcp_notification(std::string_view method, json params) {
  json message = {{"jsonrpc", "2.0"}, {"method", std::string(method)}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

json mcp_initialize_params(std::string_view client_version) {
  return {{"protocolVersion", std::string(kMcpLatestRevision)},
          {"capabilities", json::object()},
          {"clientInfo", {{"name", "agentco"}, {"version", std::string(client_version)}}}};
}

Result<json> mcp_result(const json& response, std::string_view method) {
  if (!response.is_object()) return make_error("mcp", fmt::format("{}: the answer is not a JSON object: {}", method, short_text(response)));
  if (auto error = response.find("error"); error != response.end()) {
    if (!error->is_object()) return make_error("mcp", fmt::format("{}: malformed error: {}", method, short_text(*error)));
    const auto code = error->find("code");
    return make_error("mcp", fmt::format("{}: the server answered error {}: {}", method,
                                         code != error->end() && code->is_number_integer() ? code->get<long>() : 0,
                                         string_member(*error, "message")));
  }
  auto result = response.find("result");
  if (result == response.end() || !result->is_object())
    return make_error("mcp", fmt::format("{}: the answer has no result object: {}", method, short_text(response)));
  return *result;
}

Result<McpServerInfo> read_initialize_result(const json& result) {
  McpServerInfo info;
  info.revision = string_member(result, "protocolVersion");
  if (info.revision.empty())
    return make_error("mcp", "initialize: the answer names no protocolVersion: " + short_text(result));
  if (!mcp_revision_supported(info.revision))
    return make_error("mcp", fmt::format("initialize: the server speaks MCP {}; agentco speaks 2025-11-25, 2025-06-18 "
                                         "and 2025-03-26",
                                         info.revision));
  auto capabilities = result.find("capabilities");
  if (capabilities == result.end() || !capabilities->is_object() || !capabilities->contains("tools"))
    return make_error("mcp", "initialize: the server does not offer tools (no capabilities.tools)");
  if (auto server = result.find("serverInfo"); server != result.end() && server->is_object()) {
    info.name = string_member(*server, "name");
    info.version = string_member(*server, "version");
  }
  info.instructions = string_member(result, "instructions");
  return info;
}

Result<std::string> read_tools_page(const json& result, std::vector<McpToolInfo>& tools,
                                    std::vector<std::string>& skipped) {
  auto list = result.find("tools");
  if (list == result.end() || !list->is_array())
    return make_error("mcp", "tools/list: the answer has no tools list: " + short_text(result));
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    if (!entry.is_object()) {
      skipped.push_back(fmt::format("tools[{}]: not an object", i));
      continue;
    }
    McpToolInfo tool;
    tool.name = string_member(entry, "name");
    if (tool.name.empty()) {
      skipped.push_back(fmt::format("tools[{}]: no name", i));
      continue;
    }
    tool.title = string_member(entry, "title");
    tool.description = string_member(entry, "description");
    auto input = entry.find("inputSchema");
    if (input == entry.end() || !input->is_object()) {
      skipped.push_back(fmt::format("{}: inputSchema is not an object", tool.name));
      continue;
    }
    tool.input_schema = *input;
    if (auto problems = check_schema(tool.input_schema); !problems.empty()) {
      skipped.push_back(fmt::format("{}: inputSchema: {}", tool.name, problems.front()));
      continue;
    }
    if (auto output = entry.find("outputSchema"); output != entry.end() && !output->is_null()) {
      if (!output->is_object()) {
        skipped.push_back(fmt::format("{}: outputSchema is not an object", tool.name));
        continue;
      }
      if (auto problems = check_schema(*output); !problems.empty()) {
        skipped.push_back(fmt::format("{}: outputSchema: {}", tool.name, problems.front()));
        continue;
      }
      tool.output_schema = *output;
    }
    tools.push_back(std::move(tool));
  }
  return string_member(result, "nextCursor");
}

Result<McpCallOutcome> read_call_result(const json& result, const McpToolInfo& tool) {
  McpCallOutcome outcome;
  auto content = result.find("content");
  if (content != result.end() && !content->is_array())
    return make_error("mcp", fmt::format("tools/call {}: content is not a list: {}", tool.name, short_text(*content)));
  if (content != result.end()) {
    for (const json& block : *content) {
      if (!outcome.text.empty() && outcome.text.back() != '\n') outcome.text += '\n';
      const std::string type = block.is_object() ? string_member(block, "type") : std::string();
      if (type == "text") {
        outcome.text += string_member(block, "text");
      } else if (type == "image" || type == "audio") {
        outcome.text += fmt::format("[{}: {}, {} bytes of base64]", type, string_member(block, "mimeType"),
                                    string_member(block, "data").size());
      } else if (type == "resource") {
        const json resource = block.value("resource", json::object());
        const std::string text = resource.is_object() ? string_member(resource, "text") : std::string();
        outcome.text += text.empty() ? fmt::format("[resource {}]", resource.is_object() ? string_member(resource, "uri") : "")
                                     : text;
      } else if (type == "resource_link") {
        outcome.text += fmt::format("[resource link {} {}]", string_member(block, "uri"), string_member(block, "name"));
      } else {
        outcome.text += fmt::format("[content of type '{}']", type);
      }
    }
  }
  if (auto error = result.find("isError"); error != result.end()) {
    if (!error->is_boolean())
      return make_error("mcp", fmt::format("tools/call {}: isError is not true or false", tool.name));
    outcome.is_error = error->get<bool>();
  }
  if (auto structured = result.find("structuredContent"); structured != result.end() && !structured->is_null()) {
    outcome.structured = *structured;
    if (outcome.text.empty()) outcome.text = structured->dump(-1, ' ', false, json::error_handler_t::replace);
    if (!tool.output_schema.is_null() && !outcome.is_error) {
      if (auto problems = validate_against_schema(*structured, tool.output_schema); !problems.empty()) {
        outcome.is_error = true;
        outcome.text += "\n[the server's structured result does not fit the tool's output schema: " +
                        describe_problems(problems) + "]";
      }
    }
  } else if (!tool.output_schema.is_null() && !outcome.is_error) {
    outcome.text += "\n[the tool declares an output schema but returned no structured content]";
  }
  return outcome;
}

}  // namespace agentco
