#include "app/command_registry.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace agentco {
namespace {

struct Entry {
  int order;
  CommandFactory factory;
};

// A function-local static: registrations run during static initialisation of other files.
std::vector<Entry>& entries() {
  static std::vector<Entry> all;
  return all;
}

}  // namespace

bool register_command(int order, CommandFactory factory) {
  entries().push_back({order, std::move(factory)});
  return true;
}

std::vector<Command> add_registered_commands(CLI::App& app) {
  auto sorted = entries();
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
  std::vector<Command> commands;
  for (const auto& entry : sorted) commands.push_back(entry.factory(app));
  return commands;
}

}  // namespace agentco
