#include "cluster/nats_settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "config/config_files.hpp"
#include "core/secrets.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const std::vector<std::string> kKeys = {"url", "credentials", "token",     "user",     "password",
                                        "tls", "ca_file",     "cert_file", "key_file", "ack_wait_s", "silence_s"};

Error nats_error(const std::string& source, const YAML::Mark& mark, const std::string& message) {
  std::string where = source;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  return make_error("config", where + ": " + message);
}

// The servers of a url list ("nats://a:4222,nats://b:4222"), each trimmed.
std::vector<std::string> servers_of(const std::string& url) {
  std::vector<std::string> servers;
  for (std::size_t start = 0; start <= url.size();) {
    std::size_t end = url.find(',', start);
    if (end == std::string::npos) end = url.size();
    servers.emplace_back(trim_view(std::string_view(url).substr(start, end - start)));
    start = end + 1;
  }
  return servers;
}

// Where a server's "user:password@" part is: [begin, end) with end at the '@'; nothing when it has none.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_of(const std::string& server) {
  const auto scheme = server.find("://");
  const auto at = server.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return std::nullopt;
  return std::make_pair(scheme + 3, at);
}

bool url_scheme_ok(const std::string& url) {
  for (const auto& server : servers_of(url))
    if (!(server.starts_with("nats://") || server.starts_with("tls://") || server.starts_with("ws://") ||
          server.starts_with("wss://")))
      return false;
  return !url.empty();
}

// The password (or token) in each server's user:password@, registered as a secret.
void register_url_secret(const std::string& url) {
  for (const auto& server : servers_of(url))
    if (auto span = userinfo_of(server)) {
      const std::string userinfo = server.substr(span->first, span->second - span->first);
      const auto colon = userinfo.find(':');
      register_secret(colon == std::string::npos ? userinfo : userinfo.substr(colon + 1));
    }
}

}  // namespace

std::string NatsSettings::shown_url() const {
  std::string shown;
  for (auto server : servers_of(url)) {
    if (auto span = userinfo_of(server)) server.erase(span->first, span->second + 1 - span->first);
    if (!shown.empty()) shown += ",";
    shown += server;
  }
  return shown;
}

Status apply_nats_yaml(NatsSettings& settings, const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return nats_error(source, e.mark, e.msg);
  }
  if (!root || !root.IsMap() || !root["nats"]) return ok_status();
  const YAML::Node section = root["nats"];
  if (section.IsNull()) return ok_status();
  if (!section.IsMap()) return nats_error(source, section.Mark(), "nats: expected a map of settings");
  for (const auto& entry : section) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    const YAML::Mark mark = entry.first.Mark();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      std::string message = "unknown key 'nats." + key + "'";
      if (auto best = closest_name(key, kKeys); !best.empty())
        message += " (did you mean 'nats." + best + "'?)";
      return nats_error(source, mark, message);
    }
    if (!value.IsScalar()) return nats_error(source, mark, "nats." + key + ": expected a value");
    const std::string scalar = value.Scalar();
    if (key == "tls") {
      if (scalar != "true" && scalar != "false")
        return nats_error(source, mark, "nats.tls: expected true or false, got '" + scalar + "'");
      settings.tls = scalar == "true";
    } else if (key == "ack_wait_s" || key == "silence_s") {
      double seconds = 0;
      try {
        std::size_t used = 0;
        seconds = std::stod(scalar, &used);
        if (used != scalar.size()) throw std::invalid_argument(scalar);
      } catch (const std::exception&) {
        return nats_error(source, mark,
                          "nats." + key + ": expected a number of seconds, got '" + scalar + "'");
      }
      if (!std::isfinite(seconds) || seconds < 1)
        return nats_error(source, mark, "nats." + key + ": expected at least 1 second, got '" + scalar + "'");
      (key == "ack_wait_s" ? settings.ack_wait_s : settings.silence_s) = seconds;
    } else if (key == "url") {
      if (!url_scheme_ok(scalar))
        return nats_error(source, mark,
                          "nats.url: expected nats://HOST:PORT (or tls://, ws://, wss://), got '" +
                              NatsSettings{scalar}.shown_url() + "'");
      register_url_secret(scalar);
      settings.url = scalar;
      settings.origin = source + ":" + std::to_string(mark.line + 1);
    } else {
      std::string* field = key == "credentials" ? &settings.credentials
                           : key == "token"     ? &settings.token
                           : key == "user"      ? &settings.user
                           : key == "password"  ? &settings.password
                           : key == "ca_file"   ? &settings.ca_file
                           : key == "cert_file" ? &settings.cert_file
                                                : &settings.key_file;
      *field = scalar;
      if (key == "token" || key == "password") register_secret(scalar);
    }
  }
  return ok_status();
}

Result<NatsSettings> load_nats_settings(const NatsSources& sources) {
  NatsSettings settings;
  std::vector<std::string> files;
  if (sources.read_default_files)
    for (const auto& file : default_config_files()) {
      std::error_code ec;
      if (std::filesystem::exists(file, ec)) files.push_back(file.string());
    }
  if (sources.config_file) {
    std::error_code ec;
    if (!std::filesystem::exists(*sources.config_file, ec))
      return make_error("config", "--config " + *sources.config_file + ": file not found");
    files.push_back(*sources.config_file);
  }
  for (const auto& file : files) {
    std::string text;
    if (!read_file(file, text)) return make_error("config", file + ": cannot be read");
    if (auto status = apply_nats_yaml(settings, text, file); !status) return status.error();
  }
  if (!sources.url_flag.empty()) {
    if (!url_scheme_ok(sources.url_flag))
      return make_error("config", "--nats: expected nats://HOST:PORT (or tls://, ws://, wss://), got '" +
                                      NatsSettings{sources.url_flag}.shown_url() + "'");
    register_url_secret(sources.url_flag);
    settings.url = sources.url_flag;
    settings.origin = "flag --nats";
  }
  if (settings.url.empty())
    return make_error("config", "no NATS url: give --nats nats://HOST:PORT or nats.url in the config");
  if (!settings.ca_file.empty() || !settings.cert_file.empty() || settings.url.starts_with("tls://"))
    settings.tls = true;
  if (settings.cert_file.empty() != settings.key_file.empty())
    return make_error("config",
                      "nats: cert_file and key_file go together (a client certificate and its key)");
  return settings;
}

}  // namespace agentco
