#include "cluster/nats_settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "config/config_files.hpp"
#include "core/secrets.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const std::vector<std::string> kKeys = {"url",     "credentials", "token",     "user",     "password",
                                        "tls",     "ca_file",     "cert_file", "key_file", "ack_wait_s"};

Error nats_error(const std::string& source, const YAML::Mark& mark, const std::string& message) {
  std::string where = source;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  return make_error("config", where + ": " + message);
}

bool url_scheme_ok(const std::string& url) {
  std::size_t start = 0;
  while (start <= url.size()) {
    std::size_t end = url.find(',', start);
    if (end == std::string::npos) end = url.size();
    const std::string part(trim_view(std::string_view(url).substr(start, end - start)));
    if (!(part.starts_with("nats://") || part.starts_with("tls://") || part.starts_with("ws://") ||
          part.starts_with("wss://")))
      return false;
    start = end + 1;
  }
  return !url.empty();
}

// The password of nats://user:password@host, registered as a secret.
void register_url_secret(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return;
  const std::string userinfo = url.substr(scheme + 3, at - scheme - 3);
  const auto colon = userinfo.find(':');
  register_secret(colon == std::string::npos ? userinfo : userinfo.substr(colon + 1));
}

}  // namespace

std::string NatsSettings::shown_url() const {
  std::string shown;
  std::size_t start = 0;
  while (start <= url.size()) {
    std::size_t end = url.find(',', start);
    if (end == std::string::npos) end = url.size();
    std::string part = url.substr(start, end - start);
    const auto scheme = part.find("://");
    const auto at = part.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme)
      part = part.substr(0, scheme + 3) + part.substr(at + 1);
    if (!shown.empty()) shown += ",";
    shown += part;
    start = end + 1;
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
      if (auto best = closest_name(key, kKeys); !best.empty()) message += " (did you mean 'nats." + best + "'?)";
      return nats_error(source, mark, message);
    }
    if (!value.IsScalar()) return nats_error(source, mark, "nats." + key + ": expected a value");
    const std::string scalar = value.Scalar();
    if (key == "tls") {
      if (scalar != "true" && scalar != "false")
        return nats_error(source, mark, "nats.tls: expected true or false, got '" + scalar + "'");
      settings.tls = scalar == "true";
    } else if (key == "ack_wait_s") {
      double seconds = 0;
      try {
        std::size_t used = 0;
        seconds = std::stod(scalar, &used);
        if (used != scalar.size()) throw std::invalid_argument(scalar);
      } catch (const std::exception&) {
        return nats_error(source, mark, "nats.ack_wait_s: expected a number of seconds, got '" + scalar + "'");
      }
      if (!std::isfinite(seconds) || seconds < 1)
        return nats_error(source, mark, "nats.ack_wait_s: expected at least 1 second, got '" + scalar + "'");
      settings.ack_wait_s = seconds;
    } else if (key == "url") {
      if (!url_scheme_ok(scalar))
        return nats_error(source, mark, "nats.url: expected nats://HOST:PORT (or tls://, ws://, wss://), got '" +
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
    return make_error("config", "nats: cert_file and key_file go together (a client certificate and its key)");
  return settings;
}

}  // namespace agentco
