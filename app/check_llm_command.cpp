// `agentco check-llm`: is the configured model reachable, and how fast is it?
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <string>

#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/commands.hpp"
#include "llm/openai_provider.hpp"
#include "llm/providers.hpp"
#include "llm/routing_provider.hpp"
#include "llm/sse_parser.hpp"

namespace agentco {
namespace {

constexpr int kAnswered = 0;
constexpr int kRequestFailed = 1;
constexpr int kUnreachable = 2;

struct CheckReport {
  bool models_listed = false;
  std::string models_error;
  std::vector<std::string> models;
  Result<ChatResult> reply = make_error("llm", "not sent");
  int deltas = 0;
};

boost::asio::awaitable<void> run_check(Provider& provider, const std::string& model, CheckReport& report) {
  if (auto* openai = dynamic_cast<OpenAiProvider*>(&provider)) {
    auto models = co_await openai->list_models();
    if (models) {
      report.models_listed = true;
      report.models = std::move(*models);
    } else {
      report.models_error = models.error().message;
    }
  }
  ChatRequest request;
  request.model = model;
  request.temperature = 0.0;
  request.max_tokens = 256;  // room for a reasoning model's thinking before the word
  request.stream = true;
  request.messages = {{"system", "You are a health check. Answer with one word."},
                      {"user", "Reply with the single word: pong"}};
  request.hints = {{"role", "check-llm"}, {"action", "Ping"}};
  request.on_delta = [&report](std::string_view) { ++report.deltas; };
  report.reply = co_await provider.chat(request);
}

// Checks one server with one model and prints what it found; returns the exit code.
int check_server(Provider& provider, const std::string& model) {
  auto* openai = dynamic_cast<OpenAiProvider*>(&provider);
  std::printf("provider: %s\n", provider.name().c_str());
  if (openai) std::printf("server:   %s\n", openai->options().base_url.c_str());

  CheckReport report;
  boost::asio::io_context io;
  boost::asio::co_spawn(io, run_check(provider, model, report), boost::asio::detached);
  io.run();

  if (openai) {
    if (report.models_listed) {
      std::string shown;
      for (std::size_t i = 0; i < report.models.size() && i < 15; ++i)
        shown += (i ? ", " : "") + report.models[i];
      if (report.models.size() > 15) shown += fmt::format(", … ({} in all)", report.models.size());
      std::printf("models:   %s\n", shown.empty() ? "(none listed)" : shown.c_str());
    } else {
      std::printf("models:   could not list them: %s\n", report.models_error.c_str());
    }
  }
  if (!report.reply) {
    spdlog::error("{}", report.reply.error().message);
    // Neither the model list nor the request got through: the server is not reachable.
    const bool reached = !openai || report.models_listed;
    return reached ? kRequestFailed : kUnreachable;
  }
  const ChatResult& r = *report.reply;
  std::printf("model:    %s\n", r.model.c_str());
  std::printf("reply:    %s (finish_reason %s)\n", excerpt(r.text, 80).c_str(), r.finish_reason.c_str());
  if (!r.reasoning.empty())
    std::printf("reasoning: %zu characters, kept apart from the reply\n", r.reasoning.size());
  std::printf("latency:  %.3f s\n", r.latency_s);
  std::printf("first token: %.3f s (%d streamed pieces)\n", r.first_token_s, report.deltas);
  const double generating = r.latency_s - r.first_token_s;
  if (r.usage.completion_tokens > 1 && generating > 0.0)
    std::printf("speed:    %.1f tokens/s%s\n",
                static_cast<double>(r.usage.completion_tokens - 1) / generating,
                r.usage.estimated ? " (estimated tokens)" : "");
  else
    std::printf("speed:    too short a reply to measure\n");
  if (r.usage.estimated)
    std::printf(
        "usage:    NOT reported by the server; agentco estimates tokens (~4 bytes each), so costs are "
        "rough\n");
  else
    std::printf("usage:    reported by the server (prompt %ld, completion %ld tokens)\n",
                r.usage.prompt_tokens, r.usage.completion_tokens);
  return kAnswered;
}

}  // namespace

// Every server the config names (llm:, and those of roles: and models: entries), one after
// the other; the exit code is the worst of theirs.
int check_llm_command(const ConfigSources& sources) {
  auto config = load_config(sources);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return kUnreachable;
  }
  spdlog::set_level(spdlog::level::from_str(config->log.level));
  auto provider = make_provider(*config);
  if (!provider) {
    spdlog::error("{}", provider.error().message);
    return kUnreachable;
  }
  auto* routing = dynamic_cast<RoutingProvider*>(provider->get());
  if (!routing) return check_server(**provider, config->llm.model);
  int worst = kAnswered;
  const auto& servers = routing->servers();
  for (std::size_t i = 0; i < servers.size(); ++i) {
    std::string users;
    for (const auto& user : servers[i].users) users += (users.empty() ? "" : ", ") + user;
    std::printf("%s== server %zu of %zu, for %s (model %s)\n", i ? "\n" : "", i + 1, servers.size(),
                users.c_str(), servers[i].check_model.c_str());
    std::fflush(stdout);
    worst = std::max(worst, check_server(*servers[i].provider, servers[i].check_model));
  }
  return worst;
}

namespace {

const bool check_llm_registered = register_command(25, [](CLI::App& app) {
  struct Options {
    CommonFlags common;
    LlmFlags llm;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "check-llm", "Check the configured model: list models, send one tiny streamed request, show timings");
  o->common.add_to(cmd);
  o->llm.add_to(cmd);
  return Command{cmd, [o] {
                   ConfigSources sources = o->common.sources();
                   o->llm.add_flags(sources);
                   return check_llm_command(sources);
                 }};
});

}  // namespace
}  // namespace agentco
