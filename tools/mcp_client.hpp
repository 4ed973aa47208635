// An MCP client for tools: connects to one configured server (config `mcp_servers:`),
// agrees a protocol revision (tools/mcp_protocol.hpp), lists the server's tools and calls
// them. Two transports:
//   stdio  the server is a program (environment/child_process.hpp) spoken to in
//          newline-delimited JSON-RPC on its stdin and stdout; each line of its stderr goes
//          to the run's log ("mcp NAME: ..."). Closing ends its input, waits a moment, then
//          ends its process group.
//   HTTP   Streamable HTTP: every message is a POST to the one endpoint, answered with JSON
//          or with an event stream holding the response; the Mcp-Session-Id the server gives
//          at initialize is sent back on every later request, with MCP-Protocol-Version;
//          closing DELETEs the session.
// A server that dies, hangs past its deadline or answers garbage gives an error naming the
// server and what happened (its exit status and last stderr lines, the deadline, the bytes it
// wrote), never a crash or a hang; requests to one server go one at a time.
// Single-threaded: one client is used from the coroutines of one io_context thread.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/result.hpp"
#include "tools/mcp_protocol.hpp"

namespace agentco {

// How JSON-RPC messages reach one server.
class McpTransport {
 public:
  virtual ~McpTransport() = default;
  // The response to `message` (a request with an id), or error "mcp" (the server died,
  // answered garbage or an HTTP error) or "timeout".
  virtual boost::asio::awaitable<Result<nlohmann::json>> request(nlohmann::json message,
                                                                 std::chrono::milliseconds timeout) = 0;
  virtual boost::asio::awaitable<Status> notify(nlohmann::json message) = 0;
  virtual boost::asio::awaitable<void> close() = 0;
  // The agreed revision, sent by HTTP on every request after initialize.
  virtual void set_revision(const std::string& revision) { (void)revision; }
  // "stdio: npx -y @modelcontextprotocol/server-filesystem ." or "http: https://...".
  virtual std::string describe() const = 0;
};

// Starts the server's program (`cwd` when the config names none). Error "mcp".
Result<std::shared_ptr<McpTransport>> make_stdio_transport(boost::asio::any_io_executor executor,
                                                           const std::string& name, const McpServerConfig& config,
                                                           const std::string& cwd);
std::shared_ptr<McpTransport> make_http_transport(const std::string& name, const McpServerConfig& config);

class McpClient {
 public:
  // Starts or reaches the server, initializes and lists its tools, within the config's
  // startup_timeout_s. Error "mcp" naming the server.
  static boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> connect(std::string name,
                                                                            const McpServerConfig& config,
                                                                            std::string project_root);
  // The same over a transport already made (tests).
  static boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> connect(std::string name,
                                                                            const McpServerConfig& config,
                                                                            std::shared_ptr<McpTransport> transport);

  const std::string& name() const { return name_; }
  const McpServerInfo& server() const { return server_; }
  const std::vector<McpToolInfo>& tools() const { return tools_; }
  // Tools the server listed that cannot be offered (a schema that is not usable), in words.
  const std::vector<std::string>& skipped() const { return skipped_; }
  std::string describe() const { return transport_->describe(); }

  // tools/call within the config's call_timeout_s. Error "mcp"/"timeout" when the server
  // cannot answer; a tool's own failure is an outcome with is_error.
  boost::asio::awaitable<Result<McpCallOutcome>> call(const McpToolInfo& tool, const nlohmann::json& arguments);
  boost::asio::awaitable<void> close();

 private:
  McpClient(std::string name, const McpServerConfig& config, std::shared_ptr<McpTransport> transport)
      : name_(std::move(name)), config_(config), transport_(std::move(transport)) {}
  boost::asio::awaitable<Status> start();

  std::string name_;
  McpServerConfig config_;
  std::shared_ptr<McpTransport> transport_;
  McpServerInfo server_;
  std::vector<McpToolInfo> tools_;
  std::vector<std::string> skipped_;
  long next_id_ = 1;
  bool closed_ = false;
};

}  // namespace agentco
