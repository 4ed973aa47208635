#include "web/server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "environment/node_tools.hpp"
#include "web/routes.hpp"
#include "web/warehouse_view.hpp"

namespace agentco::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace asio::experimental::awaitable_operators;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kBatch = 200;  // records per WebSocket frame

struct Server {
  WarehouseView view;
  Routes routes;
  ServeOptions options;
  bool loopback_only = true;

  Server(const ServeOptions& o, std::filesystem::path node_modules)
      : view(o.warehouse), routes(view, std::move(node_modules)), options(o) {}
};

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// While bound to loopback, a page from another origin that resolves its own name to
// 127.0.0.1 must not read the warehouse: only loopback names are accepted in Host.
bool host_allowed(const Server& server, std::string_view host_header) {
  if (!server.loopback_only) return true;
  std::string_view host = host_header;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return is_loopback_name(host) || host == server.options.host;
}

// A browser names the page that opens a WebSocket in Origin, and (unlike fetch) the
// socket is not bound by the same-origin policy: only our own page may stream a trace.
// Clients that are not browsers send no Origin and are judged by Host alone.
bool origin_allowed(const http::request<http::string_body>& request) {
  auto origin = request.find(http::field::origin);
  if (origin == request.end()) return true;
  const std::string_view value = origin->value();
  const std::string_view host = request[http::field::host];
  if (host.empty()) return false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (value.size() == scheme.size() + host.size() && value.starts_with(scheme) && value.ends_with(host)) return true;
  }
  return false;
}

template <class Body>
void common_headers(http::response<Body>& response) {
  response.set(http::field::server, "agentco");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  // Model output is rendered in the page: no inline or foreign scripts may run.
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'");
}

http::response<http::string_body> make_response(Server& server, const http::request<http::string_body>& request) {
  Reply reply;
  if (!host_allowed(server, request[http::field::host])) {
    reply = Reply{403, "application/json", R"({"error":"this server answers only to localhost"})"};
  } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
    reply = Reply{405, "application/json", R"({"error":"the viewer is read-only: GET only"})"};
  } else {
    try {
      reply = server.routes.get(request.target());
    } catch (const std::exception& e) {
      spdlog::warn("serve: {} failed: {}", std::string(request.target()), e.what());
      reply = Reply{500, "application/json", R"({"error":"internal error"})"};
    }
  }
  http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
  common_headers(response);
  response.set(http::field::content_type, reply.content_type);
  response.set(http::field::cache_control, reply.cache_control);
  if (reply.status == 405) response.set(http::field::allow, "GET, HEAD");
  response.keep_alive(request.keep_alive());
  if (request.method() == http::verb::head) {
    response.content_length(reply.body.size());
  } else {
    response.body() = std::move(reply.body);
    response.prepare_payload();
  }
  return response;
}

// Waits for the client to leave; whatever it sends is ignored.
asio::awaitable<void> drain(websocket::stream<beast::tcp_stream>& ws) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, kTuple);
    if (ec) co_return;
    buffer.consume(n);
  }
}

// Sends the trace's records with seq >= from as the file grows; returns after run_end.
asio::awaitable<void> pump(websocket::stream<beast::tcp_stream>& ws, int fd, std::uint64_t from,
                           std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string pending;  // bytes after the last complete line
  off_t offset = 0;
  bool ended = false;
  bool first = true;
  while (!ended) {
    struct stat info {};
    if (::fstat(fd, &info) == 0 && info.st_size > offset) {
      std::string chunk(static_cast<std::size_t>(info.st_size - offset), '\0');
      ssize_t got = ::pread(fd, chunk.data(), chunk.size(), offset);
      if (got > 0) {
        offset += got;
        chunk.resize(static_cast<std::size_t>(got));
        pending += chunk;
      }
    }
    std::size_t consumed = 0;
    std::vector<json> records = parse_trace_lines(pending, consumed);
    pending.erase(0, consumed);
    json batch = json::array();
    auto flush = [&]() -> asio::awaitable<bool> {
      json frame = {{"records", std::move(batch)}};
      batch = json::array();
      std::string text = frame.dump(-1, ' ', false, json::error_handler_t::replace);
      auto [ec, n] = co_await ws.async_write(asio::buffer(text), kTuple);
      co_return !ec;
    };
    for (auto& record : records) {
      if (record_seq(record) < from) continue;
      if (const auto type = record.find("type"); type != record.end() && *type == "run_end") ended = true;
      batch.push_back(compact_record(record));
      if (batch.size() >= kBatch) {
        bool ok = co_await flush();
        if (!ok) co_return;
      }
    }
    // The first frame is sent even when empty: the page knows the stream is open.
    if (!batch.empty() || first) {
      bool ok = co_await flush();
      if (!ok) co_return;
    }
    first = false;
    if (ended) break;
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(kTuple);
    if (ec) co_return;
  }
  co_await ws.async_close(websocket::close_code::normal, kTuple);
}

asio::awaitable<void> live_session(beast::tcp_stream stream, http::request<http::string_body> request,
                                   LiveRequest live, std::chrono::milliseconds interval) {
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::server, "agentco");
  }));
  auto [ec] = co_await ws.async_accept(request, kTuple);
  if (ec) co_return;
  ws.text(true);
  // The open file follows the run when it renames its folder.
  int fd = ::open(live.trace.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    co_await ws.async_close(websocket::close_code::going_away, kTuple);
    co_return;
  }
  co_await (drain(ws) || pump(ws, fd, live.from, interval));
  ::close(fd);
}

constexpr std::size_t kMaxHeader = 16 * 1024;
constexpr std::size_t kMaxTarget = 8 * 1024;

// After a header_limit error: was it the request line (method, target, version) that
// did not fit? Beast stores the target once the request line is complete, so an empty
// target means the limit was reached inside it.
bool request_line_too_long(const http::request_parser<http::string_body>& parser) {
  return parser.get().target().empty();
}

// Answers a request that is not served (too large, refused) and closes the connection.
// The response is built before the coroutine is entered: g++ 12 mishandles temporaries
// in a co_await's full-expression (see STACK.md), so callers pass a finished response.
http::response<http::string_body> refusal(unsigned status, std::string body) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  common_headers(response);
  response.set(http::field::content_type, "application/json");
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

http::response<http::string_body> size_refusal(unsigned status) {
  return refusal(status, status == 414 ? R"j({"error":"the URL is longer than this server reads (8 KiB)"})j"
                                       : R"j({"error":"the request headers are larger than this server reads (16 KiB)"})j");
}

asio::awaitable<void> refuse(beast::tcp_stream& stream, http::response<http::string_body>& response) {
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_write(stream, response, kTuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> session(tcp::socket socket, std::shared_ptr<Server> server) {
  socket.set_option(tcp::no_delay(true));
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(std::chrono::seconds(60));
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeader);
    parser.body_limit(64 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec == http::error::header_limit) {
      // Say why instead of resetting the connection; the request line alone decides which.
      auto response = size_refusal(request_line_too_long(parser) ? 414 : 431);
      co_await refuse(stream, response);
      co_return;
    }
    if (ec) co_return;
    http::request<http::string_body> request = parser.release();
    if (request.target().size() > kMaxTarget) {
      auto response = size_refusal(414);
      co_await refuse(stream, response);
      co_return;
    }
    if (websocket::is_upgrade(request) && !origin_allowed(request)) {
      auto response = refusal(403, R"({"error":"a page from another origin may not stream this warehouse"})");
      co_await refuse(stream, response);
      co_return;
    }
    if (websocket::is_upgrade(request) && host_allowed(*server, request[http::field::host])) {
      auto live = server->routes.live(request.target());
      if (live) {
        stream.expires_never();
        co_await live_session(std::move(stream), std::move(request), std::move(*live), server->options.poll_interval);
        co_return;
      }
    }
    http::response<http::string_body> response = make_response(*server, request);
    const bool keep_alive = response.keep_alive();
    stream.expires_after(std::chrono::seconds(60));
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(tcp::acceptor& acceptor, std::shared_ptr<Server> server) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. too many open files: try the next one
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket), server), asio::detached);
  }
}

}  // namespace

int serve(const ServeOptions& options) {
  std::error_code fs_ec;
  if (!std::filesystem::is_directory(options.warehouse, fs_ec)) {
    std::fprintf(stderr, "error: warehouse folder %s does not exist (give one with --warehouse DIR)\n",
                 options.warehouse.string().c_str());
    return 2;
  }
  asio::io_context io;
  auto server = std::make_shared<Server>(options, node_modules_dir());
  server->loopback_only = is_loopback_name(options.host);

  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || endpoints.empty()) {
    std::fprintf(stderr, "error: cannot resolve --host %s: %s\n", options.host.c_str(), ec.message().c_str());
    return 2;
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "error: cannot listen on %s:%u: %s\n", options.host.c_str(), options.port, ec.message().c_str());
    return 2;
  }
  const auto bound = acceptor.local_endpoint();
  std::string shown_host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  std::printf("serving http://%s:%u/ (warehouse %s)\n", shown_host.c_str(), bound.port(),
              server->view.root().string().c_str());
  std::fflush(stdout);
  if (!server->loopback_only) {
    std::fprintf(stderr, "warning: listening on %s: anyone who can reach this address can read the warehouse\n",
                 options.host.c_str());
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    acceptor.close();
    io.stop();
  });
  asio::co_spawn(io, listen(acceptor, server), asio::detached);
  io.run();
  return 0;
}

}  // namespace agentco::web
