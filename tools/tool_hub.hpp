// The tools of one run: each role's ToolBox built from its SOP `tools:` list, and the MCP
// servers those lists name, each connected once, at its first use, and closed at the end.
//
// Recorded and replayable: connecting to a server traces an `mcp_server` record (its tools
// and their schemas), and every call and result is traced by the ToolBox. A replay or resume
// gives the hub a ToolRecall that answers both from the recording, so that no server is
// started or contacted for what the trace already holds; built-in tools need no recall (their
// writes are traced, `run` goes through the process journal).
// Single-threaded: used from the run's io_context thread.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/result.hpp"
#include "tools/mcp_client.hpp"
#include "tools/tool_box.hpp"

namespace agentco {

class TraceWriter;

// What a recording holds for the tools of a run.
class ToolRecall {
 public:
  virtual ~ToolRecall() = default;
  // The server's recorded `mcp_server` record, or nullopt when the recording has none.
  virtual std::optional<nlohmann::json> server(const std::string& name) = 0;
  // The recorded result of the first unused call of `tool` by `role` with these arguments
  // (compared as JSON), or nullopt: the call goes live.
  virtual std::optional<ToolResult> result(const std::string& role, const std::string& tool,
                                           const nlohmann::json& arguments) = 0;
};

// One MCP server as the hub knows it: from a live connection or from the recording.
struct McpServerView {
  std::string name;
  std::string transport;  // "stdio: ..." / "http: ..."
  McpServerInfo info;
  std::vector<McpToolInfo> tools;
  std::vector<std::string> skipped;
  bool recorded = false;
};

class ToolHub {
 public:
  // `project_root` gives the project folder (the working folder of stdio servers whose config
  // names none; asked at each start, since the folder may be renamed); `trace` may be null
  // (agentco mcp list); `recall` may be null (a live run).
  ToolHub(const Config& config, std::function<std::string()> project_root, TraceWriter* trace,
          ToolRecall* recall = nullptr);
  ~ToolHub();
  ToolHub(const ToolHub&) = delete;
  ToolHub& operator=(const ToolHub&) = delete;

  // The tools `entries` name for `role`, in their order (a server's in its order). Errors:
  // "tools" for a tool a server does not offer, "mcp" for a server that cannot be reached.
  boost::asio::awaitable<Result<ToolBox>> box_for(const std::string& role, const std::vector<std::string>& entries);

  // The server's tools (connecting, or from the recording). Error "mcp"/"tools".
  boost::asio::awaitable<Result<McpServerView>> server(const std::string& name);

  // A live connection to the server (started at the first call). Error "mcp".
  boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> client(const std::string& name);

  // Closes every server it started.
  boost::asio::awaitable<void> close();

  const Config& config() const { return config_; }
  TraceWriter* trace() const { return trace_; }
  ToolRecall* recall() const { return recall_; }

 private:
  const Config& config_;
  std::function<std::string()> project_root_;
  TraceWriter* trace_;
  ToolRecall* recall_;
  std::map<std::string, McpServerView> views_;
  std::map<std::string, std::shared_ptr<McpClient>> clients_;
  std::map<std::string, Error> failed_;  // servers that could not start: not tried again
};

// The `mcp_server` trace record of a view, and back.
nlohmann::json mcp_server_record(const McpServerView& view);
McpServerView mcp_server_view(const std::string& name, const nlohmann::json& record);

}  // namespace agentco
