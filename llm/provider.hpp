// The provider seam: one awaitable chat call. Real HTTP clients, the offline mock and the
// trace-replay provider all implement it; nothing above this seam knows which one it has.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::string model;
  double temperature = 0.2;
  int max_tokens = 4096;
  // The most max_tokens may be raised to when a cut-off reply is asked for again: what the
  // model's context window leaves the reply (actions/prompt.hpp); 0: no limit. Never sent.
  int max_tokens_limit = 0;
  bool stream = true;
  // What the caller knows about the request (role, action, schema, file, ...). Never sent
  // to a model server; the mock provider and the trace use it.
  nlohmann::json hints = nlohmann::json::object();
  // Called with each piece of answer text as it streams in (optional).
  std::function<void(std::string_view)> on_delta;
};

struct Usage {
  long prompt_tokens = 0;  // all of the prompt, cached tokens included
  long completion_tokens = 0;
  bool estimated = false;  // true when the server did not report usage
  long cached_tokens = 0;  // the part of prompt_tokens the server served from its prompt cache
};

struct ChatResult {
  std::string text;       // the answer, without reasoning
  std::string reasoning;  // reasoning_content / <think> text, kept apart from the answer
  std::string finish_reason = "stop";
  std::string model;      // the model that answered
  Usage usage;
  double latency_s = 0.0;  // request sent -> last byte
  double first_token_s = 0.0;
  // Bytes of the server's reply that were not UTF-8 where its JSON was read, replaced by
  // U+FFFD (the gateway warns; bytes inside the text itself it repairs and counts there).
  std::size_t repaired_utf8_bytes = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Name used in config and messages ("mock", "openai", ...).
  virtual std::string name() const = 0;
  // One model call. Expected failures (HTTP errors, timeouts, refusals) come back as an
  // Error with code "llm"; the call never throws for them.
  virtual boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) = 0;
  // Cancels every call in flight (Ctrl-C): each ends promptly with an Error of code
  // "interrupted". Calls started afterwards are not affected. Call it from the thread the
  // calls run on. The default does nothing (calls that finish quickly need no cancelling).
  virtual void cancel_calls() {}
};

// Rough token count for text whose usage the server did not report (~4 bytes a token).
inline long estimate_tokens(std::string_view text) {
  return static_cast<long>((text.size() + 3) / 4);
}

// The request as it is hashed and traced: model, messages and sampling parameters.
nlohmann::json request_to_json(const ChatRequest& request);
// SHA-256 of request_to_json(request).dump(): identifies a call for replay.
std::string request_hash(const ChatRequest& request);

}  // namespace agentco
