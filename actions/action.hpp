// Action: one step a role can take. Prompt-only steps are the "document" type driven by
// a template and a schema; steps that do more (write code per file, write tests) are C++
// types registered by name in actions/registry.cpp and used from SOP YAML.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "environment/message.hpp"
#include "sop/action_catalog.hpp"
#include "sop/sop.hpp"

namespace agentco {

class RunContext;

struct ActionContext {
  RunContext& run;
  const RoleSpec& role;
  const ActionSpec& spec;
  const std::vector<MessagePtr>& news;    // the messages that started this turn
  const std::vector<MessagePtr>& memory;  // everything the role has observed
};

// What an action publishes (cause_by is the action's name).
struct ActionOutput {
  std::string content;
  nlohmann::json payload;
  std::vector<std::string> send_to;
  bool publish = true;  // false: nothing to say (e.g. a fix that was not needed)
};

class Action {
 public:
  virtual ~Action() = default;
  // Errors end the role's turn; code "budget"/"interrupted" stop the run cleanly, others
  // stop it as failed. Whatever was written before the error stays written and committed.
  virtual boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) = 0;
};

// A registered action type: what a SOP may say about it (sop/action_catalog.hpp) and how
// to make one.
struct ActionType {
  ActionTypeInfo info;
  std::function<std::unique_ptr<Action>(const ActionSpec&)> make;
};

// The action types a SOP may name, registered in one visible place.
class ActionRegistry : public ActionCatalog {
 public:
  void add(ActionType type);
  const ActionType* find(const std::string& name) const;
  const ActionTypeInfo* find_type(const std::string& name) const override;
  std::vector<std::string> names() const override;

 private:
  std::map<std::string, ActionType> types_;
};

// Registers every built-in action type (see actions/registry.cpp).
void register_builtin_actions(ActionRegistry& registry);

}  // namespace agentco
