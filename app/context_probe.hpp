// Before a live run: asks an Ollama server for the context window of each model the run may
// use (llm/ollama_probe.hpp), so that prompts are fitted to what the server really reads.
#pragma once
#include <map>
#include <string>

#include "config/config.hpp"
#include "sop/sop.hpp"

namespace agentco {

// Model -> tokens, for the models whose server said; empty when llm.context_window is set,
// the server is not Ollama, or it did not answer (each answer is said on the terminal).
std::map<std::string, long> probe_context_windows(const Config& config, const Sop& sop);

}  // namespace agentco
