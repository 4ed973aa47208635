// Subcommands register themselves from their own file, so adding one never edits main.cpp:
//
//   namespace { const bool registered = agentco::register_command(30, [](CLI::App& app) {
//     auto options = std::make_shared<StatsOptions>();
//     CLI::App* cmd = app.add_subcommand("stats", "...");
//     cmd->add_option(...);
//     return agentco::Command{cmd, [options] { return stats_command(*options); }};
//   }); }
//
// `order` fixes the place in --help (run=10, check-sop=20, check-llm=25, then the rest).
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace agentco {

struct Command {
  CLI::App* cli = nullptr;
  std::function<int()> run;  // returns the process exit code
};

using CommandFactory = std::function<Command(CLI::App&)>;

bool register_command(int order, CommandFactory factory);

// Adds every registered command to `app`, in order.
std::vector<Command> add_registered_commands(CLI::App& app);

}  // namespace agentco
