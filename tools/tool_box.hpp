// A role's tools and how a call reaches one. The ToolBox holds the tools a role's SOP entry
// lists, offers their specs to the model, and runs each call the model makes: an unknown
// tool, arguments that are not JSON or that the tool's schema refuses become error results
// the model reads (with the reason: "/path: expected string, got number"), never a crash;
// a result longer than the cap is cut, and the cut is said. Every call and result is
// traced (`tool_call`, `tool_result`).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "tools/tool.hpp"

namespace agentco {

class TraceWriter;

class ToolBox {
 public:
  // The built-in tools named (builtin_tools.hpp). An unknown name is an error naming it and
  // the known ones.
  static Result<ToolBox> with(const std::vector<std::string>& names);

  void add(std::unique_ptr<Tool> tool);
  std::vector<ToolSpec> specs() const;
  bool empty() const { return tools_.empty(); }

  // Bytes of a result the model is shown (the rest is cut, and the cut said).
  std::size_t result_cap = 16 * 1024;

  // Runs `call` for `context.role`, tracing it when `trace` is given.
  boost::asio::awaitable<ToolResult> call(ToolContext& context, const ToolCall& call, TraceWriter* trace);

 private:
  Tool* find(const std::string& name) const;
  boost::asio::awaitable<ToolResult> checked_call(ToolContext& context, const ToolCall& call);

  std::vector<std::shared_ptr<Tool>> tools_;
};

// `text` cut to at most `cap` bytes on a UTF-8 boundary, with a line saying how much was cut.
std::string cut_tool_result(const std::string& text, std::size_t cap);

}  // namespace agentco
