// How many tokens a model can read and write in one call, so that prompts are assembled to
// fit instead of being cut off by the server (Ollama truncates silently).
//
// The window of a call's model is the first of: llm.context_window when set (> 0); what the
// server said about that model at start-up (Ollama's native API: the loaded model's context
// length); the table of well-known models below, matched by the longest name that prefixes
// the model name (after a vendor prefix such as "openai/"). Unknown: 0 (prompts are not
// fitted; one warning per model says how to set it).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace agentco {

// The built-in table, by longest prefix; 0 when no entry fits.
long default_context_window(std::string_view model);

// The longest key of `table` that is a prefix of `name` or of `name` without its vendor
// prefix ("openai/gpt-4o-mini" -> "gpt-4o-mini"); "" when none is.
std::string longest_prefix_key(const std::map<std::string, long>& table, std::string_view name);

struct ContextWindows {
  long configured = 0;                 // llm.context_window (0 = not set)
  std::map<std::string, long> probed;  // model -> what its server said

  // The window for `model`, and where it came from ("llm.context_window", "server",
  // "built-in table"); 0 and "unknown" when nothing says.
  std::pair<long, std::string> lookup(const std::string& model) const;
};

}  // namespace agentco
