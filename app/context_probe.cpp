#include "app/context_probe.hpp"

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "llm/ollama_probe.hpp"

namespace agentco {

std::map<std::string, long> probe_context_windows(const Config& config, const Sop& sop) {
  std::map<std::string, long> out;
  if (config.llm.context_window > 0) return out;
  std::string base_url = config.llm.base_url;
  if (base_url.empty() && config.llm.api_type == "ollama") base_url = "http://127.0.0.1:11434/v1";
  if (base_url.empty() || !looks_like_ollama(config.llm.api_type, base_url)) return out;

  std::set<std::string> models{config.llm.model};
  for (const auto& [key, model] : config.llm.models) models.insert(model);
  for (const auto& role : sop.roles) {
    if (!role.model.empty()) models.insert(role.model);
  }
  for (const auto& [name, action] : sop.actions) {
    if (!action.model.empty()) models.insert(action.model);
  }
  TransportOptions options;
  options.deadlines.connect = std::chrono::seconds(3);
  options.deadlines.first_byte = std::chrono::seconds(10);
  options.deadlines.total = std::chrono::seconds(15);
  options.insecure = config.llm.insecure;
  HttpTransport transport(options);
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        for (const auto& model : models) {
          std::optional<OllamaContext> context = co_await probe_ollama_context(transport, base_url, model);
          if (!context) continue;
          out[model] = context->tokens;
          spdlog::info("{} serves {} with a context window of {} tokens ({}): prompts are fitted to it", base_url,
                       model, context->tokens, context->how);
        }
      },
      boost::asio::detached);
  io.run();
  return out;
}

}  // namespace agentco
