// The one place where action types are registered (SOP `type:` names).
#include <algorithm>

#include "actions/action.hpp"
#include "actions/document_action.hpp"
#include "actions/write_code.hpp"

namespace agentco {

void ActionRegistry::add(ActionType type) {
  std::string name = type.name;
  types_[name] = std::move(type);
}

const ActionType* ActionRegistry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> ActionRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, type] : types_) out.push_back(name);
  return out;
}

void register_builtin_actions(ActionRegistry& registry) {
  registry.add({"document",
                "asks for a structured document and writes docs/<document>.json/.md",
                true, true, {"document", "title", "mermaid"}, make_document_action});
  registry.add({"write_code", "writes each source file of the task list, dependencies first",
                true, false, {}, make_write_code_action});
  registry.add({"write_tests", "writes one test file per source file", true, false, {},
                make_write_tests_action});
}

}  // namespace agentco
