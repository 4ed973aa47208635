// How a worker or a coordinator reaches NATS: the `nats:` section of the config files
// (./config/agentco.yaml, the user's config.yaml, then --config; later files win key by key)
// and the --nats flag, which overrides the url.
//
//   nats:
//     url: nats://10.0.0.5:4222
//     credentials: ~/.nats/agentco.creds   # a JWT + NKey creds file, or:
//     token: s3cret                        #   a token, or:
//     user: agentco                        #   user and password
//     password: s3cret
//     tls: true                            # implied by ca_file/cert_file or a tls:// url
//     ca_file: ca.pem
//     cert_file: client.pem
//     key_file: client-key.pem
//     ack_wait_s: 30                       # a job unacknowledged this long goes to another worker
//     silence_s: 10                        # a spread simulation's partition silent this long is lost
//
// The section is never part of a run's config (the config loader skips it), so none of it
// reaches a trace; the token, the password and a password in the url are registered as
// secrets, so no log line shows them either.
#pragma once
#include <optional>
#include <string>

#include "core/result.hpp"

namespace agentco {

struct NatsSettings {
  std::string url;  // nats://HOST:PORT, tls://..., comma-separated for a cluster
  std::string credentials, token, user, password;
  bool tls = false;
  std::string ca_file, cert_file, key_file;
  double ack_wait_s = 30;
  double silence_s = 10;
  std::string origin;  // where the url came from: "flag --nats" or "FILE:LINE"
  // Not a config key: send each publish at once instead of letting the client batch them for
  // a moment (lower latency per message, fewer messages per second).
  bool send_asap = false;

  // The url without any user:password@ part, for messages.
  std::string shown_url() const;
};

struct NatsSources {
  std::string url_flag;                    // --nats
  std::optional<std::string> config_file;  // --config
  bool read_default_files = true;
};

// Errors name the file and line: an unknown key, a value of the wrong kind, a url that is
// not nats://, tls:// or ws(s)://, a missing --config file; and "no NATS url" when neither
// the flag nor a file gives one.
Result<NatsSettings> load_nats_settings(const NatsSources& sources);

// Reads the `nats:` section of one YAML text into `settings` (for tests and for the loader).
Status apply_nats_yaml(NatsSettings& settings, const std::string& text, const std::string& source);

}  // namespace agentco
