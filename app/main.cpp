// agentco: a multi-agent software company. See README.md.
// Each subcommand lives in its own app/*_command.cpp and registers itself (command_registry.hpp).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/command_registry.hpp"

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("agentco");
  logger->set_pattern("%^%l%$ %v");
  spdlog::set_default_logger(logger);

  CLI::App app{"agentco: a multi-agent software company. One line in, a project out."};
  app.set_version_flag("--version", std::string("agentco ") + AGENTCO_VERSION);
  app.require_subcommand(1);
  const auto commands = agentco::add_registered_commands(app);

  CLI11_PARSE(app, argc, argv);

  for (const auto& command : commands)
    if (*command.cli) return command.run();
  return 2;
}
