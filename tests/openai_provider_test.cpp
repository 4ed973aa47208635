// Pins llm/openai_provider.hpp and llm/http_transport.hpp against the fake OpenAI server
// (tests/support/fake_llm_server.hpp) over loopback: streaming and whole replies, usage,
// reasoning, retries and their limits, every deadline, keep-alive, the concurrency limit,
// TLS and proxies. Servers the fake cannot imitate (one that rejects stream_options, a
// proxy) are small blocking servers written here.
#include "llm/openai_provider.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_llm_server.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using testing::FakeLlmServer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- Helpers -------------------------------------------------------------------------------

// Runs `body` to completion on a fresh io_context, as the application does.
template <typename T>
T run_io(std::function<asio::awaitable<T>()> body) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await body()); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

Result<ChatResult> chat(OpenAiProvider& provider, const ChatRequest& request) {
  return run_io<Result<ChatResult>>([&]() { return provider.chat(request); });
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

ChatRequest ask(std::string text = "write game.py", std::string model = "fake-model") {
  ChatRequest request;
  request.model = std::move(model);
  request.max_tokens = 200;
  request.messages = {{"system", "You are Alex, an engineer."}, {"user", std::move(text)}};
  request.hints = {{"role", "Engineer"}, {"action", "WriteCode"}};
  return request;
}

OpenAiOptions options_for(const std::string& base_url) {
  OpenAiOptions options;
  options.base_url = base_url;
  options.model = "fake-model";
  options.api_key = "sk-test";
  options.retry_base_s = 0.01;
  options.retry_max_s = 0.05;
  options.transport.proxy = "";  // whatever the environment says
  options.transport.deadlines = {2000ms, 5000ms, 5000ms, 20000ms};
  return options;
}

OpenAiOptions options_for(const FakeLlmServer& server) { return options_for(server.base_url()); }

std::string error_of(const Result<ChatResult>& result) {
  return result.ok() ? "(no error)" : result.error().message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void shut(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

// A blocking loopback server, one thread per connection: enough for tests. `serve` gets each
// accepted socket; the destructor wakes every blocked thread and joins it.
class LoopbackServer {
 public:
  using Serve = std::function<void(tcp::socket&)>;

  explicit LoopbackServer(Serve serve)
      : serve_(std::move(serve)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~LoopbackServer() {
    stopping_ = true;
    {
      tcp::socket wake(io_);  // unblocks accept()
      boost::system::error_code ignored;
      wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
    }
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (auto& socket : sockets_) shut(*socket);
    }
    for (auto& thread : threads_) thread.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void accept_loop() {
    while (true) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (stopping_ || ec) return;
      ++connections_;
      std::lock_guard lock(mutex_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] { serve_(*socket); });
    }
  }

  Serve serve_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
};

// Reads one request (head and Content-Length body); false at end of stream.
bool read_request(tcp::socket& socket, std::string& buffer, std::string& head, std::string& body) {
  boost::system::error_code ec;
  std::size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    char chunk[4096];
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    if (ec) return false;
    buffer.append(chunk, n);
  }
  head = buffer.substr(0, end + 4);
  buffer.erase(0, end + 4);
  std::size_t length = 0;
  std::string lower_head = head;
  for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto at = lower_head.find("content-length:"); at != std::string::npos)
    length = std::stoul(head.substr(at + 15));
  while (buffer.size() < length) {
    char chunk[4096];
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    if (ec) return false;
    buffer.append(chunk, n);
  }
  body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

// An HTTP server whose replies are written here, raw, one per request in order (the last
// one repeats). Keeps connections alive.
class ScriptedServer {
 public:
  // `close_after_reply`: close each connection after one reply, without saying so first
  // (what a server with a short keep-alive timeout does to an idle connection).
  explicit ScriptedServer(std::vector<std::string> replies, bool close_after_reply = false)
      : replies_(std::move(replies)),
        close_after_reply_(close_after_reply),
        server_([this](tcp::socket& socket) { serve(socket); }) {}

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/v1"; }
  int connections() const { return server_.connections(); }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void serve(tcp::socket& socket) {
    std::string buffer, head, body;
    while (read_request(socket, buffer, head, body)) {
      std::string reply;
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(body);
        reply = replies_[std::min(next_++, replies_.size() - 1)];
      }
      boost::system::error_code ec;
      asio::write(socket, asio::buffer(reply), ec);
      if (ec) return;
      if (close_after_reply_) {
        shut(socket);
        return;
      }
    }
  }

  std::vector<std::string> replies_;
  bool close_after_reply_ = false;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::size_t next_ = 0;
  LoopbackServer server_;
};

std::string http_reply(int status, const std::string& type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A forwarding proxy: CONNECT tunnels, and absolute-form requests rewritten to origin-form
// (one request per connection). Records each first line it receives.
class TinyProxy {
 public:
  TinyProxy() : server_([this](tcp::socket& client) { serve(client); }) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> first_lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve(tcp::socket& client) {
    std::string buffer, head, body;
    if (!read_request(client, buffer, head, body)) return;
    const std::string line = head.substr(0, head.find("\r\n"));
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    const bool tunnel = line.starts_with("CONNECT ");
    std::string authority = line.substr(line.find(' ') + 1);
    authority = authority.substr(0, authority.find(' '));
    std::string rewritten;
    if (!tunnel) {  // "POST http://host:port/path HTTP/1.1"
      const auto scheme_end = authority.find("://") + 3;
      const auto path_at = authority.find('/', scheme_end);
      const std::string method = line.substr(0, line.find(' '));
      rewritten =
          method + " " + authority.substr(path_at) + head.substr(head.find(" HTTP/1.1")) + body + buffer;
      authority = authority.substr(scheme_end, path_at - scheme_end);
    }
    const auto colon = authority.rfind(':');
    asio::io_context io;
    tcp::socket upstream(io);
    boost::system::error_code ec;
    upstream.connect({asio::ip::make_address(authority.substr(0, colon)),
                      static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1)))},
                     ec);
    if (ec) {
      asio::write(client, asio::buffer(std::string("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")),
                  ec);
      return;
    }
    if (tunnel) {
      asio::write(client, asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")), ec);
    } else {
      asio::write(upstream, asio::buffer(rewritten), ec);
    }
    std::thread back([&] { pipe(upstream, client); });
    pipe(client, upstream);
    back.join();
  }

  static void pipe(tcp::socket& from, tcp::socket& to) {
    char chunk[16384];
    boost::system::error_code ec;
    while (true) {
      const std::size_t n = from.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      asio::write(to, asio::buffer(chunk, n), ec);
      if (ec) break;
    }
    shut(to);
    shut(from);
  }

  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  LoopbackServer server_;
};

constexpr const char* kReply = "Here is the snake game: it moves, it eats, it grows. Done and tested.";

std::string one_rule(const std::string& extra) {
  return std::string("rules:\n") + extra + "  - reply: \"" + kReply + "\"\n";
}

// ---- Replies -------------------------------------------------------------------------------

TEST(OpenAiProvider, AStreamedReplyArrivesInPiecesAndWhole) {
  FakeLlmServer server(one_rule(""));
  OpenAiProvider provider(options_for(server));
  ChatRequest request = ask();
  std::vector<std::string> pieces;
  request.on_delta = [&](std::string_view piece) { pieces.emplace_back(piece); };
  auto result = chat(provider, request);
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, kReply);
  EXPECT_GT(pieces.size(), 1u);
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(joined, kReply);
  EXPECT_EQ(result->finish_reason, "stop");
  EXPECT_EQ(result->model, "fake-model");
  EXPECT_GT(result->latency_s, 0.0);
  EXPECT_GT(result->first_token_s, 0.0);
  EXPECT_LE(result->first_token_s, result->latency_s);

  const auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].target, "/v1/chat/completions");
  EXPECT_EQ(log[0].body["stream"], true);
  EXPECT_EQ(log[0].body["stream_options"]["include_usage"], true);
  EXPECT_EQ(log[0].body["max_tokens"], 200);
  EXPECT_EQ(log[0].authorization, "Bearer sk-test");
}

TEST(OpenAiProvider, UsageReportedByTheServerIsNotEstimated) {
  FakeLlmServer server(one_rule(""));
  OpenAiProvider provider(options_for(server));
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_FALSE(result->usage.estimated);
  EXPECT_GT(result->usage.prompt_tokens, 0);
  EXPECT_GT(result->usage.completion_tokens, 0);
}

TEST(OpenAiProvider, ANonStreamedReplyIsReadWhole) {
  FakeLlmServer server(one_rule(""));
  OpenAiProvider provider(options_for(server));
  ChatRequest request = ask();
  request.stream = false;
  int deltas = 0;
  request.on_delta = [&](std::string_view) { ++deltas; };
  auto result = chat(provider, request);
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, kReply);
  EXPECT_EQ(deltas, 1);
  EXPECT_FALSE(result->usage.estimated);
  EXPECT_EQ(server.requests().at(0).body["stream"], false);
  EXPECT_FALSE(server.requests().at(0).body.contains("stream_options"));
}

TEST(OpenAiProvider, RoleAndActionTravelAsHeaders) {
  FakeLlmServer server(
      "rules:\n  - match: {role: Engineer, action: WriteCode}\n    reply: matched\n  - reply: other\n");
  OpenAiProvider provider(options_for(server));
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, "matched");
  EXPECT_EQ(server.requests().at(0).role, "Engineer");
  EXPECT_EQ(server.requests().at(0).action, "WriteCode");
}

TEST(OpenAiProvider, ReasoningContentIsKeptApartFromTheAnswer) {
  FakeLlmServer server(
      "rules:\n  - reply: \"The answer is 42.\"\n    reasoning: \"Let me think step by step.\"\n");
  OpenAiProvider provider(options_for(server));
  ChatRequest request = ask();
  std::string streamed;
  request.on_delta = [&](std::string_view piece) { streamed += piece; };
  auto result = chat(provider, request);
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, "The answer is 42.");
  EXPECT_EQ(result->reasoning, "Let me think step by step.");
  EXPECT_EQ(streamed, "The answer is 42.");
}

TEST(OpenAiProvider, ThinkTagsInsideTheContentAreKeptApartFromTheAnswer) {
  FakeLlmServer server("rules:\n  - reply: \"<think>\\nfirst the plan\\n</think>\\n\\nThe plan is done.\"\n");
  OpenAiProvider provider(options_for(server));
  for (bool stream : {true, false}) {
    ChatRequest request = ask();
    request.stream = stream;
    auto result = chat(provider, request);
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(result->text, "The plan is done.") << stream;
    EXPECT_EQ(result->reasoning, "first the plan") << stream;
  }
}

TEST(OpenAiProvider, AServerThatRejectsStreamOptionsIsAskedAgainWithoutThemAndUsageIsEstimated) {
  const std::string rejected = http_reply(
      400, "application/json",
      R"({"error":{"message":"Unrecognized request argument supplied: stream_options","type":"invalid_request_error"}})");
  const std::string sse_body =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello \"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"there\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  ScriptedServer server({rejected, http_reply(200, "text/event-stream", sse_body)});
  OpenAiProvider provider(options_for(server.base_url()));
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, "Hello there");
  EXPECT_TRUE(result->usage.estimated);
  EXPECT_GT(result->usage.prompt_tokens, 0);
  EXPECT_EQ(result->usage.completion_tokens, estimate_tokens("Hello there"));
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_TRUE(nlohmann::json::parse(bodies[0]).contains("stream_options"));
  EXPECT_FALSE(nlohmann::json::parse(bodies[1]).contains("stream_options"));
  // ... and it is not sent again to that server.
  ASSERT_TRUE(chat(provider, ask()).ok());
  EXPECT_FALSE(nlohmann::json::parse(server.bodies().at(2)).contains("stream_options"));
}

TEST(OpenAiProvider, AJsonReplyToAStreamedRequestIsReadWhole) {
  ScriptedServer server({http_reply(
      200, "application/json",
      R"({"model":"local","choices":[{"index":0,"message":{"content":"whole"},"finish_reason":"stop"}]})")});
  OpenAiProvider provider(options_for(server.base_url()));
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, "whole");
  EXPECT_EQ(result->model, "local");
  EXPECT_TRUE(result->usage.estimated);
}

// ---- Faults: one case each -----------------------------------------------------------------

// One call against a fake server scripted with a fault: either it is cured by retrying (the call
// returns kReply) or it stays and the error says what happened.
struct FaultCase {
  std::string name;                                         // the case, as a test name
  std::string script;                                       // the fake server's script
  std::function<void(OpenAiOptions&)> tune = [](OpenAiOptions&) {};
  std::vector<std::string> error_parts;                     // empty: the call succeeds with kReply;
                                                            // "{port}" is the server's port
  std::string error_code;                                   // when set: the error's code
  std::optional<std::size_t> chat_requests;                 // chat requests the server answered
  std::optional<std::size_t> logged_requests;               // every request the server saw
  double min_s = 0, max_s = 0;                              // when set: bounds on the call's duration
};

void PrintTo(const FaultCase& c, std::ostream* out) { *out << c.name; }

std::vector<FaultCase> fault_cases() {
  auto retries = [](int n) { return [n](OpenAiOptions& o) { o.max_retries = n; }; };
  return {
      // Cured by retrying.
      {.name = "AnEmptyReplyFollowedByARealOneIsNotAnError",
       .script = one_rule("  - reply: \"x\"\n    fault: empty_reply\n    times: 1\n"),
       .chat_requests = 2},
      {.name = "A429IsRetriedAfterTheWaitTheServerAsksFor",
       .script = one_rule("  - fault: http_429\n    retry_after: 1\n    times: 1\n"),
       .chat_requests = 2,
       .min_s = 0.95},
      {.name = "ServerErrorsAreRetriedUntilTheServerRecovers",
       .script = one_rule("  - fault: http_500\n    times: 1\n  - fault: http_502\n    times: 1\n"),
       .chat_requests = 3},
      {.name = "AResetInTheMiddleOfTheStreamIsRetried",
       .script = one_rule("  - fault: reset_mid_stream\n    times: 1\n"),
       .chat_requests = 2},
      {.name = "TimeoutsAreRetried",
       .script = one_rule("  - fault: stall_before_first_byte\n    stall_ms: 2000\n    times: 1\n"),
       .tune = [](OpenAiOptions& o) { o.transport.deadlines.first_byte = 300ms; },
       .chat_requests = 2},
      // Errors.
      {.name = "AnEmptyReplyIsAskedForAgainAndIsAnErrorWhenItStaysEmpty",
       .script = "rules:\n  - reply: \"x\"\n    fault: empty_reply\n",
       .tune = retries(1),
       .error_parts = {"empty reply", "try 2:"},
       .error_code = "llm",
       .chat_requests = 2},
      {.name = "WhenEveryTryFailsTheErrorListsEachTry",
       .script = "rules:\n  - fault: http_500\n",
       .tune = retries(2),
       .error_parts = {"after 3 tries", "try 1: HTTP 500", "try 3: HTTP 500", "The server had an error"},
       .error_code = "llm",
       .chat_requests = 3},
      {.name = "ARejectedKeyIsNotRetriedAndSaysWhichKeyToCheck",
       .script = "require_key: sk-right\n" + one_rule(""),
       .tune = [](OpenAiOptions& o) { o.api_key = "sk-wrong"; },
       .error_parts = {"key rejected by 127.0.0.1 — check OPENAI_API_KEY"},
       .logged_requests = 1},
      {.name = "AMalformedStreamIsAnErrorNamingTheEventAndIsNotRetried",
       .script = one_rule("  - fault: malformed_sse\n    reply: \"one two three four five six\"\n"),
       .error_parts = {"malformed event #", "{not json"},
       .chat_requests = 1},
      // Deadlines (no retries, so that the error is the deadline's own).
      {.name = "AServerSilentBeforeTheFirstByteHitsTheFirstByteDeadline",
       .script = one_rule("  - fault: stall_before_first_byte\n    stall_ms: 3000\n"),
       .tune =
           [](OpenAiOptions& o) {
             o.max_retries = 0;
             o.transport.deadlines.first_byte = 300ms;
           },
       .error_parts = {"first-byte deadline", "127.0.0.1:{port}", "llm.timeout_first_byte_s"},
       .max_s = 2.0},
      {.name = "AStallInTheMiddleOfTheStreamHitsTheIdleDeadline",
       .script = one_rule("  - fault: stall_mid_stream\n    stall_ms: 3000\n"),
       .tune =
           [](OpenAiOptions& o) {
             o.max_retries = 0;
             o.transport.deadlines.idle = 300ms;
           },
       .error_parts = {"idle deadline"},
       .max_s = 2.0},
      {.name = "TheTotalDeadlineBoundsAReplyThatKeepsTrickling",
       .script = "latency: {first_token_ms: 0, tokens_per_second: 20}\nrules:\n  - reply: \"" + std::string(400, 'x') +
                 " " + std::string(400, 'y') + "\"\n",
       .tune =
           [](OpenAiOptions& o) {
             o.max_retries = 0;
             o.transport.deadlines.total = 400ms;
           },
       .error_parts = {"total deadline"}},
  };
}

class OpenAiFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(OpenAiFault, EndsAsScripted) {
  const FaultCase& c = GetParam();
  FakeLlmServer server(c.script);
  OpenAiOptions options = options_for(server);
  c.tune(options);
  OpenAiProvider provider(options);
  const auto start = Clock::now();
  auto result = chat(provider, ask());
  const double took = seconds_since(start);
  if (c.error_parts.empty()) {
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(result->text, kReply);
  } else {
    ASSERT_FALSE(result.ok());
    const std::string& message = result.error().message;
    for (std::string part : c.error_parts) {
      if (auto at = part.find("{port}"); at != std::string::npos) part.replace(at, 6, std::to_string(server.port()));
      EXPECT_TRUE(contains(message, part)) << "missing '" << part << "' in: " << message;
    }
    if (!c.error_code.empty()) {
      EXPECT_EQ(result.error().code, c.error_code) << message;
    }
  }
  if (c.chat_requests) {
    EXPECT_EQ(server.chat_requests(), *c.chat_requests);
  }
  if (c.logged_requests) {
    EXPECT_EQ(server.requests().size(), *c.logged_requests);
  }
  if (c.min_s > 0) {
    EXPECT_GE(took, c.min_s);
  }
  if (c.max_s > 0) {
    EXPECT_LT(took, c.max_s);
  }
}

INSTANTIATE_TEST_SUITE_P(OpenAiProvider, OpenAiFault, ::testing::ValuesIn(fault_cases()),
                         [](const ::testing::TestParamInfo<FaultCase>& info) { return info.param.name; });

// ---- Unknown models, cut-off replies -------------------------------------------------------

TEST(OpenAiProvider, AnUnknownModelIsReportedWithTheModelsTheServerHas) {
  FakeLlmServer server("models: [alpha, beta]\n" + one_rule(""));
  OpenAiProvider provider(options_for(server));
  auto result = chat(provider, ask("hi", "gamma"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "model gamma not found at " + server.base_url() + "; available: alpha, beta");
  EXPECT_EQ(server.chat_requests(), 1u);
}

TEST(OpenAiProvider, ACutOffReplyIsReturnedAsItIsForTheGatewayToDecide) {
  FakeLlmServer server(one_rule("  - fault: finish_length\n    times: 1\n    reply: \"" + std::string(kReply) + "\"\n"));
  OpenAiProvider provider(options_for(server));
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->finish_reason, "length");
  EXPECT_FALSE(result->text.empty());
  EXPECT_LT(result->text.size(), std::string(kReply).size());
  ASSERT_EQ(server.requests().size(), 1u);  // asking again with more max_tokens is the gateway's call
  EXPECT_EQ(server.requests()[0].body["max_tokens"], 200);
}

// ---- Cached prompt tokens and reported model names ----------------------------------------

// A prompt long enough to be cached (min_tokens 32, blocks of 16 fake tokens of 4 bytes).
ChatRequest long_ask(const std::string& tail, bool stream) {
  ChatRequest request = ask(std::string(400, 'x') + tail);
  request.stream = stream;
  return request;
}

TEST(OpenAiProvider, CachedPromptTokensAreReadFromOpenAiAndDeepSeekRepliesStreamedOrNot) {
  for (const std::string style : {"openai", "deepseek"}) {
    for (bool stream : {true, false}) {
      FakeLlmServer server("cache: {style: " + style + ", min_tokens: 32, block: 16}\n" + one_rule(""));
      OpenAiProvider provider(options_for(server));
      auto first = chat(provider, long_ask(" one", stream));
      ASSERT_TRUE(first.ok()) << error_of(first);
      EXPECT_EQ(first->usage.cached_tokens, 0) << style << stream;
      auto second = chat(provider, long_ask(" two", stream));
      ASSERT_TRUE(second.ok()) << error_of(second);
      // The shared start is the system prompt and 400 x: whole blocks of it are cached.
      EXPECT_GE(second->usage.cached_tokens, 96) << style << stream;
      EXPECT_EQ(second->usage.cached_tokens % 16, 0) << style << stream;
      EXPECT_LT(second->usage.cached_tokens, second->usage.prompt_tokens) << style << stream;
      EXPECT_EQ(second->usage.prompt_tokens, first->usage.prompt_tokens) << style << stream;
      EXPECT_FALSE(second->usage.estimated);
    }
  }
}

TEST(OpenAiProvider, TheModelNameTheServerReportsIsKept) {
  FakeLlmServer server("report_model: gpt-4o-mini-2024-07-18\n" + one_rule(""));
  OpenAiProvider provider(options_for(server));
  for (bool stream : {true, false}) {
    ChatRequest request = ask("write game.py", "gpt-4o-mini");
    request.stream = stream;
    auto result = chat(provider, request);
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(result->model, "gpt-4o-mini-2024-07-18") << stream;
  }
  EXPECT_EQ(server.requests().at(0).body["model"], "gpt-4o-mini");
}

// ---- Cancelling (Ctrl-C) -------------------------------------------------------------------

// Starts `count` calls, waits until the server has seen `seen` requests, cancels, and
// returns what each call ended with.
std::vector<Result<ChatResult>> cancel_after_requests(OpenAiProvider& provider, const FakeLlmServer& server,
                                                      int count, std::size_t seen) {
  asio::io_context io;
  std::vector<std::optional<Result<ChatResult>>> results(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(
        io,
        [&provider, &results, i]() -> asio::awaitable<void> {
          const ChatRequest request = ask();
          results[static_cast<std::size_t>(i)] = co_await provider.chat(request);
        },
        asio::detached);
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (server.chat_requests() < seen) {
          timer.expires_after(10ms);
          co_await timer.async_wait(asio::use_awaitable);
        }
        timer.expires_after(50ms);  // the requests are now waiting for their first byte
        co_await timer.async_wait(asio::use_awaitable);
        provider.cancel_calls();
      },
      asio::detached);
  io.run();
  std::vector<Result<ChatResult>> out;
  for (auto& result : results) {
    EXPECT_TRUE(result.has_value());
    if (result) out.push_back(std::move(*result));
  }
  return out;
}

TEST(OpenAiProvider, CancelCallsEndsRequestsInFlightAndRequestsWaitingForASlotAsInterrupted) {
  // The stall outlasts every deadline below: only cancelling can end these calls early.
  FakeLlmServer server(one_rule("  - fault: stall_before_first_byte\n    stall_ms: 60000\n"));
  OpenAiOptions options = options_for(server);
  options.concurrency = 1;
  options.transport.deadlines = {2000ms, 30000ms, 30000ms, 60000ms};
  OpenAiProvider provider(options);
  auto results = cancel_after_requests(provider, server, 2, 1);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "interrupted") << result.error().message;
    EXPECT_TRUE(contains(result.error().message, "cancelled")) << result.error().message;
  }
  EXPECT_EQ(server.chat_requests(), 1u) << "the call waiting for the slot never started";
  // The provider still works after a cancel.
  FakeLlmServer healthy(one_rule(""));
  OpenAiProvider again(options_for(healthy));
  again.cancel_calls();  // nothing in flight: harmless
  EXPECT_TRUE(chat(again, ask()).ok());
}

TEST(OpenAiProvider, CancelCallsInterruptsTheBackoffBetweenTries) {
  FakeLlmServer server(one_rule("  - fault: http_429\n    retry_after: 60\n"));
  OpenAiOptions options = options_for(server);
  OpenAiProvider provider(options);
  auto results = cancel_after_requests(provider, server, 1, 1);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().code, "interrupted") << results[0].error().message;
  EXPECT_EQ(server.chat_requests(), 1u);
}

// ---- Refused connections -------------------------------------------------------------------

TEST(OpenAiProvider, ARefusedConnectionNamesHostAndPortAndIsNotRetried) {
  std::uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  OpenAiProvider provider(options_for("http://127.0.0.1:" + std::to_string(port) + "/v1"));
  const auto start = Clock::now();
  auto result = chat(provider, ask());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message, "connection refused by 127.0.0.1:" + std::to_string(port)))
      << result.error().message;
  EXPECT_LT(seconds_since(start), 1.0);
}

// ---- Connections ---------------------------------------------------------------------------

TEST(OpenAiProvider, KeepAliveServesSeveralRequestsOnOneConnection) {
  FakeLlmServer server(one_rule(""));
  OpenAiProvider provider(options_for(server));
  auto ok = run_io<int>([&]() -> asio::awaitable<int> {
    int good = 0;
    const ChatRequest request = ask();
    for (int i = 0; i < 3; ++i) {
      auto result = co_await provider.chat(request);
      if (result) ++good;
    }
    auto models = co_await provider.list_models();
    if (models) ++good;
    co_return good;
  });
  EXPECT_EQ(ok, 4);
  const ProviderStats stats = provider.stats();
  EXPECT_EQ(stats.transport.requests, 4);
  EXPECT_EQ(stats.transport.connections_opened, 1);
  EXPECT_EQ(stats.transport.connections_reused, 3);
}

TEST(OpenAiProvider, AProviderOutlivesTheIoContextItsIdleConnectionsBelongTo) {
  FakeLlmServer server(one_rule(""));
  OpenAiProvider provider(options_for(server));
  ASSERT_TRUE(chat(provider, ask()).ok());  // leaves an idle connection in that io_context
  ASSERT_TRUE(chat(provider, ask()).ok());  // a new io_context: a new connection
  EXPECT_EQ(provider.stats().transport.connections_opened, 2);
}

TEST(OpenAiProvider, TheConcurrencyLimitCapsRequestsInFlight) {
  FakeLlmServer server("latency: {first_token_ms: 150, tokens_per_second: 1000}\n" + one_rule(""));
  OpenAiOptions options = options_for(server);
  options.concurrency = 2;
  OpenAiProvider provider(options);
  asio::io_context io;
  int good = 0;
  for (int i = 0; i < 6; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const ChatRequest request = ask();
          auto result = co_await provider.chat(request);
          if (result) ++good;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  const auto start = Clock::now();
  io.run();
  EXPECT_EQ(good, 6);
  EXPECT_EQ(provider.stats().peak_in_flight, 2);
  EXPECT_GE(seconds_since(start), 0.4);  // three waves of ~150 ms
  EXPECT_LE(provider.stats().transport.connections_opened, 2);
}

TEST(OpenAiProvider, RequestsAbandonedWithTheirIoContextGiveTheirSlotsBack) {
  FakeLlmServer server("latency: {first_token_ms: 300, tokens_per_second: 1000}\n" + one_rule(""));
  OpenAiOptions options = options_for(server);
  options.concurrency = 1;
  OpenAiProvider provider(options);
  {
    asio::io_context io;
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            const ChatRequest request = ask();
            auto result = co_await provider.chat(request);
            (void)result;
          },
          asio::detached);
    }
    io.run_for(100ms);  // one request in flight, two waiting for the slot
  }                     // the io_context goes away with all three
  const auto start = Clock::now();
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST(OpenAiProvider, RequestsPerMinuteSpacesTheRequests) {
  FakeLlmServer server(one_rule(""));
  OpenAiOptions options = options_for(server);
  options.requests_per_minute = 600;  // one every 100 ms after a burst of about 11
  OpenAiProvider provider(options);
  const auto start = Clock::now();
  auto good = run_io<int>([&]() -> asio::awaitable<int> {
    int n = 0;
    const ChatRequest request = ask();
    for (int i = 0; i < 14; ++i) {
      auto result = co_await provider.chat(request);
      if (result) ++n;
    }
    co_return n;
  });
  EXPECT_EQ(good, 14);
  EXPECT_GE(seconds_since(start), 0.2);
}

const std::string kJsonReply =
    http_reply(200, "application/json",
               R"({"choices":[{"index":0,"message":{"content":"ok"},"finish_reason":"stop"}]})");

TEST(OpenAiProvider, TheServerSeesOneConnectionForSeveralRequests) {
  ScriptedServer server({kJsonReply});
  OpenAiProvider provider(options_for(server.base_url()));
  auto good = run_io<int>([&]() -> asio::awaitable<int> {
    int n = 0;
    const ChatRequest request = ask();
    for (int i = 0; i < 3; ++i) {
      auto result = co_await provider.chat(request);
      if (result) ++n;
    }
    co_return n;
  });
  EXPECT_EQ(good, 3);
  EXPECT_EQ(server.connections(), 1);
}

TEST(OpenAiProvider, AKeptAliveConnectionTheServerClosedIsReplacedWithoutAnError) {
  ScriptedServer server({kJsonReply}, /*close_after_reply=*/true);
  OpenAiOptions options = options_for(server.base_url());
  options.max_retries = 0;  // the replacement must not need a retry
  OpenAiProvider provider(options);
  auto good = run_io<int>([&]() -> asio::awaitable<int> {
    int n = 0;
    const ChatRequest request = ask();
    for (int i = 0; i < 3; ++i) {
      auto result = co_await provider.chat(request);
      if (result)
        ++n;
      else
        ADD_FAILURE() << result.error().message;
    }
    co_return n;
  });
  EXPECT_EQ(good, 3);
  EXPECT_EQ(server.connections(), 3);
}

TEST(OpenAiProvider, AStreamThatEndsWithoutItsEndMarkersIsRetried) {
  const std::string cut =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n";
  const std::string whole = http_reply(200, "text/event-stream",
                                       "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},"
                                       "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
  ScriptedServer server({cut, whole}, /*close_after_reply=*/true);
  OpenAiProvider provider(options_for(server.base_url()));
  ChatRequest request = ask();
  std::string streamed;
  request.on_delta = [&](std::string_view piece) { streamed += piece; };
  auto result = chat(provider, request);
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, "Hello");
  EXPECT_EQ(streamed, "HelHello");  // on_delta starts again after a retry
  EXPECT_EQ(server.bodies().size(), 2u);
}

TEST(OpenAiProvider, AHostThatDoesNotResolveIsNamed) {
  OpenAiOptions options = options_for("http://no-such-host.invalid:8080/v1");
  options.max_retries = 0;
  OpenAiProvider provider(options);
  auto result = chat(provider, ask());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message, "no-such-host.invalid")) << result.error().message;
}

// ---- Azure ---------------------------------------------------------------------------------

TEST(OpenAiProvider, AzureUsesTheDeploymentPathAndTheApiKeyHeader) {
  FakeLlmServer server("require_key: sk-azure\n" + one_rule(""));
  OpenAiOptions options = options_for(server);
  options.azure = true;
  options.api_key = "sk-azure";
  options.base_url = "http://127.0.0.1:" + std::to_string(server.port());
  OpenAiProvider provider(options);
  auto result = chat(provider, ask("hi", "my-deployment"));
  ASSERT_TRUE(result.ok()) << error_of(result);
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].target, std::string("/openai/deployments/my-deployment/chat/completions?api-version=") +
                               kDefaultAzureApiVersion);
  EXPECT_EQ(log[0].authorization, "");
}

// ---- TLS -----------------------------------------------------------------------------------

class OpenAiTls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto [cert, key] = testing::make_self_signed_certificate();
    server_ = std::make_unique<FakeLlmServer>(one_rule(""), cert, key, "", 0);
    ca_file_ = write_temp("agentco_test_ca.pem", cert);
  }
  void TearDown() override { fs::remove(ca_file_); }

  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(server_->port()) + "/v1";
  }

  std::unique_ptr<FakeLlmServer> server_;
  fs::path ca_file_;
};

TEST_F(OpenAiTls, ACertificateFromATrustedCaIsAcceptedForItsIpAndName) {
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    OpenAiOptions options = options_for(url(host));
    options.transport.ca_file = ca_file_.string();
    OpenAiProvider provider(options);
    auto result = chat(provider, ask());
    ASSERT_TRUE(result.ok()) << host << ": " << error_of(result);
    EXPECT_EQ(result->text, kReply);
  }
}

TEST_F(OpenAiTls, AnUntrustedCertificateIsRefusedWithTheReasonAndNotRetried) {
  OpenAiProvider provider(options_for(url("127.0.0.1")));
  auto result = chat(provider, ask());
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_TRUE(contains(message, "TLS handshake with 127.0.0.1:" + std::to_string(server_->port())))
      << message;
  EXPECT_TRUE(contains(message, "self-signed") || contains(message, "self signed")) << message;
  EXPECT_EQ(server_->chat_requests(), 0u);
}

TEST_F(OpenAiTls, InsecureAcceptsAnUntrustedCertificate) {
  OpenAiOptions options = options_for(url("127.0.0.1"));
  options.transport.insecure = true;
  OpenAiProvider provider(options);
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
}

TEST_F(OpenAiTls, KeepAliveWorksOverTls) {
  OpenAiOptions options = options_for(url("127.0.0.1"));
  options.transport.ca_file = ca_file_.string();
  OpenAiProvider provider(options);
  auto good = run_io<int>([&]() -> asio::awaitable<int> {
    int n = 0;
    const ChatRequest request = ask();
    for (int i = 0; i < 3; ++i) {
      auto result = co_await provider.chat(request);
      if (result) ++n;
    }
    co_return n;
  });
  EXPECT_EQ(good, 3);
  EXPECT_EQ(provider.stats().transport.connections_opened, 1);
}

TEST_F(OpenAiTls, HttpsGoesThroughAProxyWithConnect) {
  TinyProxy proxy;
  OpenAiOptions options = options_for(url("127.0.0.1"));
  options.transport.ca_file = ca_file_.string();
  options.transport.proxy = proxy.url();
  OpenAiProvider provider(options);
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  EXPECT_EQ(result->text, kReply);
  ASSERT_EQ(proxy.first_lines().size(), 1u);
  EXPECT_EQ(proxy.first_lines()[0], "CONNECT 127.0.0.1:" + std::to_string(server_->port()) + " HTTP/1.1");
}

// ---- Proxies and URLs ----------------------------------------------------------------------

TEST(OpenAiTransport, PlainHttpGoesThroughAProxyInAbsoluteForm) {
  FakeLlmServer server(one_rule(""));
  TinyProxy proxy;
  OpenAiOptions options = options_for(server);
  options.transport.proxy = proxy.url();
  OpenAiProvider provider(options);
  auto result = chat(provider, ask());
  ASSERT_TRUE(result.ok()) << error_of(result);
  ASSERT_EQ(proxy.first_lines().size(), 1u);
  EXPECT_EQ(proxy.first_lines()[0],
            "POST http://127.0.0.1:" + std::to_string(server.port()) + "/v1/chat/completions HTTP/1.1");
}

TEST(OpenAiTransport, AProxyThatRefusesTheTunnelIsAClearError) {
  ScriptedServer refusing({"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"});
  OpenAiOptions options = options_for("https://example.invalid/v1");
  options.transport.proxy = refusing.base_url().substr(0, refusing.base_url().size() - 3);
  options.max_retries = 0;
  OpenAiProvider provider(options);
  auto result = chat(provider, ask());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message, "refused to open a tunnel to example.invalid:443"))
      << result.error().message;
}

TEST(OpenAiTransport, UrlsAreSplitForConnecting) {
  auto url = parse_http_url("https://api.example.com/v1/chat?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "api.example.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v1/chat?x=1");
  EXPECT_EQ(url->host_header(), "api.example.com");
  auto local = parse_http_url("http://[::1]:8080");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->host, "::1");
  EXPECT_EQ(local->target, "/");
  EXPECT_EQ(local->authority(), "[::1]:8080");
  auto proxy = parse_http_url("http://user:p%40ss@proxy:3128");
  ASSERT_TRUE(proxy.ok());
  EXPECT_EQ(proxy->userinfo, "user:p@ss");
  EXPECT_FALSE(parse_http_url("ftp://x/").ok());
  EXPECT_FALSE(parse_http_url("127.0.0.1:8080/v1").ok());
  EXPECT_EQ(parse_http_url("not a url").error().code, "url");
}

TEST(OpenAiTransport, JoinUrlHasExactlyOneSlash) {
  EXPECT_EQ(join_url("http://h/v1/", "/models"), "http://h/v1/models");
  EXPECT_EQ(join_url("http://h/v1", "models"), "http://h/v1/models");
}

TEST(OpenAiTransport, NoProxyMatchesNamesDomainsPortsAndStar) {
  EXPECT_TRUE(no_proxy_matches("*", "anything", 80));
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("example.com", "api.example.com", 443));
  EXPECT_TRUE(no_proxy_matches(".example.com", "api.example.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  EXPECT_TRUE(no_proxy_matches("a.org, example.com:8443", "example.com", 8443));
  EXPECT_FALSE(no_proxy_matches("example.com:8443", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("10.0.0.5", "10.0.0.5", 80));
  EXPECT_TRUE(no_proxy_matches("EXAMPLE.com", "Api.Example.COM", 80));
  EXPECT_FALSE(no_proxy_matches("", "example.com", 80));
}

TEST(OpenAiTransport, TheProxyIsChosenBySchemeAndLoopbackIsAlwaysDirect) {
  ProxyEnvironment env{"http://secure-proxy:3128", "plain-proxy:8080", "internal.example"};
  auto https = choose_proxy(*parse_http_url("https://api.openai.com/v1"), env);
  ASSERT_TRUE(https.ok());
  ASSERT_TRUE(https->has_value());
  EXPECT_EQ((*https)->authority(), "secure-proxy:3128");
  auto http = choose_proxy(*parse_http_url("http://models.example/v1"), env);
  ASSERT_TRUE(http.ok() && http->has_value());
  EXPECT_EQ((*http)->authority(), "plain-proxy:8080");
  EXPECT_FALSE(choose_proxy(*parse_http_url("https://svc.internal.example/v1"), env)->has_value());
  EXPECT_FALSE(choose_proxy(*parse_http_url("http://127.0.0.1:11434/v1"), env)->has_value());
  EXPECT_FALSE(choose_proxy(*parse_http_url("http://localhost:11434/v1"), env)->has_value());
  EXPECT_FALSE(choose_proxy(*parse_http_url("http://[::1]:11434/v1"), env)->has_value());
  EXPECT_FALSE(
      choose_proxy(*parse_http_url("https://api.openai.com"), ProxyEnvironment{"socks5://x:1", "", ""}).ok());
}

// ---- Small parsers -------------------------------------------------------------------------

TEST(OpenAiProvider, RetryAfterIsReadAsSecondsOrAnHttpDate) {
  EXPECT_EQ(parse_retry_after("2"), 2.0);
  EXPECT_EQ(parse_retry_after(" 1.5 "), 1.5);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0.0);  // in the past
  const std::time_t soon = std::time(nullptr) + 30;
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&soon));
  auto parsed = parse_retry_after(text);
  ASSERT_TRUE(parsed.has_value()) << text;
  EXPECT_NEAR(*parsed, 30.0, 2.0);
  EXPECT_FALSE(parse_retry_after("soon").has_value());
  EXPECT_FALSE(parse_retry_after("").has_value());
}

TEST(OpenAiProvider, ModelListsOfOpenAiAndOllamaAreRead) {
  auto openai = parse_model_list(R"({"object":"list","data":[{"id":"a"},{"id":"b"}]})");
  ASSERT_TRUE(openai.ok());
  EXPECT_EQ(*openai, (std::vector<std::string>{"a", "b"}));
  auto ollama = parse_model_list(R"({"models":[{"name":"llama3:8b"}]})");
  ASSERT_TRUE(ollama.ok());
  EXPECT_EQ(*ollama, (std::vector<std::string>{"llama3:8b"}));
  EXPECT_FALSE(parse_model_list("<html>").ok());
}

TEST(OpenAiProvider, ListModelsAsksTheServer) {
  FakeLlmServer server("models: [gpt-4o-mini, mock-model]\n" + one_rule(""));
  OpenAiProvider provider(options_for(server));
  auto models = run_io<Result<std::vector<std::string>>>([&]() { return provider.list_models(); });
  ASSERT_TRUE(models.ok()) << models.error().message;
  EXPECT_EQ(*models, (std::vector<std::string>{"gpt-4o-mini", "mock-model"}));
}

}  // namespace
}  // namespace agentco
