#include "app/context_probe.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "llm/ollama_servers.hpp"
#include "sop/model_choice.hpp"

namespace agentco {

std::map<std::string, long> probe_context_windows(const Config& config, const Sop& sop, const Provider& provider) {
  std::map<std::string, long> out;
  if (config.llm.context_window > 0) return out;
  std::vector<ModelCall> calls;
  for (RoleModel& call : models_of_calls(config.llm, sop))
    calls.push_back({std::move(call.role), std::move(call.profile), std::move(call.model)});
  std::vector<OllamaTarget> targets = ollama_targets(provider, calls);
  if (targets.empty()) return out;

  HttpDeadlines deadlines;
  deadlines.connect = std::chrono::seconds(3);
  deadlines.first_byte = std::chrono::seconds(10);
  deadlines.idle = std::chrono::seconds(10);
  deadlines.total = std::chrono::seconds(15);
  OllamaAnswerSink said = [](const OllamaTarget& target, const OllamaContext& context) {
    const std::string as = target.call_models.size() == 1 && *target.call_models.begin() == target.ask_for
                               ? std::string()
                               : fmt::format(" (for {})", fmt::join(target.call_models, ", "));
    spdlog::info("{} serves {}{} with a context window of {} tokens ({}): prompts are fitted to it", target.base_url,
                 target.ask_for, as, context.tokens, context.how);
  };
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        out = co_await probe_ollama_servers(targets, deadlines, said);
      },
      boost::asio::detached);
  io.run();
  return out;
}

}  // namespace agentco
