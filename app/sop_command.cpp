// `agentco sop topology KIND --nodes N [--seed S]`: prints a MacNet-style actor/critic graph
// SOP (sop/topology.hpp) to stdout, to save and pass to check-sop and run --sop.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/command_registry.hpp"
#include "sop/topology.hpp"

namespace agentco {
namespace {

struct TopologyOptions {
  std::string kind;
  long long nodes = 0;
  std::uint64_t seed = 1;
};

int topology_command(const TopologyOptions& options) {
  Result<std::string> yaml = topology_yaml(options.kind, options.nodes, options.seed);
  if (!yaml) {
    std::fprintf(stderr, "agentco sop topology: %s\n", yaml.error().message.c_str());
    return 2;
  }
  std::fwrite(yaml->data(), 1, yaml->size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const bool sop_registered = register_command(22, [](CLI::App& app) {
  auto o = std::make_shared<TopologyOptions>();
  CLI::App* cmd = app.add_subcommand("sop", "Write SOP files");
  cmd->require_subcommand(1);
  CLI::App* topology = cmd->add_subcommand(
      "topology", "Print a MacNet-style graph SOP (an actor per node, a critic per edge) to stdout");
  topology->add_option("kind", o->kind, fmt::format("The graph's shape: {}", fmt::join(topology_kinds(), ", ")))
      ->required();
  topology->add_option("--nodes", o->nodes, "How many actors (1 to 100000; a mesh: up to 1414)")->required();
  topology->add_option("--seed", o->seed, "random: the seed of its graph (the same seed gives the same file)")
      ->default_val(1);
  return Command{cmd, [o] { return topology_command(*o); }};
});

}  // namespace
}  // namespace agentco
