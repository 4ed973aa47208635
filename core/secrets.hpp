// The process's secrets: API keys and proxy passwords, registered once the configuration is
// loaded. A server may echo a key back (a 401 or 500 body quoting the Authorization header),
// and that text flows into errors, logs, the trace and meta.json; scrub_secrets() is applied
// where text leaves the process (the log sink, the trace writer, meta.json, the providers'
// errors), so that no configured secret is ever printed or written.
#pragma once
#include <string>
#include <string_view>

namespace agentco {

// Remembers a secret (thread-safe). Values shorter than 6 bytes are not secrets worth the
// name and would match ordinary words: they are ignored.
void register_secret(std::string_view secret);

// `text` with every registered secret replaced by "***".
std::string scrub_secrets(std::string_view text);

// Forgets every secret (tests).
void clear_secrets();

}  // namespace agentco
