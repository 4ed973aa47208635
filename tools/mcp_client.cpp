#include "tools/mcp_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace agentco {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::chrono::milliseconds seconds_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

}  // namespace

boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> McpClient::connect(std::string name,
                                                                              const McpServerConfig& config,
                                                                              std::string project_root) {
  std::shared_ptr<McpTransport> transport;
  if (!config.url.empty()) {
    transport = make_http_transport(name, config);
  } else {
    auto executor = co_await boost::asio::this_coro::executor;
    auto made = make_stdio_transport(executor, name, config, config.cwd.empty() ? project_root : config.cwd);
    if (!made) co_return made.error();
    transport = std::move(*made);
  }
  co_return co_await connect(std::move(name), config, std::move(transport));
}

boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> McpClient::connect(std::string name,
                                                                              const McpServerConfig& config,
                                                                              std::shared_ptr<McpTransport> transport) {
  std::shared_ptr<McpClient> client(new McpClient(std::move(name), config, std::move(transport)));
  Status started = co_await client->start();
  if (!started) {
    co_await client->close();
    co_return make_error(started.error().code, fmt::format("MCP server '{}' ({}): {}", client->name_,
                                                           client->describe(), started.error().message));
  }
  co_return client;
}

boost::asio::awaitable<Status> McpClient::start() {
  const auto deadline = Clock::now() + seconds_ms(config_.startup_timeout_s);
  const std::string version = AGENTCO_VERSION;
  json initialize = mcp_request(next_id_++, "initialize", mcp_initialize_params(version));
  Result<json> response = co_await transport_->request(std::move(initialize), left_until(deadline));
  if (!response) co_return response.error();
  Result<json> result = mcp_result(*response, "initialize");
  if (!result) co_return result.error();
  Result<McpServerInfo> info = read_initialize_result(*result);
  if (!info) co_return info.error();
  server_ = std::move(*info);
  transport_->set_revision(server_.revision);
  if (Status sent = co_await transport_->notify(mcp_notification("notifications/initialized")); !sent)
    co_return sent.error();
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    json params = nullptr;
    if (!cursor.empty()) params["cursor"] = cursor;
    json message = mcp_request(next_id_++, "tools/list", std::move(params));
    Result<json> listed = co_await transport_->request(std::move(message), left_until(deadline));
    if (!listed) co_return listed.error();
    Result<json> page_result = mcp_result(*listed, "tools/list");
    if (!page_result) co_return page_result.error();
    Result<std::string> next = read_tools_page(*page_result, tools_, skipped_);
    if (!next) co_return next.error();
    if (next->empty()) break;
    cursor = *next;
  }
  for (const auto& skipped : skipped_) spdlog::warn("MCP server '{}': leaving out tool {}", name_, skipped);
  spdlog::debug("MCP server '{}' ({} {}, MCP {}): {} tools", name_, server_.name, server_.version, server_.revision,
                tools_.size());
  co_return ok_status();
}

boost::asio::awaitable<Result<McpCallOutcome>> McpClient::call(const McpToolInfo& tool, const json& arguments) {
  if (closed_) co_return make_error("mcp", fmt::format("MCP server '{}' is closed", name_));
  json params = json::object();
  params["name"] = tool.name;
  params["arguments"] = arguments;
  json message = mcp_request(next_id_++, "tools/call", std::move(params));
  Result<json> response = co_await transport_->request(std::move(message), seconds_ms(config_.call_timeout_s));
  if (!response)
    co_return make_error(response.error().code,
                         fmt::format("MCP server '{}': {}", name_, response.error().message));
  Result<json> result = mcp_result(*response, "tools/call " + tool.name);
  if (!result) co_return make_error("mcp", fmt::format("MCP server '{}': {}", name_, result.error().message));
  Result<McpCallOutcome> outcome = read_call_result(*result, tool);
  if (!outcome) co_return make_error("mcp", fmt::format("MCP server '{}': {}", name_, outcome.error().message));
  co_return outcome;
}

boost::asio::awaitable<void> McpClient::close() {
  if (closed_) co_return;
  closed_ = true;
  co_await transport_->close();
}

}  // namespace agentco
