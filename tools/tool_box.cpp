#include "tools/tool_box.hpp"

#include <chrono>

#include <fmt/format.h>

#include "core/json_schema.hpp"
#include "core/utf8.hpp"
#include "tools/builtin_tools.hpp"
#include "trace/trace.hpp"

namespace agentco {

using json = nlohmann::json;

Result<ToolBox> ToolBox::with(const std::vector<std::string>& names) {
  ToolBox box;
  for (const auto& name : names) {
    std::unique_ptr<Tool> tool = make_builtin_tool(name);
    if (!tool) {
      std::string known;
      for (const auto& n : builtin_tool_names()) known += (known.empty() ? "" : ", ") + n;
      return make_error("tools", fmt::format("unknown tool '{}' (built-in tools: {})", name, known));
    }
    box.add(std::move(tool));
  }
  return box;
}

void ToolBox::add(std::unique_ptr<Tool> tool) { tools_.push_back(std::move(tool)); }

std::vector<ToolSpec> ToolBox::specs() const {
  std::vector<ToolSpec> out;
  for (const auto& tool : tools_) out.push_back(tool->spec());
  return out;
}

Tool* ToolBox::find(const std::string& name) const {
  for (const auto& tool : tools_)
    if (tool->spec().name == name) return tool.get();
  return nullptr;
}

std::string cut_tool_result(const std::string& text, std::size_t cap) {
  if (text.size() <= cap) return text;
  const std::size_t cut = cut_utf8(text, cap).size();
  return text.substr(0, cut) +
         fmt::format("\n[cut: {} more bytes of {}; ask for less, e.g. read_file with offset and limit]",
                     text.size() - cut, text.size());
}

boost::asio::awaitable<ToolResult> ToolBox::checked_call(ToolContext& context, const ToolCall& call) {
  Tool* tool = find(call.name);
  if (!tool) {
    std::string known;
    for (const auto& t : tools_) known += (known.empty() ? "" : ", ") + t->spec().name;
    co_return ToolResult{fmt::format("there is no tool '{}'; the tools are: {}", call.name, known), true};
  }
  // Model output is untrusted: the arguments must be a JSON object the schema accepts before
  // the tool sees them.
  json arguments = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, /*allow_exceptions=*/false);
  if (arguments.is_discarded())
    co_return ToolResult{fmt::format("the arguments of {} are not valid JSON: {}", call.name,
                                     call.arguments.substr(0, 200)),
                         true};
  if (!arguments.is_object())
    co_return ToolResult{fmt::format("the arguments of {} must be a JSON object, not {}", call.name, arguments.type_name()),
                         true};
  const auto problems = validate_against_schema(arguments, tool->spec().parameters);
  if (!problems.empty())
    co_return ToolResult{fmt::format("the arguments of {} do not fit its schema: {}", call.name,
                                     describe_problems(problems)),
                         true};
  ToolResult result = co_await tool->call(context, arguments);
  co_return result;
}

boost::asio::awaitable<ToolResult> ToolBox::call(ToolContext& context, const ToolCall& call, TraceWriter* trace) {
  const Tool* tool = find(call.name);
  const std::string server = tool ? tool->server() : std::string();
  if (trace) {
    json record = {{"role", context.role}, {"call_id", call.id}, {"tool", call.name}, {"arguments", call.arguments}};
    if (!server.empty()) record["server"] = server;
    trace->append("tool_call", std::move(record));
  }
  const auto started = std::chrono::steady_clock::now();
  ToolResult result = co_await checked_call(context, call);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::size_t bytes = result.text.size();
  result.text = cut_tool_result(result.text, result_cap);
  if (trace) {
    json record = {{"role", context.role}, {"call_id", call.id},   {"tool", call.name},
                   {"is_error", result.is_error}, {"text", result.text}, {"bytes", bytes},
                   {"seconds", seconds}};
    if (!server.empty()) record["server"] = server;
    if (!result.structured.is_null()) record["structured"] = result.structured;
    if (!result.written.empty()) record["written"] = result.written;
    trace->append("tool_result", std::move(record));
  }
  co_return result;
}

}  // namespace agentco
