// The one place where action types are registered (SOP `type:` names).
#include <algorithm>

#include "actions/action.hpp"
#include "actions/document_action.hpp"
#include "actions/manual_action.hpp"
#include "actions/run_tests.hpp"
#include "actions/speak_action.hpp"
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
                true, true, {"document", "title", "mermaid", "refine_prompt"}, make_document_action});
  registry.add({"write_code",
                "writes each source file of the task list, dependencies first, with static checks, reviews and a summary",
                true, false, {"review_prompt", "rewrite_prompt", "summary_prompt"}, make_write_code_action});
  registry.add({"write_tests", "writes one test file per source file", true, false, {}, make_write_tests_action});
  registry.add({"run_tests", "runs the tests and the program in a sandbox; triages failures", false, false,
                {"fixer", "triage_prompt", "test_prompt"}, make_run_tests_action});
  registry.add({"fix_code", "rewrites the source file QA names, with QA's evidence", true, false, {},
                make_fix_code_action});
  registry.add({"manual", "writes README.md and the dependency manifest", true, false, {}, make_manual_action});
  registry.add({"speak", "one plain model call on the turn's messages, published to the role's topic (simulations)",
                true, false, {"max_context"}, make_speak_action});
}

}  // namespace agentco
