#include "llm/providers.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>

#include "llm/mock_provider.hpp"
#include "llm/openai_provider.hpp"

namespace agentco {
namespace {

// api_type names that mean "an OpenAI-compatible server", with the port each usually uses.
struct CompatibleServer {
  const char* api_type;
  int default_port;  // 0: no usual local port (needs llm.base_url, else the probe decides)
};
constexpr std::array<CompatibleServer, 6> kOpenAiCompatible{{
    {"openai", 0},
    {"ollama", 11434},
    {"lmstudio", 1234},
    {"llama.cpp", 8080},
    {"vllm", 8000},
    {"open_llm", 0},
}};

// Local servers tried, in order, when nothing is configured.
constexpr std::array<std::pair<int, const char*>, 4> kLocalPorts{
    {{11434, "Ollama"}, {1234, "LM Studio"}, {8080, "llama.cpp"}, {8000, "vLLM"}}};

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

OpenAiOptions options_from(const Config& config) {
  const LlmConfig& llm = config.llm;
  OpenAiOptions options;
  options.name = llm.api_type;
  options.azure = llm.api_type == "azure";
  if (!llm.base_url.empty()) options.base_url = llm.base_url;
  options.api_key = llm.api_key;
  options.api_version = llm.api_version;
  options.model = llm.model;
  options.max_retries = llm.max_retries;
  options.retry_base_s = llm.retry_base_s;
  options.retry_max_s = llm.retry_max_s;
  options.concurrency = llm.concurrency;
  options.requests_per_minute = llm.requests_per_minute;
  options.transport.insecure = llm.insecure;
  options.transport.deadlines.connect = millis(llm.timeout_connect_s);
  options.transport.deadlines.first_byte = millis(llm.timeout_first_byte_s);
  options.transport.deadlines.idle = millis(llm.timeout_idle_s);
  options.transport.deadlines.total = millis(llm.timeout_total_s);
  return options;
}

struct LocalServer {
  std::string base_url;
  std::vector<std::string> models;
};

// GET /v1/models on each usual local port, one after the other, each with a short connect
// deadline; the first that answers with a model list wins.
std::optional<LocalServer> probe_local_servers() {
  boost::asio::io_context io;
  std::optional<LocalServer> found;
  auto probe = [&found]() -> boost::asio::awaitable<void> {
    for (const auto& [port, label] : kLocalPorts) {
      OpenAiOptions options;
      options.base_url = fmt::format("http://127.0.0.1:{}/v1", port);
      options.transport.proxy = "";
      options.transport.deadlines.connect = std::chrono::milliseconds(300);
      options.transport.deadlines.first_byte = std::chrono::milliseconds(1500);
      options.transport.deadlines.idle = std::chrono::milliseconds(1500);
      options.transport.deadlines.total = std::chrono::milliseconds(3000);
      OpenAiProvider provider(options);
      auto models = co_await provider.list_models();
      if (models) {
        found = LocalServer{options.base_url, std::move(*models)};
        co_return;
      }
      spdlog::debug("no model server on port {} ({}): {}", port, label, models.error().message);
    }
  };
  boost::asio::co_spawn(io, probe(), boost::asio::detached);
  io.run();
  return found;
}

std::string how_to_configure() {
  std::string ports;
  for (const auto& [port, label] : kLocalPorts)
    ports += fmt::format("{}{} ({})", ports.empty() ? "" : ", ", port, label);
  return fmt::format(
      "no model is configured, and no local model server answered on 127.0.0.1 ports {}.\n"
      "Configure a model in one of three ways:\n"
      "  1. offline, with the built-in mock model:\n"
      "       agentco run --llm mock \"write a cli snake game\"\n"
      "  2. OpenAI (or any hosted OpenAI-compatible API):\n"
      "       OPENAI_API_KEY=sk-... agentco run [--model gpt-4o-mini] \"...\"\n"
      "  3. a model server of your own (Ollama, LM Studio, llama.cpp, vLLM, ...):\n"
      "       agentco run --llm-base-url http://host:port/v1 \"...\"\n"
      "     or set llm.base_url in ~/.config/agentco/config.yaml",
      ports);
}

Result<std::shared_ptr<Provider>> make_openai_compatible(const Config& config, const CompatibleServer& kind) {
  const LlmConfig& llm = config.llm;
  OpenAiOptions options = options_from(config);
  if (auto url = parse_http_url(options.base_url); !url)
    return make_error("llm", "llm.base_url: " + url.error().message);
  if (!llm.base_url.empty() || (!llm.api_key.empty() && kind.default_port == 0))
    return std::shared_ptr<Provider>(std::make_shared<OpenAiProvider>(std::move(options)));

  // No base_url: a local server's usual port, or whichever local server answers.
  const bool model_is_explicit =
      config.origin.count("llm.model") && config.origin.at("llm.model") != "default";
  if (kind.default_port != 0) {
    options.base_url = fmt::format("http://127.0.0.1:{}/v1", kind.default_port);
    spdlog::info("llm.api_type {}: using {}", llm.api_type, options.base_url);
    return std::shared_ptr<Provider>(std::make_shared<OpenAiProvider>(std::move(options)));
  }
  std::optional<LocalServer> local = probe_local_servers();
  if (!local) return make_error("llm", how_to_configure());
  options.base_url = local->base_url;
  if (!model_is_explicit) {
    if (local->models.empty())
      return make_error("llm",
                        fmt::format("the local model server at {} lists no models; pull one, or name one "
                                    "with --model",
                                    local->base_url));
    options.model = local->models.front();
    options.replace_model = true;
  }
  spdlog::info("using the local model server at {} (model: {}{})", local->base_url, options.model,
               model_is_explicit ? ", from llm.model" : ", the first it lists; --model picks another");
  return std::shared_ptr<Provider>(std::make_shared<OpenAiProvider>(std::move(options)));
}

}  // namespace

Result<std::shared_ptr<Provider>> make_provider(const Config& config) {
  const std::string& type = config.llm.api_type;
  if (type == "mock") {
    long latency_ms = 0;
    if (const char* env = std::getenv("AGENTCO_MOCK_LATENCY_MS")) latency_ms = std::strtol(env, nullptr, 10);
    return std::shared_ptr<Provider>(std::make_shared<MockProvider>(std::chrono::milliseconds(latency_ms)));
  }
  if (type == "azure") {
    if (config.llm.base_url.empty())
      return make_error("llm",
                        "llm.api_type azure needs llm.base_url, the resource endpoint "
                        "(https://NAME.openai.azure.com), and llm.model, the deployment name");
    if (config.llm.api_key.empty())
      return make_error("llm", "llm.api_type azure needs a key: set OPENAI_API_KEY or llm.api_key");
    OpenAiOptions options = options_from(config);
    if (auto url = parse_http_url(options.base_url); !url)
      return make_error("llm", "llm.base_url: " + url.error().message);
    return std::shared_ptr<Provider>(std::make_shared<OpenAiProvider>(std::move(options)));
  }
  for (const auto& kind : kOpenAiCompatible)
    if (type == kind.api_type) return make_openai_compatible(config, kind);
  std::string known = "mock, azure";
  for (const auto& kind : kOpenAiCompatible) known += std::string(", ") + kind.api_type;
  return make_error("llm", fmt::format("unknown llm.api_type '{}' (known: {})", type, known));
}

}  // namespace agentco
