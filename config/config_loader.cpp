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
#include "core/resources.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

constexpr std::string_view kDefaultsResource = "config/agentco.yaml";
constexpr std::string_view kSections[] = {"llm", "run", "log", "pricing"};
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

  std::string_view section() const { return name.substr(0, name.find('.')); }
  std::string_view key() const { return name.substr(name.find('.') + 1); }
};

const KeyDescriptor kKeys[] = {
    {.name = "llm.api_type", .field = field_of<&Config::llm, &LlmConfig::api_type>},
    {.name = "llm.model", .field = field_of<&Config::llm, &LlmConfig::model>},
    {.name = "llm.base_url", .field = field_of<&Config::llm, &LlmConfig::base_url>},
    {.name = "llm.api_key", .field = field_of<&Config::llm, &LlmConfig::api_key>, .secret = true},
    {.name = "llm.api_version", .field = field_of<&Config::llm, &LlmConfig::api_version>},
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
        *target = std::move(*parsed);
        return std::nullopt;
      },
      key.field(config));
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
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

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates,
                                   const std::vector<std::string>& compare_as) {
  const std::size_t threshold = word.size() <= 4 ? 1 : word.size() <= 10 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_distance = threshold + 1;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::size_t distance = edit_distance(word, compare_as[i]);
    if (distance < best_distance && distance < std::max<std::size_t>(word.size(), 1)) {
      best = candidates[i];
      best_distance = distance;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string unknown_key_message(std::string_view dotted) {
  const std::string head = "unknown key '" + std::string(dotted) + "'";
  const auto dot = dotted.find('.');
  const std::vector<std::string> sections(std::begin(kSections), std::end(kSections));
  if (dot == std::string_view::npos) {
    if (auto best = closest(dotted, sections, sections))
      return head + " (did you mean '" + *best + "'?)";
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

std::string location(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

Error config_error(std::string message) { return make_error("config", std::move(message)); }

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
                  "expected a map with sections llm, run, log, pricing; got " + describe(root));
    for (const auto& entry : root) {
      const std::optional<std::string> name = key_name(entry.first);
      if (!name) return fail(entry.first.Mark(), "keys must be plain names");
      Status status = ok_status();
      if (*name == "pricing") {
        status = apply_pricing(entry.second);
      } else if (*name == "llm" || *name == "run" || *name == "log") {
        status = apply_section(*name, entry.second);
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
      const KeyDescriptor* key = find_key(dotted);
      if (!key) return fail(entry.first.Mark(), unknown_key_message(dotted));
      if (auto problem = set_from_node(*key, config_, entry.second))
        return fail(entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark(),
                    dotted + ": " + *problem);
      config_.origin[dotted] = origin_at(entry.first.Mark());
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

Status apply_yaml_layer(Config& config, const std::string& yaml_text, const std::string& source,
                        std::optional<std::string> fixed_origin) {
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

// $XDG_CONFIG_HOME/agentco/config.yaml when XDG_CONFIG_HOME is set, else
// ~/.config/agentco/config.yaml.
std::optional<std::filesystem::path> user_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "agentco" / "config.yaml";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".config" / "agentco" / "config.yaml";
  return std::nullopt;
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
    std::vector<std::filesystem::path> files{std::filesystem::path("config") / "agentco.yaml"};
    if (auto user = user_config_path()) files.push_back(*user);
    for (const auto& file : files) {
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
  return config;
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
  out["llm"]["models"] = llm.models;
  nlohmann::json prices = nlohmann::json::object();
  for (const auto& [model, price] : pricing) {
    prices[model] = {{"prompt", price.prompt_per_1k}, {"completion", price.completion_per_1k}};
    if (price.cached_per_1k) prices[model]["cached"] = *price.cached_per_1k;
  }
  out["pricing"] = std::move(prices);
  return out;
}

Result<Config> load_config(const ConfigSources& sources) {
  try {
    return load_layers(sources);
  } catch (const std::exception& e) {
    return config_error(std::string("cannot load the configuration: ") + e.what());
  }
}

Status apply_config_yaml(Config& config, const std::string& yaml_text,
                         const std::string& source_name) {
  return apply_yaml_layer(config, yaml_text, source_name, std::nullopt);
}

}  // namespace agentco
