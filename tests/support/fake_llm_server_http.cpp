// The fake server's HTTP/1.1 transport: one io_context on one thread, one coroutine per
// connection, keep-alive, requests parsed by Beast and answered by executing ResponsePlans.
// Beast is only used for its request parser (fed by hand), which keeps this unit small and
// lets the plain and TLS connections share it through the Connection interface.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <stdexcept>
#include <thread>

#include "tests/support/fake_llm_server_internal.hpp"

namespace agentco::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(120);  // an idle keep-alive connection is closed
constexpr std::size_t kBodyLimit = 64u << 20;
constexpr std::uint32_t kHeaderLimit = 1u << 20;

class PlainConnection final : public detail::Connection {
 public:
  explicit PlainConnection(tcp::socket socket) : socket_(std::move(socket)) {}

  asio::awaitable<void> handshake() override { co_return; }

  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) override {
    co_return co_await socket_.async_read_some(buffer, asio::use_awaitable);
  }

  asio::awaitable<void> write(asio::const_buffer buffer) override {
    co_await asio::async_write(socket_, buffer, asio::use_awaitable);
  }

  void close_now(bool reset) override {
    boost::system::error_code ignored;
    if (reset) socket_.set_option(tcp::socket::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  void shutdown_and_close() override {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

 private:
  tcp::socket socket_;
};

std::string lower(std::string text) {
  for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

detail::HttpRequest to_request(http::request<http::string_body>&& message) {
  detail::HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    auto& value = request.headers[lower(std::string(field.name_string()))];
    if (!value.empty()) value += ", ";
    value += std::string(field.value());
  }
  request.keep_alive = message.keep_alive();
  request.http10 = message.version() == 10;
  request.body = std::move(message.body());
  return request;
}

std::chrono::microseconds total_pause(const detail::ResponsePlan& plan) {
  std::chrono::microseconds total{};
  for (const auto& step : plan.steps) total += step.delay;
  return total;
}

asio::awaitable<void> run_plan(detail::Connection& connection, const detail::ResponsePlan& plan,
                               asio::steady_timer& timer, bool& closed) {
  for (const auto& step : plan.steps) {
    switch (step.kind) {
      case detail::PlanStep::Kind::write:
        co_await connection.write(asio::buffer(step.bytes));
        break;
      case detail::PlanStep::Kind::pause:
        timer.expires_after(step.delay);
        co_await timer.async_wait(asio::use_awaitable);
        break;
      case detail::PlanStep::Kind::reset:
        connection.close_now(true);
        closed = true;
        co_return;
    }
  }
  if (plan.close_after) {
    connection.shutdown_and_close();
    closed = true;
  }
}

// Reads one request into `parser`. Returns false on a request Beast cannot parse.
asio::awaitable<bool> read_request(detail::Connection& connection, beast::flat_buffer& buffer,
                                   http::request_parser<http::string_body>& parser) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  bool need_read = buffer.size() == 0;
  bool sent_continue = false;
  while (!parser.is_done()) {
    if (need_read) {
      const auto n = co_await connection.read_some(buffer.prepare(64 * 1024));
      buffer.commit(n);
    }
    beast::error_code ec;
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == http::error::need_more) {
      need_read = true;
      continue;
    }
    if (ec) co_return false;
    need_read = buffer.size() == 0;
    if (parser.is_header_done() && !parser.is_done() && !sent_continue &&
        lower(std::string(parser.get()[http::field::expect])) == "100-continue") {
      co_await connection.write(asio::buffer(kContinue));
      sent_continue = true;
    }
  }
  co_return true;
}

// One connection: requests in order until the peer closes, a plan closes, or it idles out.
asio::awaitable<void> serve(std::shared_ptr<detail::Connection> connection, detail::Responder& responder) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer idle(executor);
  asio::steady_timer pause(executor);
  // One deadline covers reading a request and answering it: a plan's own pauses are added, so
  // a scripted stall runs its course while a client that stops reading is still cut off.
  const auto arm_idle =
      [&idle, weak = std::weak_ptr<detail::Connection>(connection)](std::chrono::microseconds extra = {}) {
        idle.expires_after(kIdleTimeout + extra);
        idle.async_wait([weak](boost::system::error_code ec) {
          if (ec) return;
          if (auto connection = weak.lock()) connection->close_now(false);
        });
      };
  try {
    arm_idle();
    co_await connection->handshake();
    beast::flat_buffer buffer;
    for (bool closed = false; !closed;) {
      arm_idle();
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      parser.header_limit(kHeaderLimit);
      parser.eager(true);
      const bool parsed = co_await read_request(*connection, buffer, parser);
      if (!parsed) {
        static constexpr std::string_view kBadRequest =
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: "
            "close\r\n\r\nbad request\n";
        co_await connection->write(asio::buffer(kBadRequest));
        connection->shutdown_and_close();
        break;
      }
      const auto plan = responder.respond(to_request(parser.release()));
      arm_idle(total_pause(plan));
      co_await run_plan(*connection, plan, pause, closed);
    }
  } catch (const boost::system::system_error&) {
    // The peer went away, or the idle timer closed the socket: the session simply ends.
  } catch (const std::exception& error) {
    spdlog::warn("fake LLM server: connection dropped: {}", error.what());
  }
  idle.cancel();
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, detail::Responder& responder,
                                  std::shared_ptr<detail::TlsContext> tls) {
  const auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE; the next accept may succeed
    socket.set_option(tcp::no_delay(true), ec);
    std::shared_ptr<detail::Connection> connection;
    if (tls) {
      connection = detail::make_tls_connection(std::move(socket), *tls);
    } else {
      connection = detail::make_plain_connection(std::move(socket));
    }
    // Sessions live in the io_context, which the server owns and destroys on shutdown.
    asio::co_spawn(executor, serve(std::move(connection), responder), asio::detached);
  }
}

}  // namespace

std::unique_ptr<detail::Connection> detail::make_plain_connection(tcp::socket socket) {
  return std::make_unique<PlainConnection>(std::move(socket));
}

// Member order is destruction order in reverse: the io_context (and with it every session
// frame) goes before the responder and TLS context that sessions refer to.
struct FakeLlmServer::Impl {
  Impl(const std::string& script_yaml, const std::string& fixtures_path,
       std::shared_ptr<detail::TlsContext> tls_context, std::uint16_t wanted_port)
      : responder(script_yaml, fixtures_path), tls(std::move(tls_context)) {
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), wanted_port);
    try {
      acceptor.open(endpoint.protocol());
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      acceptor.bind(endpoint);
      acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& error) {
      throw std::runtime_error("fake LLM server: cannot listen on 127.0.0.1:" + std::to_string(wanted_port) +
                               ": " + error.code().message());
    }
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_loop(acceptor, responder, tls), asio::detached);
    thread = std::thread([this] {
      try {
        io.run();
      } catch (const std::exception& error) {  // a bug in the fake: say so rather than terminate
        spdlog::error("fake LLM server stopped: {}", error.what());
      }
    });
  }

  ~Impl() {
    io.stop();
    thread.join();
  }

  detail::Responder responder;
  std::shared_ptr<detail::TlsContext> tls;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;
};

FakeLlmServer::FakeLlmServer(const std::string& script_yaml, const std::string& fixtures_path,
                             std::uint16_t port)
    : impl_(std::make_unique<Impl>(script_yaml, fixtures_path, nullptr, port)) {}

FakeLlmServer::FakeLlmServer(const std::string& script_yaml, const std::string& cert_pem,
                             const std::string& key_pem, const std::string& fixtures_path, std::uint16_t port)
    : impl_(std::make_unique<Impl>(script_yaml, fixtures_path, detail::make_tls_context(cert_pem, key_pem),
                                   port)) {}

FakeLlmServer::~FakeLlmServer() = default;

std::uint16_t FakeLlmServer::port() const { return impl_->port; }

std::string FakeLlmServer::base_url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) + "/v1";
}

std::vector<FakeRequestLog> FakeLlmServer::requests() const { return impl_->responder.requests(); }

std::size_t FakeLlmServer::chat_requests() const { return impl_->responder.chat_requests(); }

}  // namespace agentco::testing
