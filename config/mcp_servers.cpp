#include "config/mcp_servers.hpp"

#include <charconv>
#include <cmath>

#include "config/config_support.hpp"

namespace agentco::config_detail {
namespace {

const std::vector<std::string> kKeys = {"command", "args", "env", "cwd", "url", "headers", "startup_timeout_s",
                                        "call_timeout_s"};

std::optional<double> seconds_of(const std::string& text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Reads `name`'s fields into `entry` (only those given), checking each.
Status read_server(const std::string& prefix, const YAML::Node& body, const YAML::Mark& owner,
                   const LayerPlace& place, McpServerConfig& entry) {
  if (!body.IsMap())
    return place.fail(body.Mark().is_null() ? owner : body.Mark(),
                      prefix + ": expected a map with command (and args, env) or url (and headers); got " +
                          describe(body));
  for (const auto& field : body) {
    if (!field.first.IsScalar()) return place.fail(field.first.Mark(), prefix + ": keys must be plain names");
    const std::string name = field.first.Scalar();
    const std::string dotted = prefix + "." + name;
    if (std::find(kKeys.begin(), kKeys.end(), name) == kKeys.end())
      return place.fail(field.first.Mark(), unknown_key_in(prefix, name, kKeys));
    const YAML::Node& value = field.second;
    const YAML::Mark mark = value.Mark().is_null() ? field.first.Mark() : value.Mark();
    if (value.IsNull()) continue;
    if (name == "args") {
      if (!value.IsSequence()) return place.fail(mark, dotted + ": expected a list of strings, got " + describe(value));
      entry.args.clear();
      for (const auto& item : value) {
        if (!item.IsScalar()) return place.fail(item.Mark(), dotted + ": expected a string, got " + describe(item));
        entry.args.push_back(item.Scalar());
      }
      continue;
    }
    if (name == "env" || name == "headers") {
      if (!value.IsMap()) return place.fail(mark, dotted + ": expected a map of name -> value, got " + describe(value));
      auto& target = name == "env" ? entry.env : entry.headers;
      for (const auto& item : value) {
        if (!item.first.IsScalar() || item.first.Scalar().empty())
          return place.fail(item.first.Mark(), dotted + ": names must be plain names");
        if (!item.second.IsScalar())
          return place.fail(item.second.Mark().is_null() ? item.first.Mark() : item.second.Mark(),
                            dotted + "." + item.first.Scalar() + ": expected a string, got " + describe(item.second));
        target[item.first.Scalar()] = item.second.Scalar();
      }
      continue;
    }
    if (!value.IsScalar()) return place.fail(mark, dotted + ": expected a string, got " + describe(value));
    const std::string text = value.Scalar();
    if (name == "startup_timeout_s" || name == "call_timeout_s") {
      const std::optional<double> seconds = seconds_of(text);
      if (!seconds || *seconds < 0.05 || *seconds > 86400)
        return place.fail(mark, dotted + ": expected seconds between 0.05 and 86400, got '" + text + "'");
      (name == "startup_timeout_s" ? entry.startup_timeout_s : entry.call_timeout_s) = *seconds;
    } else if (name == "command") {
      entry.command = text;
    } else if (name == "cwd") {
      entry.cwd = text;
    } else if (name == "url") {
      if (!text.starts_with("http://") && !text.starts_with("https://"))
        return place.fail(mark, dotted + ": expected an http:// or https:// URL, got '" + text + "'");
      entry.url = text;
    }
  }
  return ok_status();
}

}  // namespace

Status apply_mcp_servers(Config& config, const YAML::Node& key, const YAML::Node& body, const LayerPlace& place) {
  if (!body || body.IsNull()) return ok_status();
  if (!body.IsMap())
    return place.fail(body.Mark().is_null() ? key.Mark() : body.Mark(),
                      "mcp_servers: expected a map of server name -> {command, args, env} or {url, headers}, got " +
                          describe(body));
  for (const auto& item : body) {
    if (!item.first.IsScalar() || item.first.Scalar().empty())
      return place.fail(item.first.Mark(), "mcp_servers: names must be plain names");
    const std::string name = item.first.Scalar();
    for (char c : name) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      if (!ok)
        return place.fail(item.first.Mark(), "mcp_servers: the name '" + name +
                                                 "' may hold only letters, digits, '_', '-' and '.' (SOPs write "
                                                 "mcp:NAME/TOOL)");
    }
    const std::string prefix = "mcp_servers." + name;
    McpServerConfig entry = config.mcp_servers.count(name) ? config.mcp_servers[name] : McpServerConfig{};
    if (Status status = read_server(prefix, item.second, item.first.Mark(), place, entry); !status) return status;
    if (entry.command.empty() == entry.url.empty())
      return place.fail(item.first.Mark(),
                        prefix + (entry.command.empty() ? ": needs either command (a program spoken to over stdio) "
                                                          "or url (a Streamable HTTP endpoint)"
                                                        : ": has both command and url; give one"));
    entry.origin = place.origin(item.first.Mark());
    config.mcp_servers[name] = std::move(entry);
    config.origin[prefix] = config.mcp_servers[name].origin;
  }
  config.origin["mcp_servers"] = place.origin(key.Mark());
  return ok_status();
}

nlohmann::json mcp_servers_json(const std::map<std::string, McpServerConfig>& servers, bool redact_secrets) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, server] : servers) {
    nlohmann::json entry = nlohmann::json::object();
    auto secret_map = [redact_secrets](const std::map<std::string, std::string>& values) {
      nlohmann::json map = nlohmann::json::object();
      for (const auto& [key, value] : values) map[key] = redact_secrets ? std::string("***") : value;
      return map;
    };
    if (!server.command.empty()) {
      entry["command"] = server.command;
      entry["args"] = server.args;
      if (!server.env.empty()) entry["env"] = secret_map(server.env);
      if (!server.cwd.empty()) entry["cwd"] = server.cwd;
    } else {
      entry["url"] = server.url;
      if (!server.headers.empty()) entry["headers"] = secret_map(server.headers);
    }
    entry["startup_timeout_s"] = server.startup_timeout_s;
    entry["call_timeout_s"] = server.call_timeout_s;
    out[name] = std::move(entry);
  }
  return out;
}

void drop_redacted_mcp_secrets(nlohmann::json& recorded_config) {
  auto servers = recorded_config.find("mcp_servers");
  if (servers == recorded_config.end() || !servers->is_object()) return;
  for (auto& [name, entry] : servers->items()) {
    if (!entry.is_object()) continue;
    for (const char* field : {"env", "headers"}) {
      auto map = entry.find(field);
      if (map == entry.end() || !map->is_object()) continue;
      for (auto it = map->begin(); it != map->end();)
        it = it->is_string() && it->get<std::string>() == "***" ? map->erase(it) : std::next(it);
    }
  }
}

}  // namespace agentco::config_detail
