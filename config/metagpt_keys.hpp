// MetaGPT's config2.yaml read by agentco's config loader (config/ only): the top-level `roles:`
// list and `models:` map, the LLMConfig keys that agentco knows under another name, the keys it
// has no use for (collected in Config::ignored, never errors), pricing plans, and proxy URLs.
//
// `roles:` entries ({role, llm: {...}}) are merged across layers per role (written the same up
// to case and blanks), `models:` entries per name; in both, a higher layer's given field wins.
// Inside one file a second entry for the same role is an error. Values are checked where they
// are read (file:line); whether a role exists is only known with the SOP (sop/role_llms.hpp).
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"

namespace agentco::config_detail {

// Where a YAML layer's values sit: "FILE:LINE" in messages, and in Config::origin unless the
// layer has a fixed origin ("default"); without lines (an environment variable) the source alone.
struct LayerPlace {
  const std::string& source;
  const std::optional<std::string>& fixed_origin;
  bool with_lines = true;

  std::string at(const YAML::Mark& mark) const;
  std::string origin(const YAML::Mark& mark) const;
  Error fail(const YAML::Mark& mark, const std::string& message) const;
};

// Top-level keys of MetaGPT's Config (and of its older versions) that agentco ignores.
bool is_ignored_top_level_key(std::string_view key);
const std::vector<std::string>& ignored_top_level_keys();
// Keys of MetaGPT's LLMConfig that agentco ignores, in `llm:` and in roles/models entries.
bool is_ignored_llm_key(std::string_view key);

// MetaGPT's name for one of our `llm:` keys: "max_token" -> "max_tokens", "timeout" ->
// "timeout_total_s". Nothing for any other key.
std::optional<std::string_view> metagpt_alias(std::string_view llm_key);
// MetaGPT reads `timeout: 0` as its default of 300 seconds.
inline constexpr double kMetaGptDefaultTimeoutS = 300;

// The top-level `roles:` list and `models:` map of one layer, merged into `config`.
Status apply_roles(Config& config, const YAML::Node& key, const YAML::Node& body, const LayerPlace& place);
Status apply_named_models(Config& config, const YAML::Node& key, const YAML::Node& body,
                          const LayerPlace& place);

// After every layer: each pricing plan (llm.pricing_plan, and those of roles and models
// entries) prices its model as the pricing: entry it names (exactly, else the longest name it
// starts with); a models: entry without a plan whose name has no price takes its model's.
// Error naming where the plan was set when no pricing: entry fits.
Status resolve_pricing_plans(Config& config);

// A proxy setting: empty, "host:port" or "http://[user:password@]host:port[/]". The problem in
// words, never repeating the value (it may hold a password).
std::optional<std::string> check_proxy(const std::string& url);
// The proxy with its user:password part replaced by "***".
std::string redact_proxy(const std::string& url);

}  // namespace agentco::config_detail
