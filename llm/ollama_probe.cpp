#include "llm/ollama_probe.hpp"

#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace agentco {
namespace {

constexpr long kOllamaDefaultContext = 4096;

bool same_model(const std::string& listed, const std::string& wanted) {
  if (listed == wanted) return true;
  // "qwen2.5-coder" is served as "qwen2.5-coder:latest".
  return wanted.find(':') == std::string::npos && listed == wanted + ":latest";
}

}  // namespace

bool looks_like_ollama(const std::string& api_type, const std::string& base_url) {
  if (api_type == "ollama") return true;
  auto url = parse_http_url(base_url);
  return url && url->port == 11434;
}

std::string ollama_root(const std::string& base_url) {
  std::string root = base_url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (root.ends_with("/v1")) root.resize(root.size() - 3);
  return root;
}

std::optional<long> ollama_loaded_context(const std::string& ps_body, const std::string& model) {
  nlohmann::json ps = nlohmann::json::parse(ps_body, nullptr, false);
  if (!ps.is_object() || !ps.contains("models") || !ps["models"].is_array()) return std::nullopt;
  for (const auto& m : ps["models"]) {
    if (!m.is_object()) continue;
    const std::string name = m.value("name", m.value("model", std::string()));
    const std::string id = m.value("model", name);
    if (!same_model(name, model) && !same_model(id, model)) continue;
    if (m.contains("context_length") && m["context_length"].is_number_integer() && m["context_length"].get<long>() > 0) {
      return m["context_length"].get<long>();
    }
  }
  return std::nullopt;
}

OllamaShow parse_ollama_show(const std::string& show_body) {
  OllamaShow out;
  nlohmann::json show = nlohmann::json::parse(show_body, nullptr, false);
  if (!show.is_object()) return out;
  if (show.contains("parameters") && show["parameters"].is_string()) {
    static const std::regex kNumCtx(R"((^|\n)\s*num_ctx\s+(\d+))");
    std::smatch m;
    const std::string parameters = show["parameters"].get<std::string>();
    if (std::regex_search(parameters, m, kNumCtx)) out.num_ctx = std::stol(m[2]);
  }
  if (show.contains("model_info") && show["model_info"].is_object()) {
    for (const auto& [key, value] : show["model_info"].items()) {
      if (key.ends_with(".context_length") && value.is_number_integer() && value.get<long>() > 0) {
        out.model_context = value.get<long>();
      }
    }
  }
  return out;
}

boost::asio::awaitable<std::optional<OllamaContext>> probe_ollama_context(HttpTransport& transport,
                                                                          std::string base_url, std::string model) {
  const std::string root = ollama_root(base_url);
  HttpRequest ps;
  ps.url = root + "/api/ps";
  Result<HttpResponse> listed = co_await transport.request(std::move(ps));
  if (listed && listed->status == 200) {
    if (auto loaded = ollama_loaded_context(listed->body, model)) {
      co_return OllamaContext{*loaded, fmt::format("loaded with {} tokens (/api/ps)", *loaded)};
    }
  }
  HttpRequest show;
  show.method = "POST";
  show.url = root + "/api/show";
  show.headers.emplace_back("Content-Type", "application/json");
  show.body = nlohmann::json{{"model", model}}.dump();
  Result<HttpResponse> shown = co_await transport.request(std::move(show));
  if (!shown || shown->status != 200) {
    if (!listed || listed->status != 200) co_return std::nullopt;  // not Ollama, or not reachable
    co_return OllamaContext{kOllamaDefaultContext,
                            fmt::format("Ollama's default of {} tokens (the model is not loaded and /api/show "
                                        "did not answer)",
                                        kOllamaDefaultContext)};
  }
  OllamaShow facts = parse_ollama_show(shown->body);
  if (facts.num_ctx) co_return OllamaContext{*facts.num_ctx, fmt::format("num_ctx {} (/api/show)", *facts.num_ctx)};
  long tokens = kOllamaDefaultContext;
  if (facts.model_context && *facts.model_context < tokens) tokens = *facts.model_context;
  co_return OllamaContext{
      tokens, fmt::format("Ollama's default of {} tokens{} (set OLLAMA_CONTEXT_LENGTH on the server and "
                          "llm.context_window here to use more)",
                          tokens,
                          facts.model_context ? fmt::format("; the model itself supports {}", *facts.model_context)
                                              : std::string())};
}

}  // namespace agentco
