#include "llm/providers.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "llm/mock_provider.hpp"

namespace agentco {

Result<std::shared_ptr<Provider>> make_provider(const Config& config) {
  const std::string& type = config.llm.api_type;
  if (type == "mock") {
    long latency_ms = 0;
    if (const char* env = std::getenv("AGENTCO_MOCK_LATENCY_MS")) latency_ms = std::strtol(env, nullptr, 10);
    return std::shared_ptr<Provider>(std::make_shared<MockProvider>(std::chrono::milliseconds(latency_ms)));
  }
  if (type == "openai" || type == "azure" || type == "ollama" || type == "open_llm") {
    return make_error("llm", fmt::format(
        "llm.api_type '{}' needs the HTTP client for OpenAI-compatible servers, which this build of agentco "
        "does not have yet.\nRun offline with the built-in mock model instead:\n"
        "  agentco run --llm mock \"write a cli snake game\"",
        type));
  }
  return make_error("llm", fmt::format("unknown llm.api_type '{}' (known: mock, openai, azure)", type));
}

}  // namespace agentco
