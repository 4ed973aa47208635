// The one place where action types are registered (SOP `type:` names).
#include <algorithm>

#include "actions/action.hpp"
#include "actions/chat_action.hpp"
#include "actions/document_action.hpp"
#include "actions/manual_action.hpp"
#include "actions/run_program.hpp"
#include "actions/run_tests.hpp"
#include "actions/speak_action.hpp"
#include "actions/tool_loop.hpp"
#include "actions/vote_action.hpp"
#include "actions/write_code.hpp"

namespace agentco {

void ActionRegistry::add(ActionType type) {
  std::string name = type.info.name;
  types_[name] = std::move(type);
}

const ActionType* ActionRegistry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

const ActionTypeInfo* ActionRegistry::find_type(const std::string& name) const {
  const ActionType* type = find(name);
  return type ? &type->info : nullptr;
}

std::vector<std::string> ActionRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, type] : types_) out.push_back(name);
  return out;
}

void register_builtin_actions(ActionRegistry& registry) {
  registry.add(document_action_type());
  registry.add(write_code_action_type());
  registry.add(write_tests_action_type());
  registry.add(run_tests_action_type());
  registry.add(fix_code_action_type());
  registry.add(manual_action_type());
  registry.add(speak_action_type());
  registry.add(tool_loop_action_type());
  registry.add(chat_action_type());
  registry.add(vote_action_type());
  registry.add(run_program_action_type());
}

}  // namespace agentco
