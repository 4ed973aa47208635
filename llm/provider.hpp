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

// A function the model may call (OpenAI's tools: [{"type": "function", "function": {...}}]).
struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters = {{"type", "object"}};  // JSON Schema of the arguments object
};

// A call the model asked for. `arguments` is the JSON text exactly as the model wrote it,
// which may be malformed: whoever runs the tool parses and validates it.
struct ToolCall {
  std::string id;  // the server's call id ("call_..."), echoed in the tool message; may be empty
  std::string name;
  std::string arguments;
};

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant: the calls it asked for
  std::string tool_call_id;          // tool: the call this message answers
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
  // Functions the model may call, and whether it must: "" (the server's default: auto when
  // there are tools), "auto", "none", "required", or a tool's name (that tool, always).
  std::vector<ToolSpec> tools;
  std::string tool_choice;
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
  std::vector<ToolCall> tool_calls;  // the calls asked for, in the order the model gave them
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

// A request's prompt counted with `tokens_of` for each text: the chat format's few tokens (3,
// then 4 a message and 3 a tool call), the messages' content and tool calls, and the tools
// offered, as their JSON. The budget's estimate and the usage estimate of a server that
// reported none weigh text differently but count the same parts.
long count_prompt_tokens(const ChatRequest& request, long (*tokens_of)(std::string_view));

// A message as OpenAI's chat API takes it: role and content, plus tool_calls (assistant) or
// tool_call_id (tool) when it has them.
nlohmann::json message_to_json(const ChatMessage& message);
// `tools` and `tool_choice` as OpenAI's chat API takes them ({"tools": [...], "tool_choice":
// ...}); an empty object for a request without tools.
nlohmann::json tools_to_json(const ChatRequest& request);

// Tool calls as the trace keeps them: [{"id", "name", "arguments"}, ...] (replay/recorded_run.cpp
// reads them back).
nlohmann::json tool_calls_to_json(const std::vector<ToolCall>& calls);

// The request as it is hashed and traced: model, messages and sampling parameters, and the
// tools when there are any (a request without tools hashes as it always did).
nlohmann::json request_to_json(const ChatRequest& request);
// SHA-256 of request_to_json(request).dump(): identifies a call for replay.
std::string request_hash(const ChatRequest& request);

}  // namespace agentco
