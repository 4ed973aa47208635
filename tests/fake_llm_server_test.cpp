#include "tests/support/fake_llm_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fixtures.hpp"

extern char** environ;

namespace agentco::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using nlohmann::json;
using ::testing::HasSubstr;

// ---- a deliberately small HTTP/1.1 client: raw requests out, Beast's parser fed by hand --

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  boost::system::error_code error;  // set when the connection broke before the response ended

  json json_body() const { return json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::string lower(std::string text) {
  for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

template <typename Stream>
Reply exchange(Stream& stream, beast::flat_buffer& buffer, const std::string& request) {
  asio::write(stream, asio::buffer(request));
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  parser.eager(true);
  Reply reply;
  bool need_read = buffer.size() == 0;
  while (!parser.is_done()) {
    if (need_read) {
      boost::system::error_code ec;
      buffer.commit(stream.read_some(buffer.prepare(64 * 1024), ec));
      if (ec == asio::error::eof) {
        parser.put_eof(ec);
        if (ec) reply.error = ec;
        break;
      }
      if (ec) {
        reply.error = ec;
        break;
      }
    }
    boost::system::error_code ec;
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == http::error::need_more) {
      need_read = true;
      continue;
    }
    if (ec) {
      reply.error = ec;
      break;
    }
    need_read = buffer.size() == 0;
  }
  if (parser.is_header_done()) {
    reply.status = parser.get().result_int();
    for (const auto& field : parser.get())
      reply.headers[lower(std::string(field.name_string()))] = field.value();
  }
  reply.body = parser.get().body();
  return reply;
}

// One keep-alive connection to the fake server.
class Connection {
 public:
  explicit Connection(std::uint16_t port) {
    socket_.connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));
  }
  Reply send(const std::string& request) { return exchange(socket_, buffer_, request); }

 private:
  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

std::string get(const std::string& target, const std::string& extra_headers = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

// extra_headers: complete lines, each ending in \r\n.
std::string post(const std::string& target, const json& body, const std::string& extra_headers = {}) {
  const auto text = body.dump();
  return "POST " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n" + extra_headers + "\r\n" + text;
}

json chat(const std::string& user, bool stream = false, const std::string& model = "fake-model") {
  return {{"model", model},
          {"messages",
           {{{"role", "system"}, {"content", "You are a helpful assistant."}},
            {{"role", "user"}, {"content", user}}}},
          {"stream", stream}};
}

std::string post_chat(const json& body, const std::string& extra_headers = {}) {
  return post("/v1/chat/completions", body, extra_headers);
}

Reply fetch(std::uint16_t port, const std::string& request) { return Connection(port).send(request); }

std::string content_of(const Reply& reply) {
  return reply.json_body()["choices"][0]["message"]["content"].get<std::string>();
}

// ---- server-sent events ----------------------------------------------------------------

struct EventStream {
  std::vector<json> chunks;  // every data event but [DONE]; malformed ones are discarded()
  bool done = false;         // [DONE] arrived, and last
  std::string content, reasoning;
  std::size_t comments = 0;
};

EventStream parse_events(const std::string& body) {
  std::string text;  // SSE allows CRLF, LF and CR line endings; fold them to LF
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\r') {
      text += body[i];
    } else {
      text += '\n';
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    }
  }
  EventStream events;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    std::string data;
    bool has_data = false;
    std::size_t line_start = start;
    while (line_start < end) {
      auto line_end = std::min(text.find('\n', line_start), end);
      const auto line = text.substr(line_start, line_end - line_start);
      if (line.rfind(":", 0) == 0) ++events.comments;
      if (line.rfind("data:", 0) == 0) {
        auto value = line.substr(5);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        data += (has_data ? "\n" : "") + value;
        has_data = true;
      }
      line_start = line_end + 1;
    }
    start = end + 2;
    if (!has_data) continue;
    EXPECT_FALSE(events.done) << "an event after [DONE]";
    if (data == "[DONE]") {
      events.done = true;
      continue;
    }
    auto chunk = json::parse(data, nullptr, false);
    if (!chunk.is_discarded() && !chunk["choices"].empty()) {
      const auto& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content")) events.content += delta["content"].get<std::string>();
      if (delta.contains("reasoning_content"))
        events.reasoning += delta["reasoning_content"].get<std::string>();
    }
    events.chunks.push_back(std::move(chunk));
  }
  return events;
}

std::size_t malformed(const EventStream& events) {
  return std::count_if(events.chunks.begin(), events.chunks.end(),
                       [](const json& c) { return c.is_discarded(); });
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

const std::string kLongReply =
    "Here is the plan: first we write the tests, then the code. Ünïcödé ✓ and 中文 survive "
    "chunking, because pieces never cut a UTF-8 sequence.";

// ---- models, replies, streaming ---------------------------------------------------------------

TEST(FakeLlmServer, ListsTheScriptedModels) {
  FakeLlmServer server("models: [gpt-4o-mini, mock-model]\n");
  EXPECT_EQ(server.base_url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/v1");
  const auto reply = fetch(server.port(), get("/v1/models"));
  ASSERT_EQ(reply.status, 200);
  const auto body = reply.json_body();
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][0]["id"], "gpt-4o-mini");
  EXPECT_EQ(body["data"][1]["object"], "model");
  EXPECT_EQ(body["data"][1]["owned_by"], "fake");
}

TEST(FakeLlmServer, AnswersAChatCompletionWithUsage) {
  FakeLlmServer server("rules:\n  - reply: \"Hello from the fake.\"\n");
  const auto reply = fetch(server.port(), post_chat(chat("hi there")));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  const auto body = reply.json_body();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::StartsWith("chatcmpl-"));
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello from the fake.");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  const auto& usage = body["usage"];
  EXPECT_EQ(usage["completion_tokens"], 5);  // 20 bytes / 4
  EXPECT_GT(usage["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(usage["total_tokens"], usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>());
  EXPECT_EQ(server.chat_requests(), 1u);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].rule_index, 0);
  EXPECT_EQ(server.requests()[0].body["messages"][1]["content"], "hi there");
}

TEST(FakeLlmServer, StreamsChunksThenUsageThenDone) {
  FakeLlmServer server("rules:\n  - reply: \"" + kLongReply + "\"\n");
  auto request = chat("stream please", true);
  request["stream_options"] = {{"include_usage", true}};
  const auto reply = fetch(server.port(), post_chat(request));
  ASSERT_EQ(reply.status, 200);
  EXPECT_FALSE(reply.error);
  EXPECT_THAT(reply.header("content-type"), HasSubstr("text/event-stream"));
  EXPECT_EQ(reply.header("transfer-encoding"), "chunked");
  EXPECT_THAT(reply.body, HasSubstr("\r\n\r\n"));        // some events end in CRLF
  EXPECT_THAT(reply.body, HasSubstr(": keep-alive\n"));  // and there is a comment line

  const auto events = parse_events(reply.body);
  EXPECT_TRUE(events.done);
  EXPECT_EQ(events.content, kLongReply);
  ASSERT_GE(events.chunks.size(), 6u);
  EXPECT_EQ(malformed(events), 0u);
  EXPECT_EQ(events.chunks.front()["object"], "chat.completion.chunk");
  EXPECT_EQ(events.chunks.front()["choices"][0]["delta"]["role"], "assistant");
  const auto& finish = events.chunks[events.chunks.size() - 2];
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  const auto& usage = events.chunks.back();
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], (kLongReply.size() + 3) / 4);

  request.erase("stream_options");  // without include_usage: no usage chunk
  const auto plain = parse_events(fetch(server.port(), post_chat(request)).body);
  EXPECT_TRUE(plain.done);
  EXPECT_FALSE(plain.chunks.back().contains("usage"));
  EXPECT_TRUE(plain.chunks.back()["choices"][0]["delta"].empty());
}

TEST(FakeLlmServer, StreamsReasoningBeforeContent) {
  FakeLlmServer server(
      "rules:\n  - reply: \"The answer is 42.\"\n    reasoning: \"Six times seven, checked twice, is "
      "forty-two.\"\n");
  const auto events = parse_events(fetch(server.port(), post_chat(chat("why?", true))).body);
  EXPECT_EQ(events.reasoning, "Six times seven, checked twice, is forty-two.");
  EXPECT_EQ(events.content, "The answer is 42.");
  bool content_seen = false;
  for (const auto& chunk : events.chunks) {
    const auto& delta = chunk["choices"][0]["delta"];
    if (delta.contains("content") && !delta["content"].get<std::string>().empty()) content_seen = true;
    if (delta.contains("reasoning_content")) {
      EXPECT_FALSE(content_seen) << "reasoning after content";
    }
  }
  const auto body = fetch(server.port(), post_chat(chat("why?"))).json_body();
  EXPECT_EQ(body["choices"][0]["message"]["reasoning_content"],
            "Six times seven, checked twice, is forty-two.");
}

TEST(FakeLlmServer, ServesManyRequestsPerConnectionAndManyConnectionsAtOnce) {
  FakeLlmServer server("rules:\n  - reply: \"" + kLongReply + "\"\n");
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < 4; ++i) connections.push_back(std::make_unique<Connection>(server.port()));
  for (int round = 0; round < 5; ++round) {
    for (auto& connection : connections) {  // all four stay open: one session each
      const bool stream = round % 2 == 1;
      const auto reply = connection->send(post_chat(chat("again", stream)));
      ASSERT_EQ(reply.status, 200);
      if (stream) {
        EXPECT_EQ(parse_events(reply.body).content, kLongReply);
      } else {
        EXPECT_EQ(content_of(reply), kLongReply);
      }
    }
  }
  EXPECT_EQ(server.chat_requests(), 20u);
}

// ---- rules --------------------------------------------------------------------------------

const std::string kRoutingScript = R"(
rules:
  - match: {role: Engineer, action: WriteCode}
    reply: "code"
  - match: {regex: "snake\\s+game"}
    reply: "a PRD for the snake game"
  - match: {model: other-model}
    reply: "from the other model"
  - reply: "default"
)";

TEST(FakeLlmServer, MatchesRulesByRoleAndActionHeaders) {
  FakeLlmServer server(kRoutingScript);
  const auto headers = [](const std::string& role, const std::string& action) {
    return "X-Agentco-Role: " + role + "\r\nX-Agentco-Action: " + action + "\r\n";
  };
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("go"), headers("Engineer", "WriteCode")))),
            "code");
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("go"), headers("Engineer", "WriteDesign")))),
            "default");
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("go"), headers("Architect", "WriteCode")))),
            "default");

  // Without the headers, "Role: X" / "Action: Y" markers in the prompt stand in for them.
  auto marked = chat("go");
  marked["messages"][0]["content"] = "Role: Engineer\nAction: WriteCode\nWrite the code.";
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(marked))), "code");
  marked["messages"][0]["content"] = "Role: EngineerAssistant\nAction: WriteCode";
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(marked))), "default");

  const auto log = server.requests();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0].role, "Engineer");
  EXPECT_EQ(log[0].action, "WriteCode");
  EXPECT_EQ(log[0].rule_index, 0);
  EXPECT_EQ(log[1].rule_index, 3);
  EXPECT_EQ(log[3].role, "");
  EXPECT_EQ(log[3].rule_index, 0);
}

TEST(FakeLlmServer, MatchesRulesByRegexOverTheLastUserMessageAndByModel) {
  FakeLlmServer server(kRoutingScript);
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("Write a snake  game in Python")))),
            "a PRD for the snake game");
  auto earlier = chat("now something else");
  earlier["messages"].insert(earlier["messages"].begin() + 1,
                             json{{"role", "user"}, {"content", "snake game"}});
  earlier["messages"].insert(earlier["messages"].begin() + 2, json{{"role", "assistant"}, {"content", "ok"}});
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(earlier))), "default");
  auto parts = chat("");  // content given as parts, as multimodal clients send it
  parts["messages"][1]["content"] = json::array({{{"type", "text"}, {"text", "a snake game, please"}}});
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(parts))), "a PRD for the snake game");
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("hi", false, "other-model")))),
            "from the other model");
}

TEST(FakeLlmServer, FallsThroughARuleOnceItsTimesAreUsed) {
  FakeLlmServer server("rules:\n  - reply: first\n    times: 2\n  - reply: after\n");
  std::vector<std::string> replies;
  for (int i = 0; i < 4; ++i) replies.push_back(content_of(fetch(server.port(), post_chat(chat("x")))));
  EXPECT_EQ(replies, (std::vector<std::string>{"first", "first", "after", "after"}));
}

TEST(FakeLlmServer, AnswersWith404WhenNoRuleMatches) {
  FakeLlmServer server("rules:\n  - match: {role: Engineer}\n    reply: code\n");
  const auto reply = fetch(server.port(), post_chat(chat("hello")));
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.json_body()["error"]["code"], "no_matching_rule");
  EXPECT_EQ(server.requests().at(0).rule_index, -1);
}

// ---- errors and faults ----------------------------------------------------------------------

TEST(FakeLlmServer, Answers429WithRetryAfterOnceThenSucceeds) {
  FakeLlmServer server("rules:\n  - fault: http_429\n    retry_after: 2\n    times: 1\n  - reply: fine\n");
  const auto limited = fetch(server.port(), post_chat(chat("x")));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "2");
  EXPECT_EQ(limited.json_body()["error"]["code"], "rate_limit_exceeded");
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("x")))), "fine");
}

TEST(FakeLlmServer, AnswersServerErrorsAsJsonAndGatewayErrorsAsHtml) {
  FakeLlmServer server("rules:\n  - fault: http_500\n    times: 1\n  - fault: http_502\n");
  const auto error500 = fetch(server.port(), post_chat(chat("x", true)));
  EXPECT_EQ(error500.status, 500);
  EXPECT_EQ(error500.json_body()["error"]["type"], "server_error");
  const auto error502 = fetch(server.port(), post_chat(chat("x")));
  EXPECT_EQ(error502.status, 502);
  EXPECT_EQ(error502.header("content-type"), "text/html");
  EXPECT_THAT(error502.body, HasSubstr("<h1>502 Bad Gateway</h1>"));
}

TEST(FakeLlmServer, RejectsAWrongKeyWith401) {
  FakeLlmServer server("require_key: sk-test\nrules:\n  - reply: ok\n");
  const auto missing = fetch(server.port(), post_chat(chat("x")));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json_body(),
            json::parse(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error",)"
                        R"("param":null,"code":"invalid_api_key"}})"));
  EXPECT_EQ(fetch(server.port(), post_chat(chat("x"), "Authorization: Bearer sk-wrong\r\n")).status, 401);
  EXPECT_EQ(fetch(server.port(), get("/v1/models")).status, 401);
  const auto good = fetch(server.port(), post_chat(chat("x"), "Authorization: Bearer sk-test\r\n"));
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(server.requests().back().authorization, "Bearer sk-test");
  EXPECT_EQ(server.chat_requests(), 3u);  // refused ones count: clients did call
}

TEST(FakeLlmServer, RejectsAnUnknownModelWith404) {
  FakeLlmServer server("models: [gpt-4o-mini]\nrules:\n  - reply: ok\n");
  const auto reply = fetch(server.port(), post_chat(chat("x", false, "gpt-5-turbo")));
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(
      reply.json_body(),
      json::parse(
          R"({"error":{"message":"The model `gpt-5-turbo` does not exist","type":"invalid_request_error",)"
          R"("param":null,"code":"model_not_found"}})"));
  EXPECT_EQ(fetch(server.port(), post_chat(chat("x", false, "gpt-4o-mini"))).status, 200);
}

TEST(FakeLlmServer, AcceptsAzureDeploymentRoutesWithApiKey) {
  FakeLlmServer server("models: [gpt-4o-mini]\nrequire_key: azure-key\nrules:\n  - reply: from azure\n");
  const std::string target = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-06-01";
  auto body = chat("x");
  body.erase("model");  // Azure takes the model from the deployment
  const auto reply = fetch(server.port(), post(target, body, "api-key: azure-key\r\n"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json_body()["model"], "gpt-4o-mini");
  EXPECT_EQ(content_of(reply), "from azure");
  EXPECT_EQ(fetch(server.port(), post(target, body, "api-key: nope\r\n")).status, 401);
  EXPECT_EQ(fetch(server.port(),
                  post("/openai/deployments/gpt-4o-mini/chat/completions", body, "api-key: azure-key\r\n"))
                .status,
            404);  // no api-version
  EXPECT_EQ(fetch(server.port(), post("/openai/deployments/other/chat/completions?api-version=1", body,
                                      "api-key: azure-key\r\n"))
                .status,
            404);  // unknown deployment
}

TEST(FakeLlmServer, ResetsTheConnectionMidStream) {
  FakeLlmServer server("rules:\n  - reply: \"" + kLongReply + "\"\n    fault: reset_mid_stream\n");
  const auto streamed = fetch(server.port(), post_chat(chat("x", true)));
  EXPECT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.error, asio::error::connection_reset) << streamed.error.message();
  const auto events = parse_events(streamed.body);
  EXPECT_FALSE(events.done);
  EXPECT_FALSE(events.content.empty());
  EXPECT_LT(events.content.size(), kLongReply.size());

  const auto whole = fetch(server.port(), post_chat(chat("x")));
  EXPECT_EQ(whole.error, asio::error::connection_reset) << whole.error.message();
}

TEST(FakeLlmServer, ShapesRepliesWithContentFaults) {
  FakeLlmServer server(R"(
rules:
  - {match: {regex: length}, reply: "0123456789abcdefghij", fault: finish_length}
  - {match: {regex: empty}, reply: "not this", fault: empty_reply}
  - {match: {regex: garbage}, reply: "not this", fault: invalid_content_json}
  - {match: {regex: malformed}, reply: ")" +
                       kLongReply + R"(", fault: malformed_sse}
)");
  const auto length = fetch(server.port(), post_chat(chat("length"))).json_body();
  EXPECT_EQ(length["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(length["choices"][0]["message"]["content"], "0123456789");
  auto limited = chat("length", true);
  limited["max_tokens"] = 1;
  const auto limited_events = parse_events(fetch(server.port(), post_chat(limited)).body);
  EXPECT_EQ(limited_events.content, "0123");
  EXPECT_EQ(limited_events.chunks.back()["choices"][0]["finish_reason"], "length");

  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("empty")))), "");
  EXPECT_EQ(parse_events(fetch(server.port(), post_chat(chat("empty", true))).body).content, "");
  const auto garbage = content_of(fetch(server.port(), post_chat(chat("garbage"))));
  EXPECT_THAT(garbage, HasSubstr("[CONTENT]"));
  const auto inner = garbage.substr(9, garbage.find("[/CONTENT]") - 9);
  EXPECT_TRUE(json::parse(inner, nullptr, false).is_discarded());

  const auto events = parse_events(fetch(server.port(), post_chat(chat("malformed", true))).body);
  EXPECT_EQ(malformed(events), 1u);
  EXPECT_EQ(events.content, kLongReply);  // the stream goes on after the bad event
  EXPECT_TRUE(events.done);
}

TEST(FakeLlmServer, StallsAndPacesAsScripted) {
  FakeLlmServer server(R"(
latency: {first_token_ms: 0, tokens_per_second: 0}
rules:
  - {match: {regex: mid}, reply: ")" +
                       kLongReply + R"(", fault: stall_mid_stream, stall_ms: 150}
  - {match: {regex: before}, reply: "late", fault: stall_before_first_byte, stall_ms: 150}
  - {match: {regex: paced}, reply: ")" +
                       std::string(400, 'x') + R"(", latency: {first_token_ms: 50, tokens_per_second: 1000}}
  - reply: quick
)");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_events(fetch(server.port(), post_chat(chat("mid", true))).body).content, kLongReply);
  EXPECT_GE(elapsed_ms(start), 145);

  start = std::chrono::steady_clock::now();
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("before")))), "late");
  EXPECT_GE(elapsed_ms(start), 145);

  start = std::chrono::steady_clock::now();  // 50 ms + 100 tokens at 1000/s
  EXPECT_EQ(parse_events(fetch(server.port(), post_chat(chat("paced", true))).body).content,
            std::string(400, 'x'));
  EXPECT_GE(elapsed_ms(start), 140);
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("paced")))).size(), 400u);
  EXPECT_GE(elapsed_ms(start), 140);

  start = std::chrono::steady_clock::now();
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("other")))), "quick");
  EXPECT_LT(elapsed_ms(start), 140);  // the paced rule's own latency did not leak into this one
}

// ---- fixtures, scripts, TLS, the program ----------------------------------------------------

TEST(FakeLlmServer, RepliesWithMetaGptFixturesByIndex) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  const auto cache_path = fixtures / "metagpt" / "rsp_cache.json";
  std::ifstream in(cache_path);
  const auto cache = nlohmann::ordered_json::parse(in);
  ASSERT_GT(cache.size(), 203u);
  std::vector<std::string> values;
  for (const auto& [prompt, value] : cache.items())  // a few replies are JSON objects: sent as their text
    values.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  ASSERT_EQ(values[317].front(), '{');

  FakeLlmServer server(
      "rules:\n  - {match: {regex: first}, reply_fixture: 0}\n  - {match: {regex: object}, reply_fixture: "
      "317}\n"
      "  - reply_fixture: 203\n",
      cache_path.string());
  EXPECT_EQ(parse_events(fetch(server.port(), post_chat(chat("first", true))).body).content, values[0]);
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("object")))), values[317]);
  EXPECT_EQ(content_of(fetch(server.port(), post_chat(chat("then")))), values[203]);
}

TEST(FakeLlmServer, NamesTheModelItIsToldToReportScriptWideAndPerRule) {
  FakeLlmServer server(
      "models: [gpt-4o-mini, gpt-4o]\n"
      "report_model: gpt-4o-mini-2024-07-18\n"
      "rules:\n"
      "  - match: {model: gpt-4o}\n    reply: big\n    report_model: gpt-4o-2024-08-06\n"
      "  - reply: small\n");
  const auto mini = fetch(server.port(), post_chat(chat("hi", false, "gpt-4o-mini")));
  ASSERT_EQ(mini.status, 200) << mini.body;
  EXPECT_EQ(mini.json_body()["model"], "gpt-4o-mini-2024-07-18");
  auto streamed = chat("hi", true, "gpt-4o");
  const auto events = parse_events(fetch(server.port(), post_chat(streamed)).body);
  ASSERT_FALSE(events.chunks.empty());
  for (const auto& chunk : events.chunks) EXPECT_EQ(chunk["model"], "gpt-4o-2024-08-06");
  EXPECT_EQ(events.content, "big");  // rules still match the requested name
}

TEST(FakeLlmServer, ReportsTheLongestPrefixSeenBeforeAsCachedInWholeBlocks) {
  const std::string opening(400, 'o');  // 100 fake tokens every prompt below starts with
  for (const std::string style : {"openai", "deepseek"}) {
    FakeLlmServer server("cache: {style: " + style + ", min_tokens: 32, block: 16}\nrules:\n  - reply: ok\n");
    const auto cached = [&](const std::string& user, bool stream) {
      auto request = chat(opening + user, stream);
      request["stream_options"] = {{"include_usage", true}};
      const auto reply = fetch(server.port(), post_chat(request));
      const json usage = stream ? parse_events(reply.body).chunks.back()["usage"] : reply.json_body()["usage"];
      if (style == "openai") return usage["prompt_tokens_details"]["cached_tokens"].get<long>();
      EXPECT_EQ(usage["prompt_cache_hit_tokens"].get<long>() + usage["prompt_cache_miss_tokens"].get<long>(),
                usage["prompt_tokens"].get<long>());
      return usage["prompt_cache_hit_tokens"].get<long>();
    };
    EXPECT_EQ(cached(" first", false), 0) << style;
    // The system prompt (29 bytes with its newline) and the 400 o are shared: 107 tokens, 6 whole blocks.
    EXPECT_EQ(cached(" second", true), 96) << style;
    EXPECT_EQ(cached(" second", false), 96) << style;  // the same prompt: its last part is no whole block
    EXPECT_EQ(fetch(server.port(), post_chat(chat("short", false))).json_body()["usage"].contains("prompt_tokens_details"),
              style == "openai");
  }
  // Below min_tokens nothing is cached, however often it was sent.
  FakeLlmServer small("cache: {min_tokens: 1024}\nrules:\n  - reply: ok\n");
  for (int i = 0; i < 2; ++i) {
    const auto usage = fetch(small.port(), post_chat(chat(opening, false))).json_body()["usage"];
    EXPECT_EQ(usage["prompt_tokens_details"]["cached_tokens"], 0);
  }
}

TEST(FakeLlmServer, RejectsABadScriptWithAClearMessage) {
  const auto message_for = [](const std::string& script, const std::string& fixtures = {}) {
    try {
      FakeLlmServer server(script, fixtures);
    } catch (const std::runtime_error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message_for("rules:\n  - fault: http_999\n"),
              HasSubstr("rules[0].fault: unknown fault 'http_999'"));
  EXPECT_THAT(message_for("rules:\n  - replly: x\n"), HasSubstr("rules[0]: unknown key 'replly'"));
  EXPECT_THAT(message_for("rules:\n  - match: {regex: \"(\"}\n    reply: x\n"), HasSubstr("invalid regex"));
  EXPECT_THAT(message_for("rules:\n  - reply_fixture: 3\n"), HasSubstr("needs a fixtures file"));
  EXPECT_THAT(message_for("rules:\n  - times: 0\n"), HasSubstr("rules[0].times: must be at least 1"));
  EXPECT_THAT(message_for("rules: [\n"), HasSubstr("fake LLM script: YAML"));
  EXPECT_THAT(message_for("modles: [a]\n"), HasSubstr("unknown key 'modles'"));
  EXPECT_THAT(message_for("cache: {style: anthropic}\n"), HasSubstr("cache.style: unknown style 'anthropic'"));
  EXPECT_THAT(message_for("cache: {block: 0}\n"), HasSubstr("cache.block: must be at least 1"));
  EXPECT_THAT(message_for("ollama: {num_ctxx: 8192}\n"), HasSubstr("ollama: unknown key 'num_ctxx'"));
  EXPECT_THAT(message_for("ollama: {context_length: 0}\n"), HasSubstr("ollama.context_length: must be at least 1"));
  EXPECT_THAT(message_for("ollama: {loaded: maybe}\n"), HasSubstr("ollama.loaded: expected true or false"));
}

TEST(FakeLlmServer, ServesHttpsWithASelfSignedCertificate) {
  const auto certificate = make_self_signed_certificate();
  const auto& cert_pem = certificate.first;
  EXPECT_THAT(cert_pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
  FakeLlmServer server("rules:\n  - reply: secure\n", cert_pem, certificate.second, {}, 0);
  EXPECT_EQ(server.base_url(), "https://127.0.0.1:" + std::to_string(server.port()) + "/v1");

  const auto client_context = [&](bool trust) {
    auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_verify_mode(asio::ssl::verify_peer);
    if (trust) context->add_certificate_authority(asio::buffer(cert_pem));
    return context;
  };
  const auto handshake = [&](asio::ssl::stream<tcp::socket>& stream, const std::string& host) {
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    stream.next_layer().connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), server.port()));
    stream.next_layer().set_option(tcp::no_delay(true));
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    return ec;
  };
  for (const std::string host : {"localhost", "127.0.0.1"}) {  // both names are in the SAN
    asio::io_context io;
    const auto context = client_context(true);
    asio::ssl::stream<tcp::socket> stream(io, *context);
    ASSERT_FALSE(handshake(stream, host)) << host;
    beast::flat_buffer buffer;
    EXPECT_EQ(exchange(stream, buffer, get("/v1/models")).status, 200);
    const auto reply = exchange(stream, buffer, post_chat(chat("x", true)));
    EXPECT_EQ(parse_events(reply.body).content, "secure");
  }
  asio::io_context io;
  const auto untrusting = client_context(false);
  asio::ssl::stream<tcp::socket> stream(io, *untrusting);
  EXPECT_TRUE(handshake(stream, "localhost"));
}

#ifdef AGENTCO_FAKE_SERVER
TEST(FakeLlmServerProgram, PrintsItsUrlAnswersAndStopsOnSigterm) {
  const auto dir = fs::temp_directory_path() / ("agentco_fake_llm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "script.yaml") << "models: [mock-model]\nrules:\n  - reply: from the program\n";
  const auto script = (dir / "script.yaml").string();

  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  std::vector<std::string> args = {AGENTCO_FAKE_SERVER, "--script", script};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, AGENTCO_FAKE_SERVER, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);

  std::string line;  // the first stdout line, within 10 s
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{out[0], POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    char ch[256];
    const auto n = ::read(out[0], ch, sizeof ch);
    if (n <= 0) break;
    line.append(ch, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  const std::string prefix = "listening on http://127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  EXPECT_THAT(line, HasSubstr("/v1\n"));

  EXPECT_EQ(fetch(port, get("/v1/models")).json_body()["data"][0]["id"], "mock-model");
  EXPECT_EQ(content_of(fetch(port, post_chat(chat("hi", false, "mock-model")))), "from the program");
  const auto log = fetch(port, get("/_fake/requests")).json_body();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1]["rule_index"], 0);

  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace agentco::testing
