// Command-line flag groups shared by several subcommands.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"

namespace agentco {

// Options of commands that load config.
struct CommonFlags {
  std::string config_file;
  std::string llm, model, warehouse, sop;
  double investment = -1;
  int max_rounds = -1;
  bool verbose = false;
  bool quiet = false;
  bool no_user_config = false;

  void add_to(CLI::App* cmd);
  ConfigSources sources() const;
};

// Options of commands that talk to a model server.
struct LlmFlags {
  std::string base_url;
  bool insecure = false;

  void add_to(CLI::App* cmd);
  void add_flags(ConfigSources& sources) const;
};

}  // namespace agentco
