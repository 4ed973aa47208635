// The fake server's TLS side: an SSL stream behind the Connection interface, the server
// context, and a throwaway self-signed certificate. Kept apart so that the SSL stream's
// templates are compiled in a unit of their own.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

#include "tests/support/fake_llm_server_internal.hpp"

namespace agentco::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace detail {

class TlsContext {
 public:
  asio::ssl::context context{asio::ssl::context::tls_server};
};

namespace {

class TlsConnection final : public Connection {
 public:
  TlsConnection(tcp::socket socket, asio::ssl::context& context) : stream_(std::move(socket), context) {}

  asio::awaitable<void> handshake() override {
    co_await stream_.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
  }

  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) override {
    co_return co_await stream_.async_read_some(buffer, asio::use_awaitable);
  }

  asio::awaitable<void> write(asio::const_buffer buffer) override {
    co_await asio::async_write(stream_, buffer, asio::use_awaitable);
  }

  void close_now(bool reset) override {
    boost::system::error_code ignored;
    auto& socket = stream_.next_layer();
    if (reset) socket.set_option(tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
  }

  // No close_notify: clients read to the end of the message (Content-Length or chunked), and
  // waiting for the peer's close_notify could hang on a client that never sends it.
  void shutdown_and_close() override {
    boost::system::error_code ignored;
    auto& socket = stream_.next_layer();
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

 private:
  asio::ssl::stream<tcp::socket> stream_;
};

}  // namespace

std::shared_ptr<TlsContext> make_tls_context(const std::string& cert_pem, const std::string& key_pem) {
  auto tls = std::make_shared<TlsContext>();
  try {
    tls->context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                             asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                             asio::ssl::context::no_tlsv1_1);
    tls->context.use_certificate_chain(asio::buffer(cert_pem));
    tls->context.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
  } catch (const boost::system::system_error& error) {
    throw std::runtime_error(std::string("fake LLM server: bad TLS certificate or key: ") + error.what());
  }
  return tls;
}

std::unique_ptr<Connection> make_tls_connection(tcp::socket socket, TlsContext& context) {
  return std::make_unique<TlsConnection>(std::move(socket), context.context);
}

}  // namespace detail

namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
  void operator()(BIO* bio) const { BIO_free(bio); }
};
template <typename T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;

[[noreturn]] void openssl_failed(const char* what) {
  throw std::runtime_error(std::string("make_self_signed_certificate: ") + what + " failed");
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  OpenSslPtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) openssl_failed(value);
}

template <typename Write>
std::string to_pem(Write write) {
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) openssl_failed("PEM encoding");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::pair<std::string, std::string> make_self_signed_certificate() {
  OpenSslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) openssl_failed("EVP_EC_gen");
  OpenSslPtr<X509> cert(X509_new());
  if (!cert) openssl_failed("X509_new");

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) openssl_failed("RAND_bytes");
  serial_bytes[0] &= 0x7F;  // a positive serial
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  const bool serial_ok = serial && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  if (!serial_ok) openssl_failed("serial number");

  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) openssl_failed("X509_set_version");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 60 * 60);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) openssl_failed("X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  if (X509_set_issuer_name(cert.get(), name) != 1) openssl_failed("X509_set_issuer_name");

  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) openssl_failed("X509_sign");

  auto cert_pem = to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
  auto key_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return {std::move(cert_pem), std::move(key_pem)};
}

}  // namespace agentco::testing
