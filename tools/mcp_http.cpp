// The Streamable HTTP transport of tools/mcp_client.hpp, over llm/http_transport.hpp.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "llm/http_transport.hpp"
#include "llm/sse_parser.hpp"
#include "tools/mcp_client.hpp"

namespace agentco {
namespace {

using json = nlohmann::json;

std::string excerpt(std::string_view text) {
  std::string out(text.substr(0, 300));
  if (text.size() > 300) out += "...";
  return out;
}

class HttpMcpTransport : public McpTransport {
 public:
  HttpMcpTransport(std::string name, const McpServerConfig& config)
      : name_(std::move(name)), config_(config), http_(options_for(config)) {}

  boost::asio::awaitable<Result<json>> request(json message, std::chrono::milliseconds timeout) override {
    const json id = message.contains("id") ? message["id"] : json();
    Result<HttpResponse> response = co_await post(message, timeout);
    if (!response) co_return response.error();
    const std::string session = response->header("Mcp-Session-Id");
    if (!session.empty() && session_.empty() && message.value("method", "") == "initialize") session_ = session;
    if (response->status == 404 && !session_.empty())
      co_return make_error("mcp", "the server no longer knows the session (HTTP 404); it may have restarted");
    if (response->status < 200 || response->status >= 300)
      co_return make_error("mcp", fmt::format("HTTP {} {}: {}", response->status, response->reason, excerpt(response->body)));
    const std::string type = response->header("Content-Type");
    if (type.find("text/event-stream") != std::string::npos) {
      // The response is one of the stream's events; the others are the server's
      // notifications and requests, which a tools client does not need.
      SseParser parser;
      std::vector<SseEvent> events;
      parser.feed(response->body, events);
      parser.finish(events);
      for (const auto& event : events) {
        json data = json::parse(event.data, nullptr, false);
        if (data.is_object() && data.contains("id") && data["id"] == id && !data.contains("method")) co_return data;
      }
      co_return make_error("mcp", "the event stream ended without the response: " + excerpt(response->body));
    }
    json data = json::parse(response->body, nullptr, false);
    if (data.is_discarded())
      co_return make_error("mcp", fmt::format("the answer is not JSON (Content-Type '{}'): {}", type, excerpt(response->body)));
    co_return data;
  }

  boost::asio::awaitable<Status> notify(json message) override {
    Result<HttpResponse> response = co_await post(message, std::chrono::seconds(30));
    if (!response) co_return response.error();
    if (response->status != 202 && (response->status < 200 || response->status >= 300))
      co_return make_error("mcp", fmt::format("HTTP {} {} to a notification: {}", response->status, response->reason,
                                              excerpt(response->body)));
    co_return ok_status();
  }

  boost::asio::awaitable<void> close() override {
    if (session_.empty()) co_return;
    HttpRequest request;
    request.method = "DELETE";
    request.url = config_.url;
    request.headers = headers();
    Result<HttpResponse> response = co_await http_.request(std::move(request));  // 405: the server keeps sessions
    if (!response) spdlog::debug("mcp {}: ending the session: {}", name_, response.error().message);
    session_.clear();
  }

  void set_revision(const std::string& revision) override { revision_ = revision; }
  std::string describe() const override { return "http: " + config_.url; }

 private:
  static TransportOptions options_for(const McpServerConfig& config) {
    TransportOptions options;
    const auto call = std::chrono::milliseconds(static_cast<long long>(std::max(config.call_timeout_s, config.startup_timeout_s) * 1000));
    options.deadlines = {std::chrono::milliseconds(10'000), call, call, call};
    options.body_limit = 32ull << 20;
    options.user_agent = "agentco-mcp";
    return options;
  }

  std::vector<std::pair<std::string, std::string>> headers() const {
    std::vector<std::pair<std::string, std::string>> out = {{"Accept", "application/json, text/event-stream"}};
    if (!session_.empty()) out.emplace_back("Mcp-Session-Id", session_);
    if (!revision_.empty()) out.emplace_back("MCP-Protocol-Version", revision_);
    for (const auto& [name, value] : config_.headers) out.emplace_back(name, value);
    return out;
  }

  boost::asio::awaitable<Result<HttpResponse>> post(const json& message, std::chrono::milliseconds timeout) {
    HttpRequest request;
    request.method = "POST";
    request.url = config_.url;
    request.headers = headers();
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = message.dump();
    (void)timeout;  // the transport's deadlines (call_timeout_s) bound every request
    Result<HttpResponse> response = co_await http_.request(std::move(request));
    if (!response) co_return make_error(response.error().code == "timeout" ? "timeout" : "mcp", response.error().message);
    co_return response;
  }

  std::string name_;
  McpServerConfig config_;
  HttpTransport http_;
  std::string session_;
  std::string revision_;
};

}  // namespace

std::shared_ptr<McpTransport> make_http_transport(const std::string& name, const McpServerConfig& config) {
  return std::make_shared<HttpMcpTransport>(name, config);
}

}  // namespace agentco
