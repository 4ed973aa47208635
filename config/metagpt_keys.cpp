#include "config/metagpt_keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "config/config_support.hpp"

namespace agentco {

namespace {

// Case, blanks and underscores do not count: "QaEngineer" and "QA Engineer" are one name.
std::string fold(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != ' ' && c != '_' && c != '\t')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace

int role_entry_match(std::string_view entry_role, std::string_view name, std::string_view profile) {
  const std::string wanted = fold(entry_role);
  if (wanted.empty()) return 0;
  if (fold(name) == wanted) return 3;
  // A population's instances are "<name>-<number>".
  if (const auto dash = name.rfind('-'); dash != std::string_view::npos && dash + 1 < name.size() &&
                                         std::all_of(name.begin() + dash + 1, name.end(), [](char c) {
                                           return std::isdigit(static_cast<unsigned char>(c));
                                         }))
    if (fold(name.substr(0, dash)) == wanted) return 2;
  if (!profile.empty() && fold(profile) == wanted) return 1;
  return 0;
}

const RoleLlm* role_llm_for(const std::vector<RoleLlm>& roles, std::string_view name,
                            std::string_view profile) {
  const RoleLlm* best = nullptr;
  int best_rank = 0;
  for (const RoleLlm& entry : roles)
    if (const int rank = role_entry_match(entry.role, name, profile); rank > best_rank) {
      best = &entry;
      best_rank = rank;
    }
  return best;
}

namespace config_detail {
namespace {

// MetaGPT's Config fields (and those of its older versions) that agentco has no use for.
const std::vector<std::string> kIgnoredTopLevel = {
    "embedding",
    "omniparse",
    "proxy",
    "search",
    "enable_search",
    "browser",
    "mermaid",
    "s3",
    "redis",
    "repair_llm_output",
    "prompt_schema",
    "workspace",
    "enable_longterm_memory",
    "code_validate_k_times",
    "code_review_k_times",
    "exp_pool",
    "experience_pool",
    "role_zero",
    "metagpt_tti_url",
    "language",
    "redis_key",
    "iflytek_app_id",
    "iflytek_api_id",
    "iflytek_api_secret",
    "iflytek_api_key",
    "azure_tts_subscription_key",
    "azure_tts_region",
    "project_path",
    "project_name",
    "inc",
    "reqa_file",
    "max_auto_summarize_code",
    "git_reinit",
    "agentops_api_key",
    "llm_for_researcher_summary",
    "llm_for_researcher_report",
    "mermaid_engine",
    "mmdc",
    "puppeteer_config",
    "pyppeteer_executable_path",
    "openai_vision_model",
    "vision_max_tokens",
};

// MetaGPT's LLMConfig fields without a use here: other clouds' credentials, sampling knobs our
// requests do not send, usage and prompt switches.
constexpr std::array kIgnoredLlm = {
    "access_key",
    "secret_key",
    "session_token",
    "endpoint",
    "app_id",
    "api_secret",
    "domain",
    "top_p",
    "top_k",
    "repetition_penalty",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "n",
    "seed",
    "logprobs",
    "top_logprobs",
    "context_length",
    "region_name",
    "region",
    "calc_usage",
    "compress_type",
    "use_system_prompt",
    "reasoning",
    "reasoning_max_token",
    "reasoning_tokens",
};

// The keys of a roles entry's llm and of a models entry that agentco uses.
constexpr std::array kEntryKeys = {"api_type", "base_url", "api_key", "api_version",
                                   "proxy",    "model",    "timeout", "pricing_plan"};
// MetaGPT LLMConfig keys that are ours in `llm:` but not per entry (one request shape per run).
constexpr std::array kRunWideKeys = {"temperature", "max_token", "max_tokens", "stream"};

template <typename List>
bool contains(const List& list, std::string_view key) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

std::optional<double> parse_seconds(const std::string& text) {
  std::string_view view = text;
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.front()))) view.remove_prefix(1);
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.back()))) view.remove_suffix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (view.empty() || ec != std::errc() || end != view.data() + view.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// Reads the llm map of a roles entry or a models entry. `prefix` names it in messages
// ("roles[1].llm", "models.gpt-4o").
Status read_entry(Config& config, const YAML::Node& body, const YAML::Mark& owner, const std::string& prefix,
                  const LayerPlace& place, std::string& model, std::string& pricing_plan,
                  EndpointSettings& endpoint) {
  if (!body || body.IsNull()) return ok_status();
  if (!body.IsMap())
    return place.fail(
        body.Mark().is_null() ? owner : body.Mark(),
        prefix + ": expected a map of api_type, base_url, api_key, model, ...; got " + describe(body));
  for (const auto& field : body) {
    if (!field.first.IsScalar()) return place.fail(field.first.Mark(), prefix + ": keys must be plain names");
    const std::string name = field.first.Scalar();
    const std::string dotted = prefix + "." + name;
    if (is_ignored_llm_key(name) || contains(kRunWideKeys, name)) {
      config.ignored.push_back({dotted, place.at(field.first.Mark())});
      continue;
    }
    if (!contains(kEntryKeys, name))
      return place.fail(field.first.Mark(),
                        unknown_key_in(prefix, name, std::vector<std::string>(kEntryKeys.begin(), kEntryKeys.end())));
    const YAML::Node& value = field.second;
    const YAML::Mark mark = value.Mark().is_null() ? field.first.Mark() : value.Mark();
    if (value.IsNull()) continue;  // `proxy:` with nothing: not given
    if (!value.IsScalar()) return place.fail(mark, dotted + ": expected a string, got " + describe(value));
    const std::string text = value.Scalar();
    if (name == "timeout") {
      const std::optional<double> seconds = parse_seconds(text);
      if (!seconds || *seconds < 0 || *seconds > 86400)
        return place.fail(mark, dotted + ": expected seconds between 0 and 86400 (0: " +
                                    std::to_string(static_cast<int>(kMetaGptDefaultTimeoutS)) + "), got '" +
                                    text + "'");
      endpoint.timeout_total_s = *seconds == 0 ? kMetaGptDefaultTimeoutS : std::max(*seconds, 0.05);
      continue;
    }
    if (text.empty()) continue;  // "": not given (MetaGPT's `pricing_plan: ""`)
    if ((name == "model" || name == "pricing_plan") && text.find_first_of(" \t\r\n") != std::string::npos)
      return place.fail(mark, dotted + ": must name one model, e.g. gpt-4o; got '" + text + "'");
    if (name == "proxy")
      if (auto problem = check_proxy(text)) return place.fail(mark, dotted + ": " + *problem);
    if (name == "model")
      model = text;
    else if (name == "pricing_plan")
      pricing_plan = text;
    else if (name == "api_type")
      endpoint.api_type = text;
    else if (name == "base_url")
      endpoint.base_url = text;
    else if (name == "api_key")
      endpoint.api_key = text;
    else if (name == "api_version")
      endpoint.api_version = text;
    else if (name == "proxy")
      endpoint.proxy = text;
  }
  return ok_status();
}

// A higher layer's given fields over a lower layer's entry.
void merge(std::string& into, const std::string& from) {
  if (!from.empty()) into = from;
}
void merge(EndpointSettings& into, const EndpointSettings& from) {
  merge(into.api_type, from.api_type);
  merge(into.base_url, from.base_url);
  merge(into.api_key, from.api_key);
  merge(into.api_version, from.api_version);
  merge(into.proxy, from.proxy);
  if (from.timeout_total_s > 0) into.timeout_total_s = from.timeout_total_s;
}

// The pricing: entry a plan names: exactly, else the longest name the plan starts with.
const ModelPrice* find_plan(const Config& config, const std::string& plan) {
  if (auto it = config.pricing.find(plan); it != config.pricing.end()) return &it->second;
  const ModelPrice* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [name, price] : config.pricing)
    if (plan.starts_with(name) && name.size() > best_length) {
      best = &price;
      best_length = name.size();
    }
  return best;
}

}  // namespace

std::string LayerPlace::at(const YAML::Mark& mark) const {
  return with_lines ? location(source, mark) : source;
}

std::string LayerPlace::origin(const YAML::Mark& mark) const {
  return fixed_origin ? *fixed_origin : at(mark);
}

Error LayerPlace::fail(const YAML::Mark& mark, const std::string& message) const {
  return config_error(at(mark) + ": " + message);
}

bool is_ignored_top_level_key(std::string_view key) { return contains(kIgnoredTopLevel, key); }

const std::vector<std::string>& ignored_top_level_keys() { return kIgnoredTopLevel; }

bool is_ignored_llm_key(std::string_view key) { return contains(kIgnoredLlm, key); }

std::optional<std::string_view> metagpt_alias(std::string_view llm_key) {
  if (llm_key == "max_token") return "max_tokens";
  if (llm_key == "timeout") return "timeout_total_s";
  return std::nullopt;
}

Status apply_roles(Config& config, const YAML::Node& key, const YAML::Node& body, const LayerPlace& place) {
  if (!body || body.IsNull()) return ok_status();
  if (!body.IsSequence())
    return place.fail(
        body.Mark().is_null() ? key.Mark() : body.Mark(),
        "roles: expected a list of {role: NAME, llm: {model, base_url, ...}}, got " + describe(body));
  std::vector<std::pair<std::string, std::string>> seen;  // folded role -> where, in this layer
  for (std::size_t i = 0; i < body.size(); ++i) {
    const YAML::Node& item = body[i];
    const std::string prefix = "roles[" + std::to_string(i) + "]";
    if (!item.IsMap())
      return place.fail(item.Mark().is_null() ? body.Mark() : item.Mark(),
                        prefix + ": expected {role: NAME, llm: {...}}, got " + describe(item));
    RoleLlm entry;
    YAML::Node llm;
    bool has_llm = false;
    YAML::Mark role_mark = item.Mark();
    for (const auto& field : item) {
      const std::string name = field.first.IsScalar() ? field.first.Scalar() : std::string();
      if (name == "role") {
        if (!field.second.IsScalar() || field.second.Scalar().empty())
          return place.fail(field.first.Mark(), prefix +
                                                    ".role: expected a role's MetaGPT class name, profile or "
                                                    "name, got " +
                                                    describe(field.second));
        entry.role = field.second.Scalar();
        role_mark = field.first.Mark();
      } else if (name == "llm") {
        llm = field.second;
        has_llm = true;
      } else {
        const std::vector<std::string> known{"role", "llm"};
        std::string message = "unknown key '" + prefix + "." + name + "'";
        if (auto best = closest(name, known, known))
          message += " (did you mean '" + prefix + "." + *best + "'?)";
        else
          message += " (known keys: role, llm)";
        return place.fail(field.first.Mark(), message);
      }
    }
    if (entry.role.empty())
      return place.fail(item.Mark(),
                        prefix +
                            ": needs role: a MetaGPT class name (ProductManager), a profile or a "
                            "role's name (Alice)");
    if (!has_llm)
      return place.fail(role_mark, prefix + " (role " + entry.role + "): needs llm: {model, base_url, ...}");
    if (Status status = read_entry(config, llm, role_mark, prefix + ".llm", place, entry.model,
                                   entry.pricing_plan, entry.endpoint);
        !status)
      return status;
    entry.origin = place.origin(role_mark);

    const std::string folded = fold(entry.role);
    for (const auto& [other, where] : seen)
      if (other == folded)
        return place.fail(role_mark, prefix + ": a second entry for role '" + entry.role +
                                         "' (the first is at " + where + ")");
    seen.emplace_back(folded, place.at(role_mark));
    auto lower = std::find_if(config.roles.begin(), config.roles.end(),
                              [&](const RoleLlm& r) { return fold(r.role) == folded; });
    if (lower == config.roles.end()) {
      config.roles.push_back(std::move(entry));
      continue;
    }
    merge(lower->model, entry.model);
    merge(lower->pricing_plan, entry.pricing_plan);
    merge(lower->endpoint, entry.endpoint);
    lower->role = entry.role;
    lower->origin = entry.origin;
  }
  config.origin["roles"] = place.origin(key.Mark());
  return ok_status();
}

Status apply_named_models(Config& config, const YAML::Node& key, const YAML::Node& body,
                          const LayerPlace& place) {
  if (!body || body.IsNull()) return ok_status();
  if (!body.IsMap())
    return place.fail(
        body.Mark().is_null() ? key.Mark() : body.Mark(),
        "models: expected a map of model name -> {api_type, base_url, api_key, model, ...}, got " +
            describe(body));
  for (const auto& item : body) {
    if (!item.first.IsScalar() || item.first.Scalar().empty())
      return place.fail(item.first.Mark(), "models: names must be plain names");
    const std::string name = item.first.Scalar();
    const std::string prefix = "models." + name;
    NamedModel entry;
    if (item.second.IsNull())
      return place.fail(item.first.Mark(), prefix + ": needs {api_type, base_url, api_key, model, ...}");
    if (Status status = read_entry(config, item.second, item.first.Mark(), prefix, place, entry.model,
                                   entry.pricing_plan, entry.endpoint);
        !status)
      return status;
    entry.origin = place.origin(item.first.Mark());
    auto [it, inserted] = config.named_models.try_emplace(name, entry);
    if (!inserted) {
      merge(it->second.model, entry.model);
      merge(it->second.pricing_plan, entry.pricing_plan);
      merge(it->second.endpoint, entry.endpoint);
      it->second.origin = entry.origin;
    }
    config.origin[prefix] = entry.origin;
  }
  config.origin["models"] = place.origin(key.Mark());
  return ok_status();
}

Status resolve_pricing_plans(Config& config) {
  // Each plan and the model names it prices, with where it was set.
  struct Plan {
    std::string plan;
    std::vector<std::string> models;
    std::string where;
    std::string key;
  };
  std::vector<Plan> plans;
  if (!config.llm.pricing_plan.empty()) {
    auto origin = config.origin.find("llm.pricing_plan");
    plans.push_back({config.llm.pricing_plan,
                     {config.llm.model},
                     origin == config.origin.end() ? "config" : origin->second,
                     "llm.pricing_plan"});
  }
  for (const RoleLlm& entry : config.roles) {
    if (entry.pricing_plan.empty()) continue;
    const std::string key = "roles (role " + entry.role + ").llm.pricing_plan";
    if (entry.model.empty())
      return config_error(entry.origin + ": " + key +
                          ": prices the entry's model, but it names none (add llm.model)");
    plans.push_back({entry.pricing_plan, {entry.model}, entry.origin, key});
  }
  for (const auto& [name, entry] : config.named_models) {
    std::vector<std::string> names{name};
    if (!entry.model.empty() && entry.model != name) names.push_back(entry.model);
    if (!entry.pricing_plan.empty()) {
      plans.push_back({entry.pricing_plan, names, entry.origin, "models." + name + ".pricing_plan"});
    } else if (!config.pricing.count(name) && !entry.model.empty() && config.pricing.count(entry.model)) {
      config.pricing[name] = config.pricing.at(entry.model);
      config.origin["pricing." + name] = "models." + name + ".model " + entry.model;
    }
  }
  for (const Plan& plan : plans) {
    const ModelPrice* price = find_plan(config, plan.plan);
    if (!price) {
      std::vector<std::string> known;
      for (const auto& [name, unused] : config.pricing) known.push_back(name);
      std::string hint = "known: " + join(known);
      if (auto best = closest(plan.plan, known, known)) hint = "did you mean '" + *best + "'?";
      return config_error(plan.where + ": " + plan.key + ": no pricing: entry for plan '" + plan.plan +
                          "' (" + hint + "); add one under pricing:");
    }
    const ModelPrice copy = *price;
    for (const std::string& model : plan.models) {
      config.pricing[model] = copy;
      config.origin["pricing." + model] = "pricing_plan " + plan.plan + " (" + plan.where + ")";
    }
  }
  return ok_status();
}

std::optional<std::string> check_proxy(const std::string& url) {
  if (url.empty()) return std::nullopt;
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    std::string lower;
    for (char c : rest.substr(0, scheme))
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower != "http") return "only http:// proxies are supported (e.g. http://proxy.example:3128)";
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.empty() || rest.front() == ':' || rest.find_first_of(" \t\r\n") != std::string_view::npos)
    return "expected a proxy URL such as http://proxy.example:3128 (with user:password@ when it needs them)";
  return std::nullopt;
}

std::string redact_proxy(const std::string& url) {
  const auto scheme = url.find("://");
  const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto slash = url.find('/', start);
  const auto at = url.rfind('@', slash == std::string::npos ? std::string::npos : slash);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

}  // namespace config_detail
}  // namespace agentco
