// The subcommands of the agentco binary. Each returns the process exit code.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace agentco {

struct RunOptions {
  std::string idea;
  std::string name;  // --name: fixes the folder name (otherwise the PRD's project name)
  std::string project_path;  // --project-path: develop an existing project further
  std::vector<std::string> human_roles;  // --human ROLE: a person answers for the role
  bool review_by_human = false;          // --review-by-human: a person reviews code
  bool ask_human = false;                // --ask-human: a person answers the ask_human tool
  ConfigSources config;
  // A simulation spread over a cluster (cluster/population_run.hpp): --partitions N makes this
  // run the coordinator; --partition RUN/K/N (given by a worker) makes it partition K.
  std::string nats, nats_config, partition;
  int partitions = 0;
};

int run_command(const RunOptions& options);

// Loads and validates a SOP file without running it.
int check_sop_command(const std::string& sop, const ConfigSources& config);

// `agentco check-llm`: builds the provider the config asks for, lists its models, sends one
// tiny streamed request and prints latency, time to first token, tokens/s and whether the
// server reports usage. Exit 0 when the model answered, 1 when the server was reached but the
// request failed, 2 when the config is unusable or the server cannot be reached.
int check_llm_command(const ConfigSources& config);

}  // namespace agentco
