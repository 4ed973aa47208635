// Which Ollama servers a run's calls reach, and which model each is asked for: the plan of
// the context-window probe (llm/ollama_probe.hpp) when calls are routed to several servers
// (roles: and models: entries, llm/routing_provider.hpp).
//
// - A call is routed exactly as RoutingProvider::chat routes it (its role's server, else its
//   model's, else llm's); a server that is not an OpenAI-compatible one that looks like Ollama
//   (looks_like_ollama of its api_type and base_url) is left out.
// - A server is asked for the model it is sent (a models: entry's `model`, an auto-detected
//   local server's own model), but the window is keyed by the model name the call asks for,
//   which is what build_request looks up.
// - When one model name reaches two servers (two roles' own servers) with different windows,
//   it gets the smaller: the fitting knows the call's model, not its server, and a prompt
//   fitted to the smaller window fits both.
// Pure except probe_ollama_servers, which asks each server once per model, one after another.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "llm/http_transport.hpp"
#include "llm/ollama_probe.hpp"
#include "llm/provider.hpp"

namespace agentco {

// One kind of call a run makes: who asks (for routing by roles: entries) and for which model.
struct ModelCall {
  std::string role;
  std::string profile;
  std::string model;
};

// One question for one server: its window for `ask_for`, which calls know as `call_models`.
struct OllamaTarget {
  std::string base_url;        // the server's OpenAI-compatible address, as its provider uses it
  TransportOptions transport;  // its provider's (proxy, TLS trust)
  std::string ask_for;
  std::set<std::string> call_models;
};

// The targets of these calls through `provider` (a RoutingProvider, an OpenAiProvider, or
// anything else, which has none), one per distinct server address and model, in a stable order.
std::vector<OllamaTarget> ollama_targets(const Provider& provider, const std::vector<ModelCall>& calls);

// Asks every target, through its own transport options with these deadlines and a small body
// limit; call model -> tokens for those that answered (the smaller of two). `said` hears
// each answer (for the terminal).
using OllamaAnswerSink = std::function<void(const OllamaTarget&, const OllamaContext&)>;
// The targets and the sink must outlive the call.
boost::asio::awaitable<std::map<std::string, long>> probe_ollama_servers(const std::vector<OllamaTarget>& targets,
                                                                         HttpDeadlines deadlines,
                                                                         const OllamaAnswerSink& said);

}  // namespace agentco
