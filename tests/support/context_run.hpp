// End-to-end runs with a context budget: `agentco run` with a config file of the test's own
// (the server, api_type and model are in it), and what every model request of a run asked of
// the model's context window, as build_request estimates it (actions/prompt.hpp).
#pragma once
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actions/prompt.hpp"
#include "tests/support/fake_llm_server_runs.hpp"

namespace agentco::testing {

// `agentco run --no-user-config --warehouse W --config <sandbox>/config.yaml IDEA`.
inline AgentcoRun run_with_config(const RunSandbox& sandbox, const std::string& config_yaml,
                                  const std::string& idea) {
  spill(sandbox.file("config.yaml"), config_yaml);
  return sandbox.collect(
      run_process(sandbox.options({"run", "--no-user-config", "--warehouse", sandbox.warehouse().string(),
                                   "--config", sandbox.file("config.yaml").string(), idea},
                                  {})));
}

// A traced request's prompt estimate (its messages and their framing) plus its max_tokens.
inline long window_asked(const nlohmann::json& llm_request) {
  const nlohmann::json& request = llm_request["request"];
  long tokens = 8;
  for (const auto& message : request["messages"])
    tokens += prompt_tokens_estimate(message.value("content", ""));
  return tokens + request.value("max_tokens", 0L);
}

// The most any request of the run asked of its window.
inline long largest_request(const AgentcoRun& run) {
  long most = 0;
  for (const auto& r : run.of_type("llm_request")) most = std::max(most, window_asked(r));
  return most;
}

}  // namespace agentco::testing
