// The config's `mcp_servers:` map (config/ only): name -> {command, args, env, cwd} for a
// server spoken to over stdio, or {url, headers} for a Streamable HTTP one, plus
// startup_timeout_s and call_timeout_s. Entries merge over the lower layers per name, field by
// field (a map field key by key). Values of env and headers are secrets: registered, and
// written as "***" when the config is shown or recorded.
#pragma once
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/metagpt_keys.hpp"
#include "core/result.hpp"

namespace agentco::config_detail {

Status apply_mcp_servers(Config& config, const YAML::Node& key, const YAML::Node& body, const LayerPlace& place);

nlohmann::json mcp_servers_json(const std::map<std::string, McpServerConfig>& servers, bool redact_secrets);

// Removes the "***" values that mcp_servers_json(redacted) wrote, so that a recorded config
// loads back without posing them as real values.
void drop_redacted_mcp_secrets(nlohmann::json& recorded_config);

}  // namespace agentco::config_detail
