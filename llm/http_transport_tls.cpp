// The TLS half of HttpTransport: OpenSSL context and stream. Kept apart from
// http_transport.cpp so that the ssl::stream templates are compiled in a file of their own.
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "llm/http_transport.hpp"

namespace agentco::detail {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

class TlsContext {
 public:
  ssl::context context{ssl::context::tls_client};
  bool insecure = false;
};

Result<std::shared_ptr<TlsContext>> make_tls_context(bool insecure, const std::string& ca_file) {
  auto tls = std::make_shared<TlsContext>();
  tls->insecure = insecure;
  error_code ec;
  SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION);
  tls->context.set_default_verify_paths(ec);
  if (ec && !insecure && ca_file.empty())
    return make_error("tls", "cannot load the system's CA certificates: " + ec.message());
  if (!ca_file.empty()) {
    tls->context.load_verify_file(ca_file, ec);
    if (ec) return make_error("tls", fmt::format("cannot load CA file {}: {}", ca_file, ec.message()));
  }
  tls->context.set_verify_mode(insecure ? ssl::verify_none : ssl::verify_peer);
  return tls;
}

namespace {

class OpenSslStream final : public TlsStream {
 public:
  OpenSslStream(std::shared_ptr<TlsContext> context, asio::ip::tcp::socket socket, std::string host,
                std::string authority)
      : context_(std::move(context)),
        stream_(std::move(socket), context_->context),
        host_(std::move(host)),
        authority_(std::move(authority)) {}

  asio::awaitable<Status> handshake() override {
    SSL* ssl = stream_.native_handle();
    error_code ec;
    (void)asio::ip::make_address(host_, ec);
    const bool is_address = !ec;
    if (!is_address) SSL_set_tlsext_host_name(ssl, host_.c_str());  // SNI takes names only
    if (!context_->insecure) {
      // OpenSSL checks the name itself (and so can say "hostname mismatch"); Asio's callback
      // checks it once more at the end of the chain.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (is_address)
        X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
      stream_.set_verify_callback(ssl::host_name_verification(host_));
    }
    auto [handshake_ec] =
        co_await stream_.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (!handshake_ec) co_return ok_status();
    std::string why = handshake_ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (why.find("wrong version number") != std::string::npos)
      why += " (the server may speak plain HTTP on that port: try http://)";
    if (verify != X509_V_OK)
      why = fmt::format(
          "certificate not accepted: {} (to trust a self-signed certificate, point "
          "SSL_CERT_FILE at it; or, only for a server you trust, pass --insecure or set "
          "llm.insecure: true)",
          X509_verify_cert_error_string(verify));
    co_return make_error("tls", fmt::format("TLS handshake with {} failed: {}", authority_, why));
  }

  asio::awaitable<IoResult> read_some(char* data, std::size_t size) override {
    auto [ec, n] =
        co_await stream_.async_read_some(asio::buffer(data, size), asio::as_tuple(asio::use_awaitable));
    // Servers often close without a TLS close_notify; for HTTP that is an ordinary end.
    if (ec == ssl::error::stream_truncated) ec = asio::error::eof;
    co_return IoResult{ec, n};
  }

  asio::awaitable<IoResult> write_all(std::string_view data) override {
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data.data(), data.size()),
                                              asio::as_tuple(asio::use_awaitable));
    co_return IoResult{ec, n};
  }

  asio::ip::tcp::socket& socket() override { return stream_.next_layer(); }

 private:
  std::shared_ptr<TlsContext> context_;
  ssl::stream<asio::ip::tcp::socket> stream_;
  std::string host_;
  std::string authority_;
};

}  // namespace

std::unique_ptr<TlsStream> make_tls_stream(std::shared_ptr<TlsContext> context, asio::ip::tcp::socket socket,
                                           const std::string& host, const std::string& authority) {
  return std::make_unique<OpenSslStream>(std::move(context), std::move(socket), host, authority);
}

}  // namespace agentco::detail
