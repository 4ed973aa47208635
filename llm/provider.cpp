#include "llm/provider.hpp"

#include "core/hash.hpp"

namespace agentco {

long count_prompt_tokens(const ChatRequest& request, long (*tokens_of)(std::string_view)) {
  long total = 3;
  for (const auto& message : request.messages) {
    total += 4 + tokens_of(message.content);
    for (const auto& call : message.tool_calls) total += 3 + tokens_of(call.name) + tokens_of(call.arguments);
  }
  if (!request.tools.empty()) total += tokens_of(tools_to_json(request).dump());
  return total;
}

nlohmann::json message_to_json(const ChatMessage& message) {
  nlohmann::json out = {{"role", message.role}, {"content", message.content}};
  if (!message.tool_calls.empty()) {
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& call : message.tool_calls)
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
    out["tool_calls"] = std::move(calls);
  }
  if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  return out;
}

nlohmann::json tools_to_json(const ChatRequest& request) {
  nlohmann::json out = nlohmann::json::object();
  if (request.tools.empty()) return out;
  nlohmann::json tools = nlohmann::json::array();
  for (const auto& tool : request.tools)
    tools.push_back({{"type", "function"},
                     {"function",
                      {{"name", tool.name}, {"description", tool.description}, {"parameters", tool.parameters}}}});
  out["tools"] = std::move(tools);
  if (request.tool_choice == "auto" || request.tool_choice == "none" || request.tool_choice == "required")
    out["tool_choice"] = request.tool_choice;
  else if (!request.tool_choice.empty())
    out["tool_choice"] = {{"type", "function"}, {"function", {{"name", request.tool_choice}}}};
  return out;
}

nlohmann::json tool_calls_to_json(const std::vector<ToolCall>& calls) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& call : calls) out.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
  return out;
}

nlohmann::json request_to_json(const ChatRequest& request) {
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : request.messages) messages.push_back(message_to_json(m));
  nlohmann::json out = {{"model", request.model},
                        {"messages", std::move(messages)},
                        {"temperature", request.temperature},
                        {"max_tokens", request.max_tokens}};
  out.update(tools_to_json(request));
  return out;
}

std::string request_hash(const ChatRequest& request) {
  return sha256_hex(request_to_json(request).dump());
}

}  // namespace agentco
