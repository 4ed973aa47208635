// HttpTransport over plain TCP: URLs, proxies, the connection pool, deadlines and HTTP/1.1
// framing. The request is written by hand (it is a few lines of text); the response is
// parsed by Beast's parser fed through put(), so no Beast stream templates are instantiated
// here. TLS lives in http_transport_tls.cpp.
#include "llm/http_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cstdlib>
#include <map>

namespace agentco {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool is_loopback(std::string_view host) {
  if (iequals(host, "localhost") || lower(host).ends_with(".localhost")) return true;
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

bool is_closed_by_peer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

bool has_line_break(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

// ---- URLs ------------------------------------------------------------------------------------

std::string HttpUrl::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::string HttpUrl::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string name = ipv6 ? "[" + host + "]" : host;
  return port == default_port(scheme) ? name : fmt::format("{}:{}", name, port);
}

Result<HttpUrl> parse_http_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  if (!parsed)
    return make_error(
        "url", fmt::format("'{}' is not a valid URL ({}); expected e.g. http://127.0.0.1:11434/v1", text,
                           parsed.error().message()));
  const boost::urls::url_view& url = *parsed;
  HttpUrl out;
  out.scheme = lower(std::string_view(url.scheme().data(), url.scheme().size()));
  if (out.scheme != "http" && out.scheme != "https")
    return make_error("url", fmt::format("'{}': only http:// and https:// URLs are supported", text));
  out.host = url.host_address();
  if (out.host.empty()) return make_error("url", fmt::format("'{}' has no host", text));
  if (url.has_port()) {
    if (url.port_number() == 0) return make_error("url", fmt::format("'{}' has an invalid port", text));
    out.port = url.port_number();
  } else {
    out.port = default_port(out.scheme);
  }
  const auto path = url.encoded_path();
  out.target = path.empty() ? "/" : std::string(path.data(), path.size());
  if (url.has_query()) {
    const auto query = url.encoded_query();
    out.target += "?" + std::string(query.data(), query.size());
  }
  if (url.has_userinfo()) out.userinfo = url.userinfo();
  return out;
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(base) + "/" + std::string(path);
}

// ---- Proxies ---------------------------------------------------------------------------------

ProxyEnvironment ProxyEnvironment::from_environment() {
  auto read = [](const char* low, const char* up) {
    if (const char* v = std::getenv(low); v && *v) return std::string(v);
    if (const char* v = std::getenv(up); v && *v) return std::string(v);
    return std::string();
  };
  return {read("https_proxy", "HTTPS_PROXY"), read("http_proxy", "HTTP_PROXY"), read("no_proxy", "NO_PROXY")};
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  const std::string name = lower(host);
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t end = no_proxy.find_first_of(", ", start);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string entry = lower(no_proxy.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // "host:port" limits the entry to one port; "[::1]:8080" and bare IPv6 are handled too.
    std::optional<std::uint16_t> only_port;
    if (entry.front() == '[') {
      const auto close = entry.find(']');
      if (close == std::string::npos) continue;
      if (close + 2 < entry.size() && entry[close + 1] == ':')
        only_port = static_cast<std::uint16_t>(std::strtoul(entry.c_str() + close + 2, nullptr, 10));
      entry = entry.substr(1, close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      const auto colon = entry.find(':');
      only_port = static_cast<std::uint16_t>(std::strtoul(entry.c_str() + colon + 1, nullptr, 10));
      entry.resize(colon);
    }
    if (only_port && *only_port != port) continue;
    if (entry.front() == '.') entry.erase(0, 1);
    if (entry.starts_with("*.")) entry.erase(0, 2);
    if (name == entry ||
        (name.size() > entry.size() && name.ends_with(entry) && name[name.size() - entry.size() - 1] == '.'))
      return true;
  }
  return false;
}

Result<std::optional<HttpUrl>> choose_proxy(const HttpUrl& target, const ProxyEnvironment& env) {
  if (is_loopback(target.host)) return std::optional<HttpUrl>();
  const std::string& setting = target.scheme == "https" ? env.https_proxy : env.http_proxy;
  if (setting.empty() || no_proxy_matches(env.no_proxy, target.host, target.port))
    return std::optional<HttpUrl>();
  std::string text = setting;
  if (text.find("://") == std::string::npos) text = "http://" + text;  // "proxy:3128" is common
  auto proxy = parse_http_url(text);
  if (!proxy) return make_error("url", "proxy setting: " + proxy.error().message);
  if (proxy->scheme != "http")
    return make_error("url", fmt::format("proxy '{}': only http:// proxies are supported", setting));
  return std::optional<HttpUrl>(std::move(*proxy));
}

// ---- Responses and errors --------------------------------------------------------------------

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

bool is_transient_transport_error(const Error& error) {
  return error.code == "timeout" || error.code == "reset" || error.code == "connect";
}

namespace {

// ---- Streams and connections ---------------------------------------------------------------

class PlainStream final : public detail::ByteStream {
 public:
  explicit PlainStream(tcp::socket socket) : socket_(std::move(socket)) {}

  asio::awaitable<detail::IoResult> read_some(char* data, std::size_t size) override {
    auto [ec, n] =
        co_await socket_.async_read_some(asio::buffer(data, size), asio::as_tuple(asio::use_awaitable));
    co_return detail::IoResult{ec, n};
  }

  asio::awaitable<detail::IoResult> write_all(std::string_view data) override {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                                              asio::as_tuple(asio::use_awaitable));
    co_return detail::IoResult{ec, n};
  }

  tcp::socket& socket() override { return socket_; }

 private:
  tcp::socket socket_;
};

enum class Deadline { connect, first_byte, idle, total };

// One connection, idle in the pool or serving one request. Its timer enforces whichever
// deadline is armed by cancelling the socket; the generation number makes a late timer
// completion from an earlier arm() harmless.
struct Connection : std::enable_shared_from_this<Connection> {
  explicit Connection(const asio::any_io_executor& executor)
      : executor(executor), timer(executor), stream(std::make_unique<PlainStream>(tcp::socket(executor))) {}

  void arm(Clock::time_point deadline, Deadline kind, Clock::time_point total_deadline) {
    ++generation;
    fired = false;
    armed = kind;
    if (total_deadline < deadline) {
      deadline = total_deadline;
      armed = Deadline::total;
    }
    timer.expires_at(deadline);
    timer.async_wait([weak = weak_from_this(), generation = generation](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation != generation) return;
      self->fired = true;
      error_code ignored;
      self->stream->socket().cancel(ignored);
    });
  }

  void disarm() {
    ++generation;
    timer.cancel();
  }

  void close() {
    open = false;
    disarm();
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->socket().close(ignored);
  }

  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::unique_ptr<detail::ByteStream> stream;
  unsigned long generation = 0;
  bool fired = false;
  bool open = true;
  Deadline armed = Deadline::total;
  Clock::time_point idle_since;
};

// ---- The response body, streamed through Beast's parser -----------------------------------

struct Exchange {
  HttpResponse response;
  const BodySink* sink = nullptr;
  bool head_captured = false;
  bool aborted = false;

  void capture_head(const http::response_header<>& head) {
    if (head_captured) return;
    head_captured = true;
    response.status = static_cast<int>(head.result_int());
    response.reason = std::string(head.reason());
    for (const auto& field : head)
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }

  bool take(std::string_view piece) {
    if (sink && *sink) {
      if (!(*sink)(response, piece)) aborted = true;
      return !aborted;
    }
    response.body.append(piece);
    return true;
  }
};

// A Beast body that hands each piece to the Exchange instead of storing it.
struct SinkBody {
  struct value_type {
    Exchange* exchange = nullptr;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>& head, value_type& body) : head_(head), body_(body) {}

    void init(const boost::optional<std::uint64_t>&, error_code& ec) {
      body_.exchange->capture_head(head_);  // the sink sees the status before any body byte
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      std::size_t total = 0;
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
        const asio::const_buffer piece = *it;
        if (!body_.exchange->take(std::string_view(static_cast<const char*>(piece.data()), piece.size()))) {
          ec = asio::error::operation_aborted;
          return total;
        }
        total += piece.size();
      }
      ec = {};
      return total;
    }

    void finish(error_code& ec) { ec = {}; }

   private:
    http::response_header<>& head_;
    value_type& body_;
  };
};

// The idle connections of one execution context, as an Asio service of that context: when
// the context is destroyed it shuts the service down first, so no socket outlives the
// context it belongs to, whichever of transport and context goes first. Keys start with the
// owning transport's number, so transports never share connections.
class IdleConnections : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;

  explicit IdleConnections(asio::execution_context& context) : asio::execution_context::service(context) {}

  std::map<std::string, std::vector<std::shared_ptr<Connection>>> lists;

 private:
  void shutdown() override {
    for (auto& [key, list] : lists)
      for (auto& connection : list) connection->close();
    lists.clear();
  }
};

asio::execution_context::id IdleConnections::id;

IdleConnections& idle_connections(const asio::any_io_executor& executor) {
  return asio::use_service<IdleConnections>(asio::query(executor, asio::execution::context));
}

long next_transport_number() {
  static std::atomic<long> counter{0};
  return ++counter;
}

}  // namespace

// ---- The transport -----------------------------------------------------------------------

struct HttpTransport::Impl : std::enable_shared_from_this<HttpTransport::Impl> {
  explicit Impl(TransportOptions opts) : options(std::move(opts)) {}

  // Where a request goes: the target, the proxy (if any) and the pool key of both.
  struct Route {
    HttpUrl target;
    std::optional<HttpUrl> proxy;
    std::string key;
    std::string shown;  // host:port, plus " via proxy host:port"
  };

  Result<Route> route_for(const std::string& url) {
    auto target = parse_http_url(url);
    if (!target) return target.error();
    Route route{*target, std::nullopt, "", ""};
    if (options.proxy) {
      if (!options.proxy->empty()) {
        auto proxy = parse_http_url(*options.proxy);
        if (!proxy) return make_error("url", "proxy: " + proxy.error().message);
        route.proxy = *proxy;
      }
    } else {
      auto proxy = choose_proxy(route.target, ProxyEnvironment::from_environment());
      if (!proxy) return proxy.error();
      route.proxy = *proxy;
    }
    route.shown = route.target.authority();
    if (route.proxy) route.shown += " via proxy " + route.proxy->authority();
    route.key = fmt::format("#{} {}://{}", number, route.target.scheme, route.shown);
    return route;
  }

  std::shared_ptr<Connection> take_idle(const std::string& key, const asio::any_io_executor& executor) {
    auto& lists = idle_connections(executor).lists;
    auto it = lists.find(key);
    if (it == lists.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      std::shared_ptr<Connection> connection = std::move(list.back());
      list.pop_back();
      if (connection->open && Clock::now() - connection->idle_since < options.max_idle_time)
        return connection;
      connection->close();
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::shared_ptr<Connection> connection) {
    auto& list = idle_connections(connection->executor).lists[key];
    std::erase_if(list, [](const auto& c) { return !c->open; });
    if (list.size() >= options.max_idle_per_host) {
      connection->close();
      return;
    }
    connection->disarm();
    connection->idle_since = Clock::now();
    std::erase_if(pooled, [](const auto& weak) { return weak.expired(); });
    pooled.push_back(connection);
    list.push_back(std::move(connection));
  }

  void drop_idle(const std::string& key, const asio::any_io_executor& executor) {
    auto& lists = idle_connections(executor).lists;
    auto it = lists.find(key);
    if (it == lists.end()) return;
    for (auto& connection : it->second) connection->close();
    lists.erase(it);
  }

  // Closes this transport's idle connections in contexts that are still alive (a dead
  // context has destroyed them already, which expires the weak pointers).
  void close_idle() {
    const std::string prefix = fmt::format("#{} ", number);
    for (auto& weak : pooled) {
      auto connection = weak.lock();
      if (!connection) continue;
      auto& lists = idle_connections(connection->executor).lists;
      for (auto it = lists.begin(); it != lists.end();) {
        if (it->first.starts_with(prefix)) {
          for (auto& each : it->second) each->close();
          it = lists.erase(it);
        } else {
          ++it;
        }
      }
    }
    pooled.clear();
  }

  Error timeout_error(const Connection& connection, const std::string& shown, const char* what,
                      std::chrono::milliseconds own_limit) const {
    if (connection.armed == Deadline::total)
      return make_error("timeout",
                        fmt::format("the request to {} took longer than {} (total deadline) while {}", shown,
                                    seconds(options.deadlines.total), what));
    switch (connection.armed) {
      case Deadline::connect:
        return make_error("timeout",
                          fmt::format("could not connect to {} within {} (connect deadline) while {}", shown,
                                      seconds(own_limit), what));
      case Deadline::first_byte:
        return make_error("timeout", fmt::format("no response from {} within {} of sending the request "
                                                 "(first-byte deadline)",
                                                 shown, seconds(own_limit)));
      default:
        return make_error("timeout", fmt::format("{} sent nothing for {} in the middle of the response "
                                                 "(idle deadline)",
                                                 shown, seconds(own_limit)));
    }
  }

  // DNS, TCP connect, proxy tunnel and TLS handshake, all under the connect deadline.
  asio::awaitable<Result<std::shared_ptr<Connection>>> open(const Route& route,
                                                            Clock::time_point total_deadline) {
    const auto executor = co_await asio::this_coro::executor;
    const Clock::time_point deadline = Clock::now() + options.deadlines.connect;
    const HttpUrl& hop = route.proxy ? *route.proxy : route.target;
    const std::string hop_shown = route.proxy ? "proxy " + hop.authority() : hop.authority();

    std::vector<tcp::endpoint> endpoints;
    error_code address_ec;
    const auto address = asio::ip::make_address(hop.host, address_ec);
    if (!address_ec) {
      endpoints.emplace_back(address, hop.port);
    } else {
      auto resolver = std::make_shared<tcp::resolver>(executor);
      auto fired = std::make_shared<bool>(false);
      asio::steady_timer timer(executor);
      timer.expires_at(std::min(deadline, total_deadline));
      timer.async_wait([resolver, fired](const error_code& ec) {
        if (ec) return;
        *fired = true;
        resolver->cancel();
      });
      auto [ec, results] = co_await resolver->async_resolve(hop.host, std::to_string(hop.port),
                                                            asio::as_tuple(asio::use_awaitable));
      timer.cancel();
      if (*fired)
        co_return make_error("timeout", fmt::format("could not resolve {} within {} (connect deadline)",
                                                    hop.host, seconds(options.deadlines.connect)));
      if (ec)
        co_return make_error(
            "dns", fmt::format("cannot resolve host '{}' (for {}): {}", hop.host, hop_shown, ec.message()));
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    auto connection = std::make_shared<Connection>(executor);
    connection->arm(deadline, Deadline::connect, total_deadline);
    auto [connect_ec, endpoint] = co_await asio::async_connect(connection->stream->socket(), endpoints,
                                                               asio::as_tuple(asio::use_awaitable));
    connection->disarm();
    if (connection->fired)
      co_return timeout_error(*connection, hop_shown, "connecting", options.deadlines.connect);
    if (connect_ec == asio::error::connection_refused)
      co_return make_error("refused",
                           fmt::format("connection refused by {} — is the server running and listening "
                                       "on that port?",
                                       hop_shown));
    if (connect_ec)
      co_return make_error("connect",
                           fmt::format("cannot connect to {}: {}", hop_shown, connect_ec.message()));
    ++stats.connections_opened;
    error_code ignored;
    connection->stream->socket().set_option(tcp::no_delay(true), ignored);

    if (route.proxy && route.target.scheme == "https") {
      Status tunnel = co_await open_tunnel(*connection, route, deadline, total_deadline);
      if (!tunnel) co_return tunnel.error();
    }
    if (route.target.scheme == "https") {
      if (!tls_context) {
        auto context = detail::make_tls_context(options.insecure, options.ca_file);
        if (!context) co_return context.error();
        tls_context = *context;
      }
      tcp::socket socket = std::move(connection->stream->socket());
      connection->stream = detail::make_tls_stream(tls_context, std::move(socket), route.target.host,
                                                   route.target.authority());
      auto& tls = static_cast<detail::TlsStream&>(*connection->stream);
      connection->arm(deadline, Deadline::connect, total_deadline);
      Status handshake = co_await tls.handshake();
      connection->disarm();
      if (connection->fired)
        co_return timeout_error(*connection, route.shown, "in the TLS handshake", options.deadlines.connect);
      if (!handshake) co_return handshake.error();
    }
    co_return connection;
  }

  // CONNECT host:port through an HTTP proxy; the proxy's reply is read up to its blank line.
  asio::awaitable<Status> open_tunnel(Connection& connection, const Route& route, Clock::time_point deadline,
                                      Clock::time_point total_deadline) {
    const std::string authority = route.target.authority();
    std::string text = fmt::format("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", authority);
    if (!route.proxy->userinfo.empty())
      text += "Proxy-Authorization: Basic " + base64(route.proxy->userinfo) + "\r\n";
    text += "\r\n";
    connection.arm(deadline, Deadline::connect, total_deadline);
    detail::IoResult written = co_await connection.stream->write_all(text);
    std::string reply;
    std::array<char, 1024> buffer{};
    while (!written.ec && reply.find("\r\n\r\n") == std::string::npos && reply.size() < 16384) {
      detail::IoResult read = co_await connection.stream->read_some(buffer.data(), buffer.size());
      if (read.ec) {
        written.ec = read.ec;
        break;
      }
      reply.append(buffer.data(), read.bytes);
    }
    connection.disarm();
    const std::string proxy = route.proxy->authority();
    if (connection.fired)
      co_return timeout_error(connection, "proxy " + proxy, "opening a tunnel", options.deadlines.connect);
    if (written.ec)
      co_return make_error(
          "proxy", fmt::format("proxy {} closed the connection while opening a tunnel to {}: {}", proxy,
                               authority, written.ec.message()));
    const std::string status_line = reply.substr(0, reply.find("\r\n"));
    const auto space = status_line.find(' ');
    const int status = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
    if (status < 200 || status > 299)
      co_return make_error("proxy", fmt::format("proxy {} refused to open a tunnel to {}: '{}'", proxy,
                                                authority, status_line));
    if (reply.size() > reply.find("\r\n\r\n") + 4)
      co_return make_error(
          "proxy", fmt::format("proxy {} sent data before the tunnel to {} was used", proxy, authority));
    co_return ok_status();
  }

  std::string request_text(const HttpRequest& request, const Route& route) const {
    std::string target = route.target.target;
    if (route.proxy && route.target.scheme == "http")  // absolute-form through a plain proxy
      target = "http://" + route.target.host_header() + target;
    std::string text =
        fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", request.method, target, route.target.host_header());
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
      text += name + ": " + value + "\r\n";
      if (iequals(name, "user-agent")) has_user_agent = true;
    }
    if (!has_user_agent) text += "User-Agent: " + options.user_agent + "\r\n";
    if (route.proxy && route.target.scheme == "http" && !route.proxy->userinfo.empty())
      text += "Proxy-Authorization: Basic " + base64(route.proxy->userinfo) + "\r\n";
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
      text += fmt::format("Content-Length: {}\r\n", request.body.size());
    text += "\r\n";
    text += request.body;
    return text;
  }

  enum class Outcome { done, stale };

  // Sends the request on `connection` and reads the response. `stale` means a reused
  // connection was found closed before any byte of the response: try a fresh one.
  asio::awaitable<Result<Outcome>> exchange(std::shared_ptr<Connection> connection, bool reused,
                                            const Route& route, const std::string& text, const BodySink& sink,
                                            Clock::time_point started, Clock::time_point total_deadline,
                                            HttpResponse& out) {
    const auto& deadlines = options.deadlines;
    const Clock::time_point first_byte_deadline = Clock::now() + deadlines.first_byte;

    connection->arm(first_byte_deadline, Deadline::first_byte, total_deadline);
    detail::IoResult written = co_await connection->stream->write_all(text);
    connection->disarm();
    if (connection->fired) co_return timeout_error(*connection, route.shown, "sending", deadlines.first_byte);
    if (written.ec) {
      if (reused && is_closed_by_peer(written.ec)) co_return Outcome::stale;
      co_return make_error(
          "reset", fmt::format("sending the request to {} failed: {}", route.shown, written.ec.message()));
    }

    Exchange exchange;
    exchange.sink = &sink;
    exchange.response.reused_connection = reused;
    http::response_parser<SinkBody> parser;
    parser.get().body().exchange = &exchange;
    parser.body_limit(options.body_limit);
    parser.header_limit(64 * 1024);
    parser.eager(true);

    std::string pending;
    std::array<char, 16 * 1024> buffer{};
    bool got_any = false;
    while (!parser.is_done()) {
      while (!pending.empty() && !parser.is_done()) {
        error_code ec;
        const std::size_t used = parser.put(asio::buffer(pending), ec);
        pending.erase(0, used);
        if (exchange.aborted)
          co_return make_error("aborted", "the response from " + route.shown + " was abandoned");
        if (ec == http::error::need_more) break;
        if (ec == http::error::body_limit)
          co_return make_error("protocol", fmt::format("the response from {} is larger than {} bytes",
                                                       route.shown, options.body_limit));
        if (ec)
          co_return make_error("protocol",
                               fmt::format("malformed HTTP response from {}: {}", route.shown, ec.message()));
        if (used == 0) break;
      }
      if (parser.is_done()) break;

      if (got_any) {
        connection->arm(Clock::now() + deadlines.idle, Deadline::idle, total_deadline);
      } else {
        connection->arm(first_byte_deadline, Deadline::first_byte, total_deadline);
      }
      detail::IoResult read = co_await connection->stream->read_some(buffer.data(), buffer.size());
      connection->disarm();
      if (connection->fired) {
        const auto limit = got_any ? deadlines.idle : deadlines.first_byte;
        co_return timeout_error(*connection, route.shown, "reading the response", limit);
      }
      if (read.ec) {
        if (!got_any && reused && is_closed_by_peer(read.ec)) co_return Outcome::stale;
        if (read.ec == asio::error::eof && parser.is_header_done() && parser.need_eof()) {
          error_code ec;
          parser.put_eof(ec);
          if (!ec && parser.is_done()) break;
        }
        if (read.ec == asio::error::eof)
          co_return make_error("reset", fmt::format("{} closed the connection {}", route.shown,
                                                    got_any ? "before the response was complete"
                                                            : "without sending a response"));
        co_return make_error("reset",
                             fmt::format("the connection to {} failed {}: {}", route.shown,
                                         got_any ? "in the middle of the response" : "before the response",
                                         read.ec.message()));
      }
      if (!got_any) exchange.response.first_byte_s = since(started);
      got_any = true;
      pending.append(buffer.data(), read.bytes);
    }
    exchange.capture_head(parser.get().base());
    exchange.response.total_s = since(started);
    out = std::move(exchange.response);
    if (parser.keep_alive() && pending.empty()) {
      give_back(route.key, std::move(connection));
    } else {
      connection->close();
    }
    co_return Outcome::done;
  }

  asio::awaitable<Result<HttpResponse>> request(HttpRequest request, BodySink sink) {
    const auto executor = co_await asio::this_coro::executor;
    const Clock::time_point started = Clock::now();
    const Clock::time_point total_deadline = started + options.deadlines.total;
    ++stats.requests;
    auto route = route_for(request.url);
    if (!route) co_return route.error();
    for (const auto& [name, value] : request.headers)
      if (has_line_break(name) || has_line_break(value))
        co_return make_error("protocol", "header '" + name + "' contains a line break");
    const std::string text = request_text(request, *route);

    while (true) {
      std::shared_ptr<Connection> connection = take_idle(route->key, executor);
      const bool reused = connection != nullptr;
      if (reused) {
        ++stats.connections_reused;
      } else {
        auto opened = co_await open(*route, total_deadline);
        if (!opened) co_return opened.error();
        connection = std::move(*opened);
      }
      HttpResponse response;
      auto outcome =
          co_await exchange(connection, reused, *route, text, sink, started, total_deadline, response);
      if (!outcome) {
        connection->close();
        co_return outcome.error();
      }
      if (*outcome == Outcome::done) co_return response;
      // A kept-alive connection the server had closed: its siblings are likely closed too.
      connection->close();
      drop_idle(route->key, executor);
    }
  }

  TransportOptions options;
  const long number = next_transport_number();
  TransportStats stats;
  std::shared_ptr<detail::TlsContext> tls_context;
  std::vector<std::weak_ptr<Connection>> pooled;  // what this transport left idle, for close_idle()
};

HttpTransport::HttpTransport(TransportOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpTransport::~HttpTransport() { close_idle(); }

asio::awaitable<Result<HttpResponse>> HttpTransport::request(HttpRequest request, BodySink sink) {
  std::shared_ptr<Impl> impl = impl_;  // keeps the pool alive while this request runs
  co_return co_await impl->request(std::move(request), std::move(sink));
}

void HttpTransport::close_idle() { impl_->close_idle(); }

TransportStats HttpTransport::stats() const { return impl_->stats; }

const TransportOptions& HttpTransport::options() const { return impl_->options; }

}  // namespace agentco
