#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <variant>

#include "config/config.hpp"
#include "config/config_files.hpp"
#include "config/config_support.hpp"
#include "config/mcp_servers.hpp"
#include "config/metagpt_keys.hpp"
#include "core/resources.hpp"
#include "core/secrets.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace agentco {
namespace {

using namespace config_detail;

constexpr std::string_view kDefaultsResource = "config/agentco.yaml";
// roles and models are MetaGPT's (config/metagpt_keys.hpp).
constexpr std::string_view kSections[] = {"llm", "run", "log", "tools", "pricing", "mcp_servers", "roles", "models", "nats"};
constexpr double kUnbounded = std::numeric_limits<double>::infinity();

using FieldRef = std::variant<std::string*, int*, double*, bool*>;

template <auto Section, auto Member>
FieldRef field_of(Config& config) {
  return &(config.*Section.*Member);
}

struct Limits {
  double min = -kUnbounded;
  double max = kUnbounded;
  std::string_view choices = {};  // "a|b|c": the only accepted strings
};

constexpr Limits at_least(double min) { return Limits{min, kUnbounded, {}}; }
constexpr Limits between(double min, double max) { return Limits{min, max, {}}; }
constexpr Limits one_of(std::string_view choices) {
  return Limits{-kUnbounded, kUnbounded, choices};
}

// The one table of known keys: validation, environment names and to_json all come from it.
struct KeyDescriptor {
  std::string_view name;  // dotted: "llm.model"
  FieldRef (*field)(Config&);
  Limits limits{};
  bool secret = false;
  // A further check of a string value: the problem in words, or nothing.
  std::optional<std::string> (*check)(const std::string&) = nullptr;

  std::string_view section() const { return name.substr(0, name.find('.')); }
  std::string_view key() const { return name.substr(name.find('.') + 1); }
};

const KeyDescriptor kKeys[] = {
    {.name = "llm.api_type", .field = field_of<&Config::llm, &LlmConfig::api_type>},
    {.name = "llm.model", .field = field_of<&Config::llm, &LlmConfig::model>},
    {.name = "llm.base_url", .field = field_of<&Config::llm, &LlmConfig::base_url>},
    {.name = "llm.api_key", .field = field_of<&Config::llm, &LlmConfig::api_key>, .secret = true},
    {.name = "llm.api_version", .field = field_of<&Config::llm, &LlmConfig::api_version>},
    {.name = "llm.proxy", .field = field_of<&Config::llm, &LlmConfig::proxy>, .check = check_proxy},
    {.name = "llm.pricing_plan", .field = field_of<&Config::llm, &LlmConfig::pricing_plan>},
    {.name = "llm.temperature",
     .field = field_of<&Config::llm, &LlmConfig::temperature>,
     .limits = between(0, 2)},
    {.name = "llm.max_tokens",
     .field = field_of<&Config::llm, &LlmConfig::max_tokens>,
     .limits = at_least(1)},
    {.name = "llm.stream", .field = field_of<&Config::llm, &LlmConfig::stream>},
    {.name = "llm.repair_attempts",
     .field = field_of<&Config::llm, &LlmConfig::repair_attempts>,
     .limits = between(0, 10)},
    {.name = "llm.context_window",
     .field = field_of<&Config::llm, &LlmConfig::context_window>,
     .limits = between(0, 100000000)},
    {.name = "llm.embedding_model", .field = field_of<&Config::llm, &LlmConfig::embedding_model>},
    {.name = "llm.insecure", .field = field_of<&Config::llm, &LlmConfig::insecure>},
    {.name = "llm.timeout_connect_s",
     .field = field_of<&Config::llm, &LlmConfig::timeout_connect_s>,
     .limits = between(0.05, 3600)},
    {.name = "llm.timeout_first_byte_s",
     .field = field_of<&Config::llm, &LlmConfig::timeout_first_byte_s>,
     .limits = between(0.05, 86400)},
    {.name = "llm.timeout_idle_s",
     .field = field_of<&Config::llm, &LlmConfig::timeout_idle_s>,
     .limits = between(0.05, 86400)},
    {.name = "llm.timeout_total_s",
     .field = field_of<&Config::llm, &LlmConfig::timeout_total_s>,
     .limits = between(0.05, 86400)},
    {.name = "llm.max_retries",
     .field = field_of<&Config::llm, &LlmConfig::max_retries>,
     .limits = between(0, 20)},
    {.name = "llm.retry_base_s",
     .field = field_of<&Config::llm, &LlmConfig::retry_base_s>,
     .limits = between(0, 600)},
    {.name = "llm.retry_max_s",
     .field = field_of<&Config::llm, &LlmConfig::retry_max_s>,
     .limits = between(0, 3600)},
    {.name = "llm.concurrency",
     .field = field_of<&Config::llm, &LlmConfig::concurrency>,
     .limits = between(1, 1000)},
    {.name = "llm.requests_per_minute",
     .field = field_of<&Config::llm, &LlmConfig::requests_per_minute>,
     .limits = at_least(0)},
    {.name = "llm.tool_format",
     .field = field_of<&Config::llm, &LlmConfig::tool_format>,
     .limits = one_of("auto|native|text")},
    {.name = "run.warehouse", .field = field_of<&Config::run, &RunConfig::warehouse>},
    {.name = "run.sop", .field = field_of<&Config::run, &RunConfig::sop>},
    {.name = "run.prompts_dir", .field = field_of<&Config::run, &RunConfig::prompts_dir>},
    {.name = "run.max_rounds",
     .field = field_of<&Config::run, &RunConfig::max_rounds>,
     .limits = at_least(1)},
    {.name = "run.investment",
     .field = field_of<&Config::run, &RunConfig::investment>,
     .limits = at_least(0)},
    {.name = "run.code_review_rounds",
     .field = field_of<&Config::run, &RunConfig::code_review_rounds>,
     .limits = at_least(0)},
    {.name = "run.test_rounds",
     .field = field_of<&Config::run, &RunConfig::test_rounds>,
     .limits = at_least(0)},
    {.name = "run.file_design",
     .field = field_of<&Config::run, &RunConfig::file_design>,
     .limits = one_of("auto|excerpt|whole")},
    {.name = "run.render_diagrams", .field = field_of<&Config::run, &RunConfig::render_diagrams>},
    {.name = "tools.result_cap",
     .field = field_of<&Config::tools, &ToolsConfig::result_cap>,
     .limits = between(256, 16 * 1024 * 1024)},
    {.name = "tools.run_timeout_s",
     .field = field_of<&Config::tools, &ToolsConfig::run_timeout_s>,
     .limits = between(0.1, 86400)},
    {.name = "tools.run_output_cap",
     .field = field_of<&Config::tools, &ToolsConfig::run_output_cap>,
     .limits = between(1024, 64 * 1024 * 1024)},
    {.name = "log.level",
     .field = field_of<&Config::log, &LogConfig::level>,
     .limits = one_of("trace|debug|info|warn|error|off")},
};

// Keys whose value is a map, outside the table: llm.models (role or role/action -> model).
constexpr std::string_view kModelsKey = "llm.models";
constexpr const char* kModelsVariable = "AGENTCO_LLM_MODELS";
constexpr std::string_view kModelsExample = "{Architect: gpt-4o, Engineer/WriteCode: deepseek-coder}";

// OPENAI_* are read before AGENTCO_*, so the AGENTCO_* names win.
constexpr std::pair<std::string_view, std::string_view> kOpenAiVariables[] = {
    {"OPENAI_API_KEY", "llm.api_key"},
    {"OPENAI_BASE_URL", "llm.base_url"},
};

const KeyDescriptor* find_key(std::string_view name) {
  for (const auto& key : kKeys)
    if (key.name == name) return &key;
  return nullptr;
}

std::string environment_name(const KeyDescriptor& key) {
  std::string out = "AGENTCO_";
  for (char c : key.name)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

// ---- Values ------------------------------------------------------------------------------

template <typename T>
std::string type_name() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, int>) return "an integer";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, bool>) return "a boolean (true/false/yes/no)";
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

template <typename T>
std::optional<T> parse_as(std::string_view text) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string(text);
  } else if constexpr (std::is_same_v<T, bool>) {
    std::string lower;
    for (char c : trim(text))
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "true" || lower == "yes") return true;
    if (lower == "false" || lower == "no") return false;
    return std::nullopt;
  } else {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if constexpr (std::is_same_v<T, double>) {
      if (!std::isfinite(value)) return std::nullopt;
    }
    return value;
  }
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

template <typename T>
std::optional<std::string> check_limits(const Limits& limits, const T& value,
                                        std::string_view text) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (limits.choices.empty()) return std::nullopt;
    std::string_view rest = limits.choices;
    while (true) {
      auto bar = rest.find('|');
      if (rest.substr(0, bar) == value) return std::nullopt;
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
    return "must be one of " + std::string(limits.choices) + ", got '" + std::string(text) + "'";
  } else if constexpr (std::is_same_v<T, bool>) {
    return std::nullopt;
  } else {
    const double v = static_cast<double>(value);
    if (v >= limits.min && v <= limits.max) return std::nullopt;
    const std::string got = ", got " + std::string(trim(text));
    if (limits.min > -kUnbounded && limits.max < kUnbounded)
      return "must be between " + format_number(limits.min) + " and " + format_number(limits.max) +
             got;
    if (limits.min > -kUnbounded) return "must be at least " + format_number(limits.min) + got;
    return "must be at most " + format_number(limits.max) + got;
  }
}

// Converts `text` to the key's type, checks its limits and stores it. Returns the problem in
// words ("expected a number, got 'warm'") or nothing.
std::optional<std::string> set_from_text(const KeyDescriptor& key, Config& config,
                                         std::string_view text) {
  return std::visit(
      [&](auto* target) -> std::optional<std::string> {
        using T = std::remove_pointer_t<decltype(target)>;
        std::optional<T> parsed = parse_as<T>(text);
        if (!parsed) return "expected " + type_name<T>() + ", got '" + std::string(text) + "'";
        if (auto problem = check_limits(key.limits, *parsed, text)) return problem;
        if constexpr (std::is_same_v<T, std::string>) {
          if (key.check)
            if (auto problem = key.check(*parsed)) return problem;
        }
        *target = std::move(*parsed);
        return std::nullopt;
      },
      key.field(config));
}

std::optional<std::string> set_from_node(const KeyDescriptor& key, Config& config,
                                         const YAML::Node& node) {
  if (node.IsScalar()) return set_from_text(key, config, node.Scalar());
  const bool is_string = std::holds_alternative<std::string*>(key.field(config));
  if (node.IsNull() && is_string) return set_from_text(key, config, "");  // `base_url:` means ""
  const std::string expected =
      std::visit([](auto* target) { return type_name<std::remove_pointer_t<decltype(target)>>(); },
                 key.field(config));
  return "expected " + expected + ", got " + describe(node);
}

// ---- Unknown keys ------------------------------------------------------------------------

std::string unknown_key_message(std::string_view dotted) {
  const std::string head = "unknown key '" + std::string(dotted) + "'";
  const auto dot = dotted.find('.');
  const std::vector<std::string> sections(std::begin(kSections), std::end(kSections));
  if (dot == std::string_view::npos) {
    std::vector<std::string> names = sections;  // a typo of a MetaGPT key is a typo too
    names.insert(names.end(), ignored_top_level_keys().begin(), ignored_top_level_keys().end());
    if (auto best = closest(dotted, names, names)) return head + " (did you mean '" + *best + "'?)";
    return head + " (known sections: " + join(sections) + ")";
  }
  const std::string_view section = dotted.substr(0, dot);
  const std::string_view leaf = dotted.substr(dot + 1);
  std::vector<std::string> names, leaves;
  for (const auto& key : kKeys) {
    if (key.section() != section) continue;
    names.emplace_back(key.name);
    leaves.emplace_back(key.key());
  }
  if (section == kModelsKey.substr(0, kModelsKey.find('.'))) {
    names.emplace_back(kModelsKey);
    leaves.emplace_back(kModelsKey.substr(kModelsKey.find('.') + 1));
    for (const char* alias : {"max_token", "timeout"}) {
      names.emplace_back("llm." + std::string(alias));
      leaves.emplace_back(alias);
    }
  }
  if (names.empty()) {  // the section itself is unknown (only reachable from flags)
    std::vector<std::string> all;
    for (const auto& key : kKeys) all.emplace_back(key.name);
    if (auto best = closest(dotted, all, all)) return head + " (did you mean '" + *best + "'?)";
    return head + " (known sections: " + join(sections) + ")";
  }
  if (auto best = closest(leaf, names, leaves)) return head + " (did you mean '" + *best + "'?)";
  for (const auto& key : kKeys)  // right key, wrong section: "run.model"
    if (key.key() == leaf) return head + " (did you mean '" + std::string(key.name) + "'?)";
  return head + " (known keys in " + std::string(section) + ": " + join(leaves) + ")";
}

// ---- llm.models entries ------------------------------------------------------------------

// "Role" or "Role/Action": at most one slash, no empty part, no blanks at either end of a part.
std::optional<std::string> check_override_key(const std::string& key) {
  const auto slash = key.find('/');
  const std::string role = key.substr(0, slash);
  const std::string action = slash == std::string::npos ? "x" : key.substr(slash + 1);
  const bool bad = role.empty() || trim(role) != role || action.empty() || trim(action) != action ||
                   action.find('/') != std::string::npos;
  if (!bad) return std::nullopt;
  return "'" + key + "' must be ROLE or ROLE/ACTION (a role's name or profile, an action it runs), e.g. " +
         "Architect or Engineer/WriteCode";
}

// The same rule as a SOP's `model:`: one name, no blanks.
std::optional<std::string> check_override_model(const std::string& model) {
  if (!model.empty() && model.find_first_of(" \t\r\n") == std::string::npos) return std::nullopt;
  return "must name one model, e.g. gpt-4o; got '" + model + "'";
}

// ---- YAML layers -------------------------------------------------------------------------

// The field of a price a pricing key names (prompt, completion, cached); null for others.
// Naming `cached` gives the price one (the prompt price until it is set).
double* price_field(ModelPrice& price, std::string_view name) {
  if (name == "prompt") return &price.prompt_per_1k;
  if (name == "completion") return &price.completion_per_1k;
  if (name == "cached") return &price.cached_per_1k.emplace(price.cached_per_1k.value_or(price.prompt_per_1k));
  return nullptr;
}

// A price (USD per 1K tokens) is a number >= 0; `shown` is how the value appears in errors.
std::optional<std::string> parse_price(const std::string& text, const std::string& shown,
                                       double& out) {
  std::optional<double> value = parse_as<double>(text);
  if (!value) return "expected a number, got " + shown;
  if (auto problem = check_limits(at_least(0), *value, text)) return problem;
  out = *value;
  return std::nullopt;
}

class YamlLayer {
 public:
  // `fixed_origin` replaces "FILE:LINE" in Config::origin (the built-in file says "default");
  // without `with_lines`, messages name the source alone (an environment variable).
  YamlLayer(Config& config, const std::string& source, std::optional<std::string> fixed_origin,
            bool with_lines = true)
      : config_(config), source_(source), fixed_origin_(std::move(fixed_origin)), with_lines_(with_lines) {}

  Status apply(const YAML::Node& root) {
    if (!root || root.IsNull()) return ok_status();  // empty file: nothing to change
    if (!root.IsMap())
      return fail(root.Mark(),
                  "expected a map with sections llm, run, log, tools, pricing, mcp_servers (and MetaGPT's roles, models); got " +
                      describe(root));
    for (const auto& entry : root) {
      const std::optional<std::string> name = key_name(entry.first);
      if (!name) return fail(entry.first.Mark(), "keys must be plain names");
      Status status = ok_status();
      if (*name == "pricing") {
        status = apply_pricing(entry.second);
      } else if (*name == "llm" || *name == "run" || *name == "log" || *name == "tools") {
        status = apply_section(*name, entry.second);
      } else if (*name == "roles") {
        status = apply_roles(config_, entry.first, entry.second, place());
      } else if (*name == "models") {
        status = apply_named_models(config_, entry.first, entry.second, place());
      } else if (*name == "mcp_servers") {
        status = apply_mcp_servers(config_, entry.first, entry.second, place());
      } else if (*name == "nats") {
        // A worker's and a coordinator's connection (cluster/nats_settings.hpp reads it);
        // never part of a run's config, so its credentials never reach a trace.
      } else if (is_ignored_top_level_key(*name)) {
        config_.ignored.push_back({*name, place().at(entry.first.Mark())});
      } else {
        status = fail(entry.first.Mark(), unknown_key_message(*name));
      }
      if (!status) return status;
    }
    return ok_status();
  }

  // llm.models: {ROLE or ROLE/ACTION: MODEL}, merged key by key over the lower layers.
  Status apply_models(const YAML::Node& key, const YAML::Node& body) {
    const std::string name(kModelsKey);
    if (body.IsNull()) return ok_status();
    if (!body.IsMap())
      return fail(body.Mark().is_null() ? key.Mark() : body.Mark(),
                  name + ": expected a map of role or role/action -> model, e.g. " + std::string(kModelsExample) +
                      "; got " + describe(body));
    for (const auto& entry : body) {
      const std::optional<std::string> entry_key = key_name(entry.first);
      if (!entry_key) return fail(entry.first.Mark(), name + ": keys must be plain names");
      if (auto problem = check_override_key(*entry_key)) return fail(entry.first.Mark(), name + ": " + *problem);
      const std::string dotted = name + "." + *entry_key;
      if (!entry.second.IsScalar())
        return fail(entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark(),
                    dotted + ": expected a model name, got " + describe(entry.second));
      if (auto problem = check_override_model(entry.second.Scalar()))
        return fail(entry.second.Mark(), dotted + ": " + *problem);
      config_.llm.models[*entry_key] = entry.second.Scalar();
      config_.origin[dotted] = origin_at(entry.first.Mark());
    }
    config_.origin[name] = origin_at(key.Mark());
    return ok_status();
  }

 private:
  static std::optional<std::string> key_name(const YAML::Node& key) {
    if (!key.IsScalar()) return std::nullopt;
    return key.Scalar();
  }

  LayerPlace place() const { return LayerPlace{source_, fixed_origin_, with_lines_}; }

  Status fail(const YAML::Mark& mark, const std::string& message) const {
    return config_error((with_lines_ ? location(source_, mark) : source_) + ": " + message);
  }

  std::string origin_at(const YAML::Mark& mark) const {
    if (fixed_origin_) return *fixed_origin_;
    return with_lines_ ? location(source_, mark) : source_;
  }

  Status apply_section(const std::string& section, const YAML::Node& body) {
    if (body.IsNull()) return ok_status();
    if (!body.IsMap())
      return fail(body.Mark(), section + ": expected a map, got " + describe(body));
    for (const auto& entry : body) {
      const std::optional<std::string> leaf = key_name(entry.first);
      if (!leaf) return fail(entry.first.Mark(), section + ": keys must be plain names");
      const std::string dotted = section + "." + *leaf;
      if (dotted == kModelsKey) {
        if (Status status = apply_models(entry.first, entry.second); !status) return status;
        continue;
      }
      if (section == "llm" && is_ignored_llm_key(*leaf)) {
        config_.ignored.push_back({dotted, place().at(entry.first.Mark())});
        continue;
      }
      const KeyDescriptor* key = find_key(dotted);
      YAML::Node value = entry.second;
      if (auto alias = section == "llm" ? metagpt_alias(*leaf) : std::nullopt) {  // MetaGPT's name
        key = find_key(section + "." + std::string(*alias));
        if (*leaf == "timeout" && value.IsScalar() && parse_as<double>(value.Scalar()) == 0.0)
          value = YAML::Node(format_number(kMetaGptDefaultTimeoutS));  // MetaGPT: 0 is its default
      }
      if (!key) return fail(entry.first.Mark(), unknown_key_message(dotted));
      if (auto problem = set_from_node(*key, config_, value))
        return fail(entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark(),
                    dotted + ": " + *problem);
      config_.origin[std::string(key->name)] = origin_at(entry.first.Mark());
    }
    return ok_status();
  }

  // Each model is merged field by field over the lower layers; other models are kept.
  Status apply_pricing(const YAML::Node& body) {
    if (body.IsNull()) return ok_status();
    if (!body.IsMap())
      return fail(body.Mark(), "pricing: expected a map of model -> {prompt, completion}, got " +
                                   describe(body));
    for (const auto& entry : body) {
      const std::optional<std::string> model = key_name(entry.first);
      if (!model) return fail(entry.first.Mark(), "pricing: model names must be plain names");
      const std::string prefix = "pricing." + *model;
      const YAML::Node& fields = entry.second;
      if (!fields.IsMap())
        return fail(entry.first.Mark(),
                    prefix + ": expected a map {prompt: number, completion: number}, got " +
                        describe(fields));
      ModelPrice price = config_.pricing.count(*model) ? config_.pricing[*model] : ModelPrice{};
      for (const auto& field : fields) {
        const std::optional<std::string> name = key_name(field.first);
        double* target = price_field(price, name.value_or(""));
        if (!target)
          return fail(field.first.Mark(), "unknown key '" + prefix + "." + name.value_or("?") +
                                              "' (known keys: prompt, completion, cached)");
        const std::string text = field.second.IsScalar() ? field.second.Scalar() : std::string();
        if (auto problem = parse_price(
                text, field.second.IsScalar() ? "'" + text + "'" : describe(field.second), *target))
          return fail(field.first.Mark(), prefix + "." + *name + ": " + *problem);
      }
      config_.pricing[*model] = price;
      config_.origin[prefix] = origin_at(entry.first.Mark());
    }
    return ok_status();
  }

  Config& config_;
  const std::string& source_;
  std::optional<std::string> fixed_origin_;
  bool with_lines_ = true;
};

Status apply_yaml_layer(Config& config, const std::string& raw_yaml_text, const std::string& source,
                        std::optional<std::string> fixed_origin) {
  // Settings reach JSON (the trace, requests, meta.json), which needs UTF-8: a file that is
  // not (Latin-1, a cut character) is read with U+FFFD in place of the bad bytes, and said so.
  std::string yaml_text = raw_yaml_text;
  if (first_invalid_utf8(yaml_text)) {
    Utf8Repair repair = repair_utf8(yaml_text);
    spdlog::warn("{}:{}: {}", source, repair.first_line, describe_utf8_repair(repair));
    yaml_text = std::move(repair.text);
  }
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    Config candidate = config;  // all or nothing: a failing layer leaves `config` untouched
    YamlLayer layer(candidate, source, std::move(fixed_origin));
    if (Status status = layer.apply(root); !status) return status;
    config = std::move(candidate);
    return ok_status();
  } catch (const YAML::ParserException& e) {
    return config_error(location(source, e.mark) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return config_error(location(source, e.mark) + ": " + e.msg);
  } catch (const std::exception& e) {
    return config_error(source + ": " + e.what());
  }
}

Status apply_file(Config& config, const std::filesystem::path& path, const std::string& shown) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return config_error(shown + ": not a regular file");
  std::string text;
  if (!read_file(path.string(), text)) return config_error(shown + ": cannot be read");
  return apply_yaml_layer(config, text, shown, std::nullopt);
}

// ---- Environment and flags ---------------------------------------------------------------

// Empty variables count as unset, so `OPENAI_API_KEY= agentco ...` does not blank a file's key.
Status apply_variable(Config& config, std::string_view variable, const KeyDescriptor& key) {
  const char* value = std::getenv(std::string(variable).c_str());
  if (!value || !*value) return ok_status();
  if (auto problem = set_from_text(key, config, value))
    return config_error("env " + std::string(variable) + " (" + std::string(key.name) +
                        "): " + *problem);
  config.origin[std::string(key.name)] = "env " + std::string(variable);
  return ok_status();
}

// AGENTCO_LLM_MODELS holds llm.models as a YAML flow map, read by the same code as a file's.
Status apply_models_variable(Config& config) {
  const char* value = std::getenv(kModelsVariable);
  if (!value || !*value) return ok_status();
  const std::string source = "env " + std::string(kModelsVariable);
  try {
    const YAML::Node node = YAML::Load(value);
    Config candidate = config;
    YamlLayer layer(candidate, source, source, /*with_lines=*/false);
    if (Status status = layer.apply_models(node, node); !status) return status;
    config = std::move(candidate);
    return ok_status();
  } catch (const YAML::Exception& e) {
    return config_error(source + ": " + std::string(kModelsKey) + ": not a YAML map (" + e.msg + "); expected e.g. '" +
                        std::string(kModelsExample) + "'");
  }
}

Status apply_environment(Config& config) {
  for (const auto& [variable, name] : kOpenAiVariables)
    if (Status status = apply_variable(config, variable, *find_key(name)); !status) return status;
  for (const auto& key : kKeys)
    if (Status status = apply_variable(config, environment_name(key), key); !status) return status;
  return apply_models_variable(config);
}

// "llm.models.ROLE" or "llm.models.ROLE/ACTION" (role names may hold dots: the rest is the key).
Status apply_models_flag(Config& config, const std::string& name, const std::string& text) {
  const std::string prefix = std::string(kModelsKey) + ".";
  const std::string key = name.size() > prefix.size() ? name.substr(prefix.size()) : "";
  if (auto problem = check_override_key(key)) return config_error("flag " + name + ": " + *problem);
  if (auto problem = check_override_model(text)) return config_error("flag " + name + ": " + *problem);
  config.llm.models[key] = text;
  config.origin[name] = "flag";
  config.origin[std::string(kModelsKey)] = "flag";
  return ok_status();
}

// "pricing.MODEL.prompt": model names may contain dots (gpt-3.5-turbo), so split from the right.
Status apply_price_flag(Config& config, const std::string& name, const std::string& text) {
  const std::string_view rest = std::string_view(name).substr(std::string_view("pricing.").size());
  const auto dot = rest.rfind('.');
  const std::string model(rest.substr(0, dot == std::string_view::npos ? 0 : dot));
  const std::string_view field = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
  ModelPrice price = config.pricing.count(model) ? config.pricing[model] : ModelPrice{};
  double* target = model.empty() ? nullptr : price_field(price, field);
  if (!target)
    return config_error("flag: unknown key '" + name +
                        "' (expected pricing.MODEL.prompt, pricing.MODEL.completion or pricing.MODEL.cached)");
  if (auto problem = parse_price(text, "'" + text + "'", *target))
    return config_error("flag " + name + ": " + *problem);
  config.pricing[model] = price;
  config.origin["pricing." + model] = "flag";
  return ok_status();
}

Status apply_flags(Config& config, const FlagOverrides& flags) {
  for (const auto& [name, text] : flags) {
    if (name.starts_with("pricing.")) {
      if (Status status = apply_price_flag(config, name, text); !status) return status;
      continue;
    }
    if (name.starts_with(std::string(kModelsKey) + ".") || name == kModelsKey) {
      if (Status status = apply_models_flag(config, name, text); !status) return status;
      continue;
    }
    const KeyDescriptor* key = find_key(name);
    if (!key) return config_error("flag: " + unknown_key_message(name));
    if (auto problem = set_from_text(*key, config, text))
      return config_error("flag " + name + ": " + *problem);
    config.origin[name] = "flag";
  }
  return ok_status();
}

Result<Config> load_layers(const ConfigSources& sources) {
  Config config;
  for (const auto& key : kKeys) config.origin[std::string(key.name)] = "default";
  config.origin[std::string(kModelsKey)] = "default";

  const std::optional<std::string> defaults = embedded_resource(kDefaultsResource);
  if (!defaults)
    return config_error("built-in " + std::string(kDefaultsResource) +
                        " is missing from the binary");
  if (Status status = apply_yaml_layer(config, *defaults,
                                       "built-in " + std::string(kDefaultsResource), "default");
      !status)
    return status.error();

  if (sources.read_default_files) {
    for (const auto& file : default_config_files()) {
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) continue;
      if (Status status = apply_file(config, file, file.string()); !status) return status.error();
    }
  }

  if (sources.config_file) {
    const std::string& file = *sources.config_file;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
      return config_error("--config " + file + ": file not found");
    if (Status status = apply_file(config, file, file); !status) return status.error();
  }

  if (sources.read_environment)
    if (Status status = apply_environment(config); !status) return status.error();
  if (Status status = apply_flags(config, sources.flags); !status) return status.error();
  if (Status status = resolve_pricing_plans(config); !status) return status.error();
  return config;
}

// One entry of `roles:` or `models:` as MetaGPT writes it; only the fields that are given.
nlohmann::json entry_json(const std::string& model, const std::string& pricing_plan,
                          const EndpointSettings& endpoint, bool redact) {
  nlohmann::json out = nlohmann::json::object();
  auto put = [&out](const char* name, const std::string& value) {
    if (!value.empty()) out[name] = value;
  };
  put("model", model);
  put("pricing_plan", pricing_plan);
  put("api_type", endpoint.api_type);
  put("base_url", endpoint.base_url);
  put("api_key", redact && !endpoint.api_key.empty() ? "***" : endpoint.api_key);
  put("api_version", endpoint.api_version);
  put("proxy", redact ? redact_proxy(endpoint.proxy) : endpoint.proxy);
  if (endpoint.timeout_total_s > 0) out["timeout"] = endpoint.timeout_total_s;
  return out;
}

}  // namespace

nlohmann::json Config::to_json(bool redact_secrets) const {
  nlohmann::json out = nlohmann::json::object();
  // The table's accessors take a mutable Config; here they are only read through.
  Config& self = const_cast<Config&>(*this);
  for (const auto& key : kKeys) {
    nlohmann::json value =
        std::visit([](auto* field) { return nlohmann::json(*field); }, key.field(self));
    if (key.secret && redact_secrets && !value.get<std::string>().empty()) value = "***";
    out[std::string(key.section())][std::string(key.key())] = std::move(value);
  }
  if (redact_secrets) out["llm"]["proxy"] = redact_proxy(llm.proxy);
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [key, model] : llm.models)
    if (!llm.models_from_roles.count(key)) models[key] = model;
  out["llm"]["models"] = std::move(models);
  nlohmann::json roles_json = nlohmann::json::array();
  for (const RoleLlm& entry : roles)
    roles_json.push_back(
        {{"role", entry.role},
         {"llm", entry_json(entry.model, entry.pricing_plan, entry.endpoint, redact_secrets)}});
  out["roles"] = std::move(roles_json);
  nlohmann::json named = nlohmann::json::object();
  for (const auto& [name, entry] : named_models)
    named[name] = entry_json(entry.model, entry.pricing_plan, entry.endpoint, redact_secrets);
  out["models"] = std::move(named);
  out["mcp_servers"] = mcp_servers_json(mcp_servers, redact_secrets);
  nlohmann::json prices = nlohmann::json::object();
  for (const auto& [model, price] : pricing) {
    prices[model] = {{"prompt", price.prompt_per_1k}, {"completion", price.completion_per_1k}};
    if (price.cached_per_1k) prices[model]["cached"] = *price.cached_per_1k;
  }
  out["pricing"] = std::move(prices);
  return out;
}

void drop_redacted_secrets(nlohmann::json& recorded_config) {
  auto scrub = [](nlohmann::json& fields) {
    if (!fields.is_object()) return;
    fields.erase("api_key");
    if (auto proxy = fields.find("proxy"); proxy != fields.end() && proxy->is_string() &&
                                           proxy->get<std::string>().find("***") != std::string::npos)
      fields.erase(proxy);
  };
  if (!recorded_config.is_object()) return;
  if (auto llm = recorded_config.find("llm"); llm != recorded_config.end()) scrub(*llm);
  if (auto roles = recorded_config.find("roles"); roles != recorded_config.end() && roles->is_array())
    for (auto& entry : *roles)
      if (entry.is_object() && entry.contains("llm")) scrub(entry["llm"]);
  if (auto models = recorded_config.find("models"); models != recorded_config.end() && models->is_object())
    for (auto& [name, entry] : models->items()) scrub(entry);
  drop_redacted_mcp_secrets(recorded_config);
}

std::optional<std::string> ignored_keys_warning(const Config& config) {
  if (config.ignored.empty()) return std::nullopt;
  std::vector<std::string> keys;
  for (const IgnoredKey& ignored : config.ignored)
    if (std::find(keys.begin(), keys.end(), ignored.key) == keys.end()) keys.push_back(ignored.key);
  return config.ignored.front().where + ": ignoring MetaGPT keys agentco has no use for: " + join(keys);
}

// The secrets of a configuration: API keys and the passwords of proxy URLs.
void register_secrets_of(const Config& config) {
  auto endpoint = [](const std::string& api_key, const std::string& proxy) {
    register_secret(api_key);
    const std::string redacted = redact_proxy(proxy);  // "http://***@host": the credentials are what it hid
    if (redacted != proxy) {
      const auto start = proxy.find("://") == std::string::npos ? 0 : proxy.find("://") + 3;
      const std::string credentials = proxy.substr(start, proxy.rfind('@') - start);
      register_secret(credentials);
      if (const auto colon = credentials.find(':'); colon != std::string::npos) register_secret(credentials.substr(colon + 1));
    }
  };
  endpoint(config.llm.api_key, config.llm.proxy);
  for (const auto& role : config.roles) endpoint(role.endpoint.api_key, role.endpoint.proxy);
  for (const auto& [name, model] : config.named_models) endpoint(model.endpoint.api_key, model.endpoint.proxy);
  for (const auto& [name, server] : config.mcp_servers) {
    for (const auto& [variable, value] : server.env) register_secret(value);
    for (const auto& [header, value] : server.headers) register_secret(value);
  }
}

Result<Config> load_config(const ConfigSources& sources) {
  try {
    Result<Config> config = load_layers(sources);
    if (config) {
      register_secrets_of(*config);
      if (auto warning = ignored_keys_warning(*config)) spdlog::warn("{}", *warning);
    }
    return config;
  } catch (const std::exception& e) {
    return config_error(std::string("cannot load the configuration: ") + e.what());
  }
}

Status apply_config_yaml(Config& config, const std::string& yaml_text,
                         const std::string& source_name) {
  return apply_yaml_layer(config, yaml_text, source_name, std::nullopt);
}

}  // namespace agentco
