// A tool a role's model can call: its spec (name, description, JSON Schema of the arguments,
// as the model is shown it) and the call itself. Built-in tools (tools/builtin_tools.hpp)
// work on the project folder through the workspace's path guard and run commands in the
// sandbox; an MCP server's tools come through an MCP client. The ToolBox
// (tools/tool_box.hpp) resolves a role's tool list, checks each call's arguments against the
// schema before the tool sees them, cuts long results and traces every call and result.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "environment/workspace.hpp"
#include "llm/provider.hpp"

namespace agentco {

// What a call gives back to the model. An error is a result too: the model reads it and
// can do better; it does not end the loop.
struct ToolResult {
  std::string text;
  bool is_error = false;
  nlohmann::json structured;  // structured content (MCP's structuredContent), null when none
  std::vector<std::string> written;  // project files the call wrote (committed after it)
};

// What a tool may reach: the project (through the workspace's path guard), a traced write
// (as RunContext::write_file, so that every write is in the trace and replays), and limits.
struct ToolContext {
  Workspace& workspace;
  std::string role;
  std::function<Result<WrittenFile>(std::string_view path, std::string_view content)> write;
  std::chrono::milliseconds run_deadline{30000};  // the `run` tool's deadline per command
  std::size_t run_output_cap = 64 * 1024;         // bytes kept of its stdout and of its stderr
  // Puts a question to the person at the terminal and gives their answer (the ask_human
  // tool); empty when the run has no person to ask.
  std::function<boost::asio::awaitable<Result<std::string>>(std::string question)> ask;
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolSpec& spec() const = 0;
  // The MCP server it comes from; "" for a built-in tool.
  virtual std::string server() const { return ""; }
  // `arguments` has passed the spec's schema. Expected failures (no such file, a command
  // that fails) are results with is_error; the call never throws for them.
  virtual boost::asio::awaitable<ToolResult> call(ToolContext& context, const nlohmann::json& arguments) = 0;
};

}  // namespace agentco
