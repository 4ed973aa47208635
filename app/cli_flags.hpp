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
  // As typed: the config layer checks them as it checks the same keys in a file (a negative,
  // NaN or non-numeric value is an error, exit 2), so "not given" is the empty string.
  std::string investment;
  std::string max_rounds;
  bool verbose = false;
  bool quiet = false;
  bool no_user_config = false;

  void add_to(CLI::App* cmd);
  ConfigSources sources() const;
};

// A flag's number: finite (CLI11's NonNegativeNumber lets "nan" and "inf" through) and at
// least `min`, or above it when `above`.
CLI::Validator finite_number(double min, bool above = false);

// Options of commands that talk to a model server.
struct LlmFlags {
  std::string base_url;
  bool insecure = false;

  void add_to(CLI::App* cmd);
  void add_flags(ConfigSources& sources) const;
};

}  // namespace agentco
