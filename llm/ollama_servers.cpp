#include "llm/ollama_servers.hpp"

#include <algorithm>

#include "llm/openai_provider.hpp"
#include "llm/routing_provider.hpp"

namespace agentco {
namespace {

constexpr std::uint64_t kProbeBodyLimit = 1 << 20;  // a /api/show reply is a few kB

// The Ollama server behind `provider` and the model it is sent for `model`; false when the
// provider is not an OpenAI-compatible client of an Ollama server.
bool ollama_server(const Provider& provider, const std::string& model, OllamaTarget& out) {
  const auto* client = dynamic_cast<const OpenAiProvider*>(&provider);
  if (!client) return false;
  const OpenAiOptions& options = client->options();
  if (options.azure || !looks_like_ollama(options.name, options.base_url)) return false;
  out.base_url = options.base_url;
  out.transport = options.transport;
  out.ask_for = model.empty() || options.replace_model ? options.model : model;
  return true;
}

}  // namespace

std::vector<OllamaTarget> ollama_targets(const Provider& provider, const std::vector<ModelCall>& calls) {
  std::vector<OllamaTarget> targets;
  const auto* routing = dynamic_cast<const RoutingProvider*>(&provider);
  for (const ModelCall& call : calls) {
    const Provider* server = &provider;
    std::string sent = call.model;
    if (routing) {
      const auto [index, send_as] = routing->route(call.role, call.profile, call.model);
      server = routing->servers()[index].provider.get();
      sent = send_as;
    }
    OllamaTarget target;
    if (!ollama_server(*server, sent, target)) continue;
    auto same = std::find_if(targets.begin(), targets.end(), [&](const OllamaTarget& t) {
      return t.base_url == target.base_url && t.ask_for == target.ask_for;
    });
    if (same == targets.end()) same = targets.insert(targets.end(), std::move(target));
    same->call_models.insert(call.model);
  }
  return targets;
}

boost::asio::awaitable<std::map<std::string, long>> probe_ollama_servers(const std::vector<OllamaTarget>& targets,
                                                                         HttpDeadlines deadlines,
                                                                         const OllamaAnswerSink& said) {
  std::map<std::string, long> windows;
  for (const OllamaTarget& target : targets) {
    TransportOptions options = target.transport;
    options.deadlines = deadlines;
    options.body_limit = kProbeBodyLimit;
    HttpTransport transport(options);
    std::optional<OllamaContext> context = co_await probe_ollama_context(transport, target.base_url, target.ask_for);
    if (!context) continue;
    if (said) said(target, *context);
    for (const std::string& model : target.call_models) {
      auto [it, fresh] = windows.emplace(model, context->tokens);
      if (!fresh) it->second = std::min(it->second, context->tokens);
    }
  }
  co_return windows;
}

}  // namespace agentco
