// OpenAiProvider: the Provider for OpenAI's chat-completions API and every server that
// speaks it (Ollama, LM Studio, llama.cpp, vLLM, ...) and for Azure OpenAI.
//
// Promises:
// - POST {base_url}/chat/completions (Azure: {base_url}/openai/deployments/{model}/
//   chat/completions?api-version=V with an `api-key` header; otherwise `Authorization:
//   Bearer` when a key is set). X-Agentco-Role / X-Agentco-Action headers carry the hints.
// - Streams (SSE) with stream_options.include_usage; a server that rejects stream_options
//   is asked again without it (and never again with it); a server that answers with plain
//   JSON is read whole. Usage the server does not report is estimated (Usage::estimated).
// - reasoning_content and <think>…</think> go to ChatResult::reasoning, never to the text.
//   on_delta receives answer text only; after a retry it receives the new reply from the
//   start.
// - Retries with exponential backoff and full jitter on 408/429/5xx, connection resets,
//   timeouts and empty replies, honouring Retry-After / retry-after-ms (capped); never on 400/401/403/404.
//   After the last try the error lists what happened on each try. A reply cut off by
//   max_tokens (finish_reason "length") is returned as it is: asking again with more
//   max_tokens costs money, so LlmGateway does it, through the budget.
// - Usage includes the prompt tokens the server served from its cache (OpenAI's
//   prompt_tokens_details.cached_tokens, DeepSeek's prompt_cache_hit_tokens).
// - At most `concurrency` requests in flight (shared by all callers of this provider) and,
//   when requests_per_minute > 0, a token bucket spacing their starts.
// - cancel_calls() aborts every request in flight (and every wait for a slot or a retry):
//   each such chat() returns an Error "interrupted" at once.
// - Every expected failure is an Error with code "llm" and a message a user can act on.
//
// Thread-safety: like HttpTransport, use one provider from coroutines on one thread (or
// strand); any number of concurrent chat() calls is fine.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "llm/http_transport.hpp"
#include "llm/provider.hpp"

namespace agentco {

struct OpenAiOptions {
  std::string name = "openai";  // shown by name(): "openai", "azure", "ollama", ...
  bool azure = false;
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;         // secret: never logged
  std::string api_version;     // azure; empty: kDefaultAzureApiVersion
  std::string model;           // used when a request names no model
  bool replace_model = false;  // use `model` even when a request names another (an auto-detected
                               // local server only has its own models)
  int max_retries = 4;         // tries after the first
  double retry_base_s = 1.0;
  double retry_max_s = 30.0;
  double retry_after_cap_s = 120.0;  // the longest Retry-After that is honoured
  int concurrency = 4;               // <= 0: no limit
  double requests_per_minute = 0;    // <= 0: no limit
  std::string tool_format = "auto";  // native | text | auto: how tool calls travel (llm/tool_call_text.hpp)
  TransportOptions transport;
};

inline constexpr const char* kDefaultAzureApiVersion = "2024-06-01";

struct ProviderStats {
  long requests = 0;       // HTTP requests made for chat calls (tries included)
  int peak_in_flight = 0;  // the most chat requests that were in flight at once
  TransportStats transport;
};

class OpenAiProvider : public Provider {
 public:
  explicit OpenAiProvider(OpenAiOptions options);
  ~OpenAiProvider() override;

  std::string name() const override;
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override;
  void cancel_calls() override;

  // GET {base_url}/models: the model ids the server offers (one try, no retries).
  boost::asio::awaitable<Result<std::vector<std::string>>> list_models();

  const OpenAiOptions& options() const;
  ProviderStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Parses a Retry-After value: seconds ("2", "1.5") or an HTTP date; nothing when neither.
std::optional<double> parse_retry_after(std::string_view value);

// Model ids from a /models reply: OpenAI's {"data":[{"id":...}]} or Ollama's
// {"models":[{"name":...}]}. Error "llm" when the body is neither.
Result<std::vector<std::string>> parse_model_list(std::string_view body);

}  // namespace agentco
