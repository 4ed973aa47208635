// FakeLlmServer: an OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.
// Speaks GET /v1/models and POST /v1/chat/completions (streaming SSE and not), scripted by
// YAML rules; can inject faults and latency. Runs its own io_context on a background
// thread; thread-safe to start/stop from the test thread.
//
// Script (YAML):
//   models: [gpt-4o-mini, mock-model]          # what /v1/models lists (default: [fake-model])
//   require_key: sk-test                        # optional: 401 unless "Authorization: Bearer sk-test"
//   echo_authorization: true                    # optional: 401 and 500 bodies quote the Authorization header
//   latency: {first_token_ms: 500, tokens_per_second: 50}   # optional, for every reply
//   report_model: gpt-4o-mini-2024-07-18        # optional: the model every reply names (as real
//                                               # servers answer with a dated name); default: the requested one
//   cache: {style: openai, min_tokens: 1024, block: 128}   # optional prompt-cache simulation, below
//   ollama:                                     # optional: also pose as Ollama (native API, below)
//     loaded: true                              #   /api/ps lists every model of `models:` (default: none)
//     context_length: 2048                      #   ...each loaded with this context (default: num_ctx, else 4096)
//     num_ctx: 8192                             #   /api/show's parameters hold "num_ctx 8192" (default: absent)
//     model_context: 32768                      #   /api/show's model_info "<architecture>.context_length"
//     architecture: qwen2                       #   model_info's general.architecture (default: llama)
//   rules:                                      # first match wins; each rule may be limited
//     - match: {role: Engineer, action: WriteCode, regex: "game\\.py", model: ...}
//       times: 1                                # optional: rule applies this many times, then is skipped
//       reply: "text"                           # or: reply_fixture: 203 (rsp_cache.json index)
//                                               # or: read: true (the reading model answers from
//                                               # the messages alone; tests/support/reading_model.hpp)
//       fault: none | http_429 | http_500 | http_502 | stall_before_first_byte |
//              stall_mid_stream | reset_mid_stream | malformed_sse | finish_length |
//              empty_reply | invalid_content_json | invalid_utf8 (a raw 0xFF byte in the text)
//       retry_after: 1                          # seconds, for http_429
//       stall_ms: 3000                          # for the stall faults
//       report_model: gpt-4o-2024-08-06         # optional: the model this rule's replies name
//       tool_calls:                             # optional: the reply calls tools (finish_reason
//         - {name: read_file, arguments: {path: a.py}}   # "tool_calls"); arguments: a map (sent
//         - {name: run, arguments: '{"cmd": ', id: c1}   # as JSON) or a string (sent as it is,
//                                               # malformed on purpose); id default call_<n>_<i>.
//                                               # Streamed as OpenAI does: id and name first,
//                                               # then the arguments 7 bytes a chunk
//       interleave_tool_calls: true             # optional: parallel calls' chunks interleaved
//     - reply: "default answer"                 # a rule without match matches everything
// Matching: role/action compare with the X-Agentco-Role / X-Agentco-Action request headers
// (sent by agentco's client) or, when absent, with "Role: <name>" / "Action: <name>" markers;
// regex is searched in the last user message; model compares with the request's model;
// tool_result is searched in the last message when that is a tool result (role "tool"), and
// matches nothing otherwise.
// A rule may also carry `reasoning: "..."` (sent as reasoning_content before the content) and
// its own `latency:` (overrides the script's). reply_fixture values that are JSON objects are
// sent as their JSON text. A chat request that no rule matches gets a 404 whose error code is
// "no_matching_rule". Unknown keys, faults or bad regexes throw std::runtime_error.
// Tokens are counted as 4 bytes each; a prompt is its messages' texts, each followed by '\n'.
// Prompt cache: the server remembers every prompt it answered (of at least min_tokens,
// default 1024) per requested model, and reports as cached the longest prefix of a new prompt
// that an earlier one began with, rounded down to whole blocks of `block` tokens (default
// 128), or 0 when that is under min_tokens. style openai reports it as
// usage.prompt_tokens_details.cached_tokens, style deepseek as usage.prompt_cache_hit_tokens
// with prompt_cache_miss_tokens (the rest); prompt_tokens stays the whole prompt.
// Faults on a non-streaming request: stall_mid_stream / reset_mid_stream act halfway through
// the JSON body; malformed_sse sends a 200 whose JSON breaks off halfway.
// Routes: GET /v1/models[/{id}], POST /v1/chat/completions, POST
// /openai/deployments/{name}/chat/completions?api-version=... (Azure: `api-key` header, model =
// deployment), and GET /_fake/requests (the request log as JSON, for tests of the program).
// With `ollama:`, also GET /api/ps ({"models": [{name, model, size, digest, details, expires_at,
// size_vram, context_length}]}) and POST /api/show ({"model"} or {"name"} -> {modelfile,
// parameters, template, details, model_info, capabilities, modified_at}; 404 {"error"} for a model
// not in `models:`), as Ollama answers them; without it those routes are 404 like any unknown URL.
// Absolute-form targets ("POST http://any.host/v1/chat/completions", what a client sends to its
// HTTP proxy) are served by their path, so the server can stand in for a proxy in tests.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco::testing {

struct FakeRequestLog {
  std::string method, target;
  nlohmann::json body;          // parsed request body (chat and Ollama routes; null for GET)
  std::string role, action;     // from headers
  std::string authorization;    // the Authorization header as received
  int rule_index = -1;          // which rule answered (-1: none/default 404)
};

class FakeLlmServer {
 public:
  // Starts listening on 127.0.0.1:port (0 = any free port). `script_yaml` is the YAML text
  // above; `fixtures_path` (optional) is rsp_cache.json for reply_fixture. Throws
  // std::runtime_error on a bad script or bind failure.
  FakeLlmServer(const std::string& script_yaml, const std::string& fixtures_path = {},
                std::uint16_t port = 0);
  // Optional TLS: PEM certificate chain and key; then it speaks HTTPS only.
  FakeLlmServer(const std::string& script_yaml, const std::string& cert_pem, const std::string& key_pem,
                const std::string& fixtures_path, std::uint16_t port);
  ~FakeLlmServer();  // stops and joins

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT/v1" (https for TLS)
  std::vector<FakeRequestLog> requests() const;  // every request served so far
  std::size_t chat_requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes a self-signed certificate for CN=localhost with SAN DNS:localhost, IP:127.0.0.1
// (OpenSSL 3, EC key). Returns {cert_pem, key_pem}.
std::pair<std::string, std::string> make_self_signed_certificate();

}  // namespace agentco::testing
