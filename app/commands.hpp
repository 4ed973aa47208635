// The subcommands of the agentco binary. Each returns the process exit code.
#pragma once
#include <optional>
#include <string>

#include "config/config.hpp"

namespace agentco {

struct RunOptions {
  std::string idea;
  std::string name;  // --name: fixes the folder name (otherwise the PRD's project name)
  ConfigSources config;
};

int run_command(const RunOptions& options);

// Loads and validates a SOP file without running it.
int check_sop_command(const std::string& sop, const ConfigSources& config);

}  // namespace agentco
