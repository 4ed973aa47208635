#include "llm/providers.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "llm/mock_provider.hpp"
#include "llm/openai_provider.hpp"
#include "llm/routing_provider.hpp"

namespace agentco {
namespace {

// api_type names that mean "an OpenAI-compatible server", with the port each usually uses.
struct CompatibleServer {
  const char* api_type;
  int default_port;  // 0: no usual local port (needs llm.base_url, else the probe decides)
  bool needs_base_url = false;  // a hosted service whose address agentco does not guess
};
// The last ones are MetaGPT's names of hosted services that speak OpenAI's API.
constexpr std::array<CompatibleServer, 16> kOpenAiCompatible{{
    {"openai", 0},
    {"ollama", 11434},
    {"lmstudio", 1234},
    {"llama.cpp", 8080},
    {"vllm", 8000},
    {"open_llm", 0},
    {"deepseek", 0, true},
    {"moonshot", 0, true},
    {"openrouter", 0, true},
    {"open_router", 0, true},
    {"siliconflow", 0, true},
    {"yi", 0, true},
    {"mistral", 0, true},
    {"fireworks", 0, true},
    {"ark", 0, true},
    {"metagpt", 0, true},
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
  if (!llm.proxy.empty())  // wins over HTTPS_PROXY/HTTP_PROXY for this server
    options.transport.proxy = llm.proxy.find("://") == std::string::npos ? "http://" + llm.proxy : llm.proxy;
  options.model = llm.model;
  options.max_retries = llm.max_retries;
  options.retry_base_s = llm.retry_base_s;
  options.retry_max_s = llm.retry_max_s;
  options.concurrency = llm.concurrency;
  options.requests_per_minute = llm.requests_per_minute;
  options.tool_format = llm.tool_format;
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

// MetaGPT keeps its config in ~/.metagpt/config2.yaml, which agentco reads only when asked.
std::string metagpt_hint() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return "";
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(home) / ".metagpt" / "config2.yaml", ec)) return "";
  return "\n  4. the MetaGPT config you have:\n       agentco run --config ~/.metagpt/config2.yaml \"...\"";
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
      "     or set llm.base_url in ~/.config/agentco/config.yaml{}",
      ports, metagpt_hint());
}

Result<std::shared_ptr<Provider>> make_openai_compatible(const Config& config, const CompatibleServer& kind) {
  const LlmConfig& llm = config.llm;
  OpenAiOptions options = options_from(config);
  if (kind.needs_base_url && llm.base_url.empty())
    return make_error("llm",
                      fmt::format("llm.api_type {} needs llm.base_url, the service's OpenAI-compatible "
                                  "address (https://.../v1)",
                                  llm.api_type));
  // MetaGPT talks to Ollama's own API at .../api; its OpenAI-compatible API is at .../v1.
  if (llm.api_type == "ollama" &&
      (options.base_url.ends_with("/api") || options.base_url.ends_with("/api/"))) {
    options.base_url.replace(options.base_url.rfind("/api"), std::string::npos, "/v1");
    spdlog::info("llm.api_type ollama: using {} (Ollama's OpenAI-compatible API) for MetaGPT's {}",
                 options.base_url, llm.base_url);
  }
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

// The provider of the one server config.llm describes.
Result<std::shared_ptr<Provider>> make_server_provider(const Config& config) {
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

// ---- Servers of roles: and models: entries ----------------------------------------------

// llm's settings with an entry's server: an entry with its own base_url is a server of its
// own (only its own key, version and proxy); one without is llm's server with the given
// fields replaced.
Config with_endpoint(const Config& config, const EndpointSettings& endpoint, const std::string& model) {
  Config out = config;
  LlmConfig& llm = out.llm;
  if (!endpoint.base_url.empty()) {
    llm.api_type = endpoint.api_type.empty() ? "openai" : endpoint.api_type;
    llm.base_url = endpoint.base_url;
    llm.api_key = endpoint.api_key;
    llm.api_version = endpoint.api_version;
    llm.proxy = endpoint.proxy;
  } else {
    if (!endpoint.api_type.empty()) llm.api_type = endpoint.api_type;
    if (!endpoint.api_key.empty()) llm.api_key = endpoint.api_key;
    if (!endpoint.api_version.empty()) llm.api_version = endpoint.api_version;
    if (!endpoint.proxy.empty()) llm.proxy = endpoint.proxy;
  }
  if (endpoint.timeout_total_s > 0) llm.timeout_total_s = endpoint.timeout_total_s;
  if (!model.empty()) {
    llm.model = model;
    out.origin["llm.model"] = "entry";
  }
  return out;
}

// What makes two servers one: the same address, credentials and deadline share a provider
// (its connections and its concurrency limit). Kept in memory only.
std::string server_key(const LlmConfig& llm) {
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", llm.api_type, llm.base_url, llm.api_key, llm.api_version,
                     llm.proxy, llm.timeout_total_s);
}

bool needs_routing(const Config& config) {
  if (!config.named_models.empty() || !config.llm.pricing_plan.empty()) return true;
  return std::any_of(config.roles.begin(), config.roles.end(), [](const RoleLlm& entry) {
    return entry.endpoint.names_a_server() || entry.endpoint.timeout_total_s > 0 ||
           !entry.pricing_plan.empty();
  });
}

class RoutingBuilder {
 public:
  explicit RoutingBuilder(const Config& config) : config_(config) {}

  Result<std::shared_ptr<Provider>> build() {
    auto fallback = make_server_provider(config_);
    if (!fallback) return fallback.error();
    std::string check_model = config_.llm.model;
    if (auto* openai = dynamic_cast<OpenAiProvider*>(fallback->get());
        openai && openai->options().replace_model)
      check_model = openai->options().model;
    table_.servers.push_back({*fallback, {"llm"}, check_model});
    keys_.push_back(server_key(config_.llm));
    if (!config_.llm.pricing_plan.empty()) table_.planned_models.insert(config_.llm.model);

    for (const RoleLlm& entry : config_.roles) {
      table_.roles.push_back(entry);
      std::optional<std::size_t> server;
      if (entry.endpoint.names_a_server() || entry.endpoint.timeout_total_s > 0) {
        auto index = server_for(with_endpoint(config_, entry.endpoint, entry.model), "roles " + entry.role,
                                entry.origin + ": roles (role " + entry.role + ")");
        if (!index) return index.error();
        server = *index;
      }
      table_.role_servers.push_back(server);
      if (!entry.pricing_plan.empty() && !entry.model.empty()) table_.planned_models.insert(entry.model);
    }
    for (const auto& [name, entry] : config_.named_models) {
      const std::string send_as = entry.model.empty() ? name : entry.model;
      auto index = server_for(with_endpoint(config_, entry.endpoint, send_as), "models " + name,
                              entry.origin + ": models." + name);
      if (!index) return index.error();
      table_.models[name] = {*index, send_as};
      if (!entry.pricing_plan.empty()) table_.planned_models.insert(name);
    }
    return std::shared_ptr<Provider>(std::make_shared<RoutingProvider>(std::move(table_)));
  }

 private:
  // The index of the server `server_config` describes, made when it is new.
  Result<std::size_t> server_for(const Config& server_config, const std::string& user,
                                 const std::string& where) {
    const std::string key = server_key(server_config.llm);
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) {
        table_.servers[i].users.push_back(user);
        return i;
      }
    auto provider = make_server_provider(server_config);
    if (!provider) return make_error("llm", where + ": " + provider.error().message);
    table_.servers.push_back({*provider, {user}, server_config.llm.model});
    keys_.push_back(key);
    return table_.servers.size() - 1;
  }

  const Config& config_;
  RoutingTable table_;
  std::vector<std::string> keys_;
};

}  // namespace

Result<std::shared_ptr<Provider>> make_provider(const Config& config) {
  if (!needs_routing(config)) return make_server_provider(config);
  return RoutingBuilder(config).build();
}

}  // namespace agentco
