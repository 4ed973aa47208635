// Before a live run: asks every Ollama server the run's calls reach for the context window of
// each model it is asked for (llm/ollama_servers.hpp), so that prompts are fitted to what the
// servers really read.
#pragma once
#include <map>
#include <string>

#include "config/config.hpp"
#include "llm/provider.hpp"
#include "sop/sop.hpp"

namespace agentco {

// Call model -> tokens, for the models whose server said (the smaller when two servers serve
// one name); empty when llm.context_window is set, no server is Ollama, or none answered.
// Each answer is said on the terminal. `provider` is the one make_provider built (routing
// included, no human in front).
std::map<std::string, long> probe_context_windows(const Config& config, const Sop& sop, const Provider& provider);

}  // namespace agentco
