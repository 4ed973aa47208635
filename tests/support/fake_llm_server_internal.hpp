// Internals of FakeLlmServer shared by its three translation units:
//   fake_llm_server.cpp       the script and the responder (YAML, rules, OpenAI JSON; no sockets)
//   fake_llm_server_http.cpp  the HTTP/1.1 transport (Asio coroutines + Beast's request parser)
//   fake_llm_server_tls.cpp   the TLS connection and the self-signed certificate (Asio SSL, OpenSSL)
//   fake_llm_server_ollama.cpp  Ollama's native routes (/api/ps, /api/show) for the `ollama:` key
// The responder turns one request into a ResponsePlan: bytes to write, pauses and an abrupt
// reset, in order. The transport only executes plans, so every fault is data, not a branch
// in socket code. Not for use outside tests/support.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server.hpp"

namespace agentco::testing::detail {

// One parsed HTTP request, as the transport hands it to the responder.
struct HttpRequest {
  std::string method;
  std::string target;                          // path and query, as received
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool http10 = false;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// The script's `ollama:` key: the server poses as Ollama for the script's models (see the
// header of fake_llm_server.hpp for what each field shows where).
struct OllamaPosing {
  std::optional<long> context_length;  // /api/ps: a loaded model's context_length
  std::optional<long> num_ctx;         // /api/show: "num_ctx N" in parameters
  long model_context = 32768;          // /api/show: model_info "<architecture>.context_length"
  std::string architecture = "llama";  // /api/show: model_info "general.architecture"
  bool loaded = false;                 // /api/ps lists the models as loaded
};

// The answer to an Ollama route: status and JSON body; nullopt when `method path` is not one
// (GET /api/ps, POST /api/show).
struct OllamaAnswer {
  int status = 200;
  nlohmann::json body;
};
std::optional<OllamaAnswer> answer_ollama(const OllamaPosing& posing, const std::vector<std::string>& models,
                                          const std::string& method, const std::string& path,
                                          const std::string& body);

// What the transport does, step by step, to answer one request.
struct PlanStep {
  enum class Kind { write, pause, reset };
  Kind kind = Kind::write;
  std::string bytes;                  // write: sent with one socket write
  std::chrono::microseconds delay{};  // pause
};

struct ResponsePlan {
  std::vector<PlanStep> steps;
  bool close_after = false;  // close the connection (gracefully) after the last step
};

// The scripted brain: parses the script once, then answers requests. Thread-safe: the
// transport calls respond() from the I/O thread while tests read the log.
class Responder {
 public:
  Responder(const std::string& script_yaml, const std::string& fixtures_path);
  ResponsePlan respond(const HttpRequest& request);
  std::vector<FakeRequestLog> requests() const;
  std::size_t chat_requests() const;

  struct Script;  // defined in fake_llm_server.cpp

 private:
  ResponsePlan respond_locked(const HttpRequest& request, FakeRequestLog& log);
  ResponsePlan respond_chat(const HttpRequest& request, const std::string& model_override,
                            FakeRequestLog& log);

  std::shared_ptr<Script> script_;
  mutable std::mutex mutex_;  // guards everything below and the rules' use counters
  std::vector<FakeRequestLog> log_;
  std::size_t chat_requests_ = 0;
  std::uint64_t next_id_ = 1;
};

// A byte stream the transport serves; plain TCP or TLS. Each method is one network call;
// errors are thrown as boost::system::system_error (the session ends on any of them).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual boost::asio::awaitable<void> handshake() = 0;
  virtual boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer) = 0;
  virtual boost::asio::awaitable<void> write(boost::asio::const_buffer buffer) = 0;
  // Closes at once: no TLS close_notify, no FIN wait. With `reset`, SO_LINGER 0 makes the
  // kernel send RST instead of FIN.
  virtual void close_now(bool reset) = 0;
  // Graceful end after a "Connection: close" response.
  virtual void shutdown_and_close() = 0;
};

std::unique_ptr<Connection> make_plain_connection(boost::asio::ip::tcp::socket socket);

// TLS: an opaque server context built from PEM strings (throws std::runtime_error on bad PEM).
class TlsContext;
std::shared_ptr<TlsContext> make_tls_context(const std::string& cert_pem, const std::string& key_pem);
std::unique_ptr<Connection> make_tls_connection(boost::asio::ip::tcp::socket socket, TlsContext& context);

}  // namespace agentco::testing::detail
