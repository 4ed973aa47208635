// Vectors for texts from an OpenAI-compatible embeddings endpoint (OpenAI, Ollama, vLLM,
// LM Studio, llama.cpp's server started with --embeddings): POST {base_url}/embeddings with
// {"model", "input": [texts]}; the reply's data[i].embedding, put in `index` order. The reply
// is untrusted: anything but one vector of numbers per text, all of one length, is an error
// naming what is wrong. Blocking (it runs its own io_context): for commands, not for runs.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentco {

struct EmbeddingsTarget {
  std::string base_url;  // e.g. http://127.0.0.1:11434/v1
  std::string api_key;   // secret: sent as a bearer token, never in a message
  std::string model;
  bool insecure = false;
  std::chrono::milliseconds timeout{60000};
};

Result<std::vector<std::vector<double>>> fetch_embeddings(const EmbeddingsTarget& target,
                                                          const std::vector<std::string>& texts);

// The vectors of a reply body, for `count` texts (exposed for tests).
Result<std::vector<std::vector<double>>> parse_embeddings(const std::string& body, std::size_t count);

}  // namespace agentco
