#include "llm/tool_call_text.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace agentco {
namespace {

using json = nlohmann::json;

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

// A ```json ... ``` (or bare ```) fence around the whole text: its body.
std::string_view unfenced(std::string_view text) {
  text = trim_view(text);
  if (!text.starts_with("```") || !text.ends_with("```") || text.size() < 6) return text;
  std::string_view body = text.substr(3, text.size() - 6);
  const auto newline = body.find('\n');
  if (newline == std::string_view::npos) return text;
  const std::string_view language = trim_view(body.substr(0, newline));
  if (!language.empty() && language != "json") return text;
  return trim_view(body.substr(newline + 1));
}

json parse_object(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_object() ? value : json();
}

// {"name": ..., "arguments" | "parameters": {...} or "..."} -> a call; the arguments as text.
bool call_of(const json& object, ToolCall& call) {
  auto name = object.find("name");
  if (name == object.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return false;
  call.name = *name;
  auto arguments = object.find("arguments");
  if (arguments == object.end()) arguments = object.find("parameters");
  if (arguments == object.end() || arguments->is_null()) {
    call.arguments = "{}";
  } else if (arguments->is_string()) {
    call.arguments = *arguments;  // some models write the arguments as a JSON string, as OpenAI sends them
  } else {
    call.arguments = arguments->dump();
  }
  return true;
}

// A block whose JSON does not parse: the name as far as it can be read, the text as arguments.
ToolCall lenient_call(std::string_view body) {
  ToolCall call;
  call.arguments = std::string(body);
  const auto key = body.find("\"name\"");
  if (key == std::string_view::npos) return call;
  const auto open = body.find('"', body.find(':', key));
  if (open == std::string_view::npos) return call;
  const auto close = body.find('"', open + 1);
  if (close == std::string_view::npos) return call;
  call.name = std::string(body.substr(open + 1, close - open - 1));
  return call;
}

bool names_a_tool(const std::string& name, const std::vector<ToolSpec>& tools) {
  return std::any_of(tools.begin(), tools.end(), [&](const ToolSpec& t) { return t.name == name; });
}

std::string call_block(const ToolCall& call) {
  json arguments = json::parse(call.arguments, nullptr, false);
  json object = {{"name", call.name}};
  if (arguments.is_discarded()) object["arguments"] = call.arguments;
  else object["arguments"] = std::move(arguments);
  return fmt::format("{}\n{}\n{}", kOpen, object.dump(), kClose);
}

}  // namespace

TextToolCalls parse_text_tool_calls(std::string_view text, const std::vector<ToolSpec>& tools) {
  TextToolCalls out;
  std::size_t at = 0;
  std::string rest;
  while (true) {
    const auto open = text.find(kOpen, at);
    if (open == std::string_view::npos) break;
    const auto body_start = open + kOpen.size();
    auto close = text.find(kClose, body_start);
    // A model that stops after the call may leave the block unclosed: it ends at the text's end.
    const std::string_view body = trim_view(text.substr(body_start, close == std::string_view::npos
                                                                   ? std::string_view::npos
                                                                   : close - body_start));
    rest += text.substr(at, open - at);
    ToolCall call;
    if (json object = parse_object(unfenced(body)); !object.is_object() || !call_of(object, call))
      call = lenient_call(body);
    call.id = fmt::format("text_call_{}", out.calls.size() + 1);
    out.calls.push_back(std::move(call));
    at = close == std::string_view::npos ? text.size() : close + kClose.size();
  }
  if (!out.calls.empty()) {
    rest += text.substr(at);
    out.text = std::string(trim_view(rest));
    return out;
  }
  // No block: the whole reply may be one call.
  ToolCall call;
  if (json object = parse_object(unfenced(text)); object.is_object() && call_of(object, call) &&
                                                  names_a_tool(call.name, tools)) {
    call.id = "text_call_1";
    out.calls.push_back(std::move(call));
    return out;
  }
  out.text = std::string(text);
  return out;
}

std::string text_tools_prompt(const std::vector<ToolSpec>& tools) {
  std::string out =
      "# Tools\n\nYou may call one or more of the functions below to help with the task. Each function's "
      "parameters are given as a JSON Schema.\n\n<tools>\n";
  for (const auto& tool : tools) {
    out += json{{"type", "function"},
                {"function", {{"name", tool.name}, {"description", tool.description}, {"parameters", tool.parameters}}}}
               .dump();
    out += "\n";
  }
  out +=
      "</tools>\n\nTo call a function, write a JSON object with its name and arguments between <tool_call> and "
      "</tool_call>, one block per call, and nothing after the last block:\n<tool_call>\n"
      "{\"name\": \"<function-name>\", \"arguments\": {<arguments>}}\n</tool_call>\n"
      "Each result comes back in a <tool_response> block. When no call is needed, answer in plain text.";
  return out;
}

ChatRequest as_text_tool_request(const ChatRequest& request) {
  ChatRequest out = request;
  out.tools.clear();
  out.tool_choice.clear();
  out.messages.clear();
  const std::string prompt = text_tools_prompt(request.tools);
  bool described = false;
  for (const auto& message : request.messages) {
    ChatMessage m{message.role, message.content, {}, {}};
    if (message.role == "system" && !described) {
      m.content += (m.content.empty() ? "" : "\n\n") + prompt;
      described = true;
    } else if (message.role == "assistant" && !message.tool_calls.empty()) {
      for (const auto& call : message.tool_calls) m.content += (m.content.empty() ? "" : "\n") + call_block(call);
    } else if (message.role == "tool") {
      m.role = "user";
      m.content = fmt::format("<tool_response>\n{}\n</tool_response>", message.content);
    }
    out.messages.push_back(std::move(m));
  }
  if (!described) out.messages.insert(out.messages.begin(), ChatMessage{"system", prompt, {}, {}});
  return out;
}

}  // namespace agentco
