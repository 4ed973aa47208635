#include "llm/ollama_probe.hpp"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace agentco {
namespace {

constexpr long kOllamaDefaultContext = 4096;
// No model reads more; a larger number in a reply is not a window but a broken or hostile one.
constexpr long kMostTokens = 100'000'000;

// "qwen2.5-coder" is served as "qwen2.5-coder:latest", and either name may be asked for.
std::string tagged(const std::string& name) {
  const auto slash = name.rfind('/');
  const auto colon = name.find(':', slash == std::string::npos ? 0 : slash);
  return colon == std::string::npos ? name + ":latest" : name;
}

// A token count from a server: a positive integer no model exceeds, else nothing.
std::optional<long> token_count(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (n > 0 && n <= static_cast<std::uint64_t>(kMostTokens)) return static_cast<long>(n);
  } else if (value.is_number_integer()) {
    const auto n = value.get<std::int64_t>();
    if (n > 0 && n <= kMostTokens) return static_cast<long>(n);
  }
  return std::nullopt;
}

std::optional<long> token_count(std::string_view digits) {
  long n = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (error != std::errc() || end != digits.data() + digits.size() || n <= 0 || n > kMostTokens) return std::nullopt;
  return n;
}

// Ollama's /api/ps answers {"models": [...]}; anything else is not Ollama.
bool is_ps_reply(const nlohmann::json& ps) {
  return ps.is_object() && ps.contains("models") && ps["models"].is_array();
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
  for (std::string_view suffix : {"/v1", "/api"}) {
    if (root.ends_with(suffix)) {
      root.resize(root.size() - suffix.size());
      break;
    }
  }
  return root;
}

std::optional<long> ollama_loaded_context(const std::string& ps_body, const std::string& model) {
  nlohmann::json ps = nlohmann::json::parse(ps_body, nullptr, false);
  if (!is_ps_reply(ps)) return std::nullopt;
  for (const auto& m : ps["models"]) {
    if (!m.is_object()) continue;
    bool same = false;
    for (const char* key : {"name", "model"})
      if (m.contains(key) && m[key].is_string()) same = same || tagged(m[key].get<std::string>()) == tagged(model);
    if (!same || !m.contains("context_length")) continue;
    if (auto tokens = token_count(m["context_length"])) return tokens;
  }
  return std::nullopt;
}

OllamaShow parse_ollama_show(const std::string& show_body) {
  OllamaShow out;
  nlohmann::json show = nlohmann::json::parse(show_body, nullptr, false);
  if (!show.is_object()) return out;
  if (show.contains("parameters") && show["parameters"].is_string()) {
    // One "name value" line each, the name padded to a column: "num_ctx                        8192".
    std::string_view rest = show["parameters"].get_ref<const std::string&>();
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      std::string_view line = trim_view(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (!line.starts_with("num_ctx") || line.size() == 7 || (line[7] != ' ' && line[7] != '\t')) continue;
      out.num_ctx = token_count(trim_view(line.substr(7)));
      break;
    }
  }
  if (show.contains("model_info") && show["model_info"].is_object()) {
    const nlohmann::json& info = show["model_info"];
    // "<general.architecture>.context_length"; without the architecture, the smallest such key.
    if (info.contains("general.architecture") && info["general.architecture"].is_string()) {
      const std::string key = info["general.architecture"].get<std::string>() + ".context_length";
      if (info.contains(key)) out.model_context = token_count(info[key]);
    }
    if (!out.model_context) {
      for (const auto& [key, value] : info.items()) {
        if (!key.ends_with(".context_length")) continue;
        if (auto tokens = token_count(value); tokens && (!out.model_context || *tokens < *out.model_context))
          out.model_context = tokens;
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
  const bool ps_answered =
      listed && listed->status == 200 && is_ps_reply(nlohmann::json::parse(listed->body, nullptr, false));
  if (ps_answered) {
    if (auto loaded = ollama_loaded_context(listed->body, model)) {
      co_return OllamaContext{*loaded, "as loaded, says /api/ps"};
    }
  }
  HttpRequest show;
  show.method = "POST";
  show.url = root + "/api/show";
  show.headers.emplace_back("Content-Type", "application/json");
  show.body = nlohmann::json{{"model", model}}.dump();
  Result<HttpResponse> shown = co_await transport.request(std::move(show));
  const bool show_answered =
      shown && shown->status == 200 && nlohmann::json::parse(shown->body, nullptr, false).is_object();
  if (!show_answered) {
    if (!ps_answered) co_return std::nullopt;  // not Ollama, or not reachable
    co_return OllamaContext{kOllamaDefaultContext,
                            "Ollama's default: the model is not loaded and /api/show did not answer"};
  }
  OllamaShow facts = parse_ollama_show(shown->body);
  if (facts.num_ctx) co_return OllamaContext{*facts.num_ctx, "num_ctx of its Modelfile, says /api/show"};
  long tokens = kOllamaDefaultContext;
  if (facts.model_context && *facts.model_context < tokens) tokens = *facts.model_context;
  co_return OllamaContext{
      tokens, fmt::format("Ollama's default{}; set OLLAMA_CONTEXT_LENGTH on the server and llm.context_window "
                          "here to use more",
                          facts.model_context ? fmt::format(", the model itself reads {}", *facts.model_context)
                                              : std::string())};
}

}  // namespace agentco
