// Ollama's real context window. Ollama serves every model with a context of its own choosing
// (4096 tokens unless the server or the model's num_ctx says otherwise) and silently drops
// the start of a longer prompt, so agentco asks its native API before a run:
//   1. GET  /api/ps    the loaded model's context_length, when the model is loaded;
//   2. POST /api/show  the model's num_ctx parameter, when its Modelfile sets one;
//   3. else Ollama's default of 4096, capped by the model's own context length.
// Only for servers that are Ollama (api_type "ollama", or port 11434); a server that answers
// neither route as Ollama does (/api/ps: {"models": [...]}; /api/show: a JSON object), or does
// not answer, means "unknown" and the run goes on with the other sources of
// llm/context_window.hpp. Replies are untrusted: a count that is not a positive integer of at
// most 100,000,000 tokens is no count.
#pragma once
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "llm/http_transport.hpp"

namespace agentco {

struct OllamaContext {
  long tokens = 0;
  std::string how;  // for people, e.g. "as loaded, says /api/ps"
};

// True when the config points at an Ollama server.
bool looks_like_ollama(const std::string& api_type, const std::string& base_url);

// The native API's root for an OpenAI-compatible base URL ("http://h:11434/v1" ->
// "http://h:11434"; MetaGPT's ".../api" too).
std::string ollama_root(const std::string& base_url);

boost::asio::awaitable<std::optional<OllamaContext>> probe_ollama_context(HttpTransport& transport,
                                                                          std::string base_url, std::string model);

// Parses the replies (exposed for tests): /api/ps for `model` (listed as itself or, untagged,
// as "<model>:latest"), and /api/show.
std::optional<long> ollama_loaded_context(const std::string& ps_body, const std::string& model);
struct OllamaShow {
  std::optional<long> num_ctx;        // the Modelfile's parameter
  std::optional<long> model_context;  // "<architecture>.context_length" of model_info
};
OllamaShow parse_ollama_show(const std::string& show_body);

}  // namespace agentco
