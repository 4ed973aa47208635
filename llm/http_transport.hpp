// HttpTransport: a small HTTP/1.1 client for model servers, awaitable and bounded in time.
//
// Promises:
// - http and https URLs (Boost.URL); TLS through OpenSSL with the system CA store, SNI and
//   host name verification; verification is off only when `insecure` is set.
// - Keep-alive: a few idle connections per scheme://host:port (and proxy) are reused after
//   a complete response; a connection that failed or was not read to the end is dropped.
//   A reused connection that turns out to be closed by the server before any byte of the
//   response arrived is replaced by a fresh one once, invisibly to the caller.
// - Proxies from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case forms): CONNECT
//   tunnels for https, absolute-form requests for http. Loopback hosts never use a proxy
//   found in the environment.
// - Four deadlines: connect (DNS, TCP, proxy tunnel, TLS handshake), first byte (request
//   sent -> first byte of the response), idle (gap between two reads once the response has
//   started) and total (the whole request). Each failure is an Error whose message names
//   the deadline and host:port.
// - The body is either collected into HttpResponse::body or handed piece by piece to a
//   BodySink as it arrives (streaming).
// Expected failures are Error values with these codes: "url", "dns", "refused", "connect",
// "tls", "proxy", "timeout", "reset", "protocol", "aborted" (the sink asked to stop). Never
// throws for them.
//
// Thread-safety: one HttpTransport may serve many concurrent requests, all from coroutines
// running on one thread (one io_context thread or one strand). Requests use the executor
// of the coroutine that awaits them. Idle connections are kept with their io_context (as
// an Asio service), so a transport may outlive the io_context it was used with, or be used
// with several in turn.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace agentco {

// An absolute http(s) URL, split for connecting.
struct HttpUrl {
  std::string scheme;      // "http" or "https"
  std::string host;        // without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;      // path and query, "/" when empty
  std::string userinfo;    // "user:password" (decoded), for proxies

  // "host:port", with brackets for IPv6.
  std::string authority() const;
  // What a Host header says: the port only when it is not the scheme's default.
  std::string host_header() const;
};

// Error "url" for anything that is not an absolute http(s) URL with a host.
Result<HttpUrl> parse_http_url(std::string_view url);

// Joins a base URL ("http://h:1/v1" or ".../v1/") and a path ("/chat/completions").
std::string join_url(std::string_view base, std::string_view path);

// The proxy settings of the environment. Empty strings mean unset.
struct ProxyEnvironment {
  std::string https_proxy;
  std::string http_proxy;
  std::string no_proxy;
  // Reads the lower-case names first (https_proxy, http_proxy, no_proxy), then upper-case.
  static ProxyEnvironment from_environment();
};

// True when NO_PROXY-style `no_proxy` ("*", "example.com", ".example.com", "host:8080",
// "10.0.0.1", comma or space separated) exempts host:port.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

// The proxy to use for `target`, or nothing for a direct connection. Loopback hosts
// (localhost, 127.0.0.0/8, ::1) are always direct. Error "url" for a proxy URL that does
// not parse or is not http://.
Result<std::optional<HttpUrl>> choose_proxy(const HttpUrl& target, const ProxyEnvironment& env);

struct HttpDeadlines {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds first_byte{120'000};
  std::chrono::milliseconds idle{60'000};
  std::chrono::milliseconds total{600'000};
};

struct TransportOptions {
  HttpDeadlines deadlines;
  bool insecure = false;  // accept any certificate and host name (only when a user asks)
  std::string ca_file;    // extra trusted CA certificates (PEM file); empty: only the system's
  // When set, this proxy URL is used for every request ("" = never a proxy) and the
  // environment is not read. Unset: the environment decides (see choose_proxy).
  std::optional<std::string> proxy;
  std::size_t max_idle_per_host = 8;
  std::chrono::milliseconds max_idle_time{30'000};  // older idle connections are not reused
  std::uint64_t body_limit = 64ull << 20;           // bytes
  std::string user_agent = "agentco";
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when not empty or when the method is POST
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;                                          // the whole body, unless a BodySink was given
  bool reused_connection = false;
  double first_byte_s = 0.0;  // request start -> first byte of the response
  double total_s = 0.0;       // request start -> last byte

  // The first header with this name (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
};

// Receives the body piece by piece; `head` has the status and headers (no body). Returns
// false to stop reading: the connection is closed and the request ends with "aborted".
using BodySink = std::function<bool(const HttpResponse& head, std::string_view piece)>;

// Whether a transport error may go away on its own (timeouts, resets, failed connections
// other than a refusal), so that retrying makes sense.
bool is_transient_transport_error(const Error& error);

struct TransportStats {
  long requests = 0;            // requests started
  long connections_opened = 0;  // TCP connections made (including proxy tunnels)
  long connections_reused = 0;  // requests served by an idle connection
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions options = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // One request. Any status is a success at this level (the caller judges 4xx/5xx).
  boost::asio::awaitable<Result<HttpResponse>> request(HttpRequest request, BodySink sink = {});

  // Closes every idle connection.
  void close_idle();
  TransportStats stats() const;
  const TransportOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

namespace detail {

// What the transport needs of a connected stream: plain TCP or TLS over TCP. Implemented in
// http_transport.cpp (plain) and http_transport_tls.cpp (TLS), so that the TLS templates are
// instantiated in a translation unit of their own.
struct IoResult {
  boost::system::error_code ec;
  std::size_t bytes = 0;
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual boost::asio::awaitable<IoResult> read_some(char* data, std::size_t size) = 0;
  virtual boost::asio::awaitable<IoResult> write_all(std::string_view data) = 0;
  // The TCP socket underneath: cancel() it to abort pending operations.
  virtual boost::asio::ip::tcp::socket& socket() = 0;
};

class TlsContext;  // defined in http_transport_tls.cpp

// Error "tls" when `ca_file` cannot be read or the system store is unusable.
Result<std::shared_ptr<TlsContext>> make_tls_context(bool insecure, const std::string& ca_file);

class TlsStream : public ByteStream {
 public:
  // Handshake with SNI and (unless the context is insecure) certificate and host name
  // verification. Error "tls" naming host:port and, for a refused certificate, why.
  virtual boost::asio::awaitable<Status> handshake() = 0;
};

// Wraps a connected socket (direct or tunnelled) for TLS with `host` (for SNI and
// verification) and `authority` (host:port, for messages).
std::unique_ptr<TlsStream> make_tls_stream(std::shared_ptr<TlsContext> context,
                                           boost::asio::ip::tcp::socket socket, const std::string& host,
                                           const std::string& authority);

}  // namespace detail
}  // namespace agentco
