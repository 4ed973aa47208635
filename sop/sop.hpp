// The SOP: which roles a run has, what each watches, which actions it runs, and the
// actions' templates and schemas. Loaded from YAML and validated before any model call.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "environment/condition.hpp"
#include "sop/output_schema.hpp"
#include "core/result.hpp"

namespace agentco {

class ActionCatalog;
class PromptLibrary;

struct ActionSpec {
  std::string name;    // e.g. "WritePRD"; also the cause_by of what it publishes
  std::string type;    // a registered action type, e.g. "document", "write_code"
  std::string prompt;  // template name under actions/prompts/ (without .txt)
  OutputSchema schema;            // for structured actions
  nlohmann::json params = nlohmann::json::object();  // the type's own keys
  // The messages (cause_by names) this action answers; empty: every turn of its role.
  std::vector<std::string> on;
  std::string model;              // per-action model override (wins over the role's); empty: none
  // The documents this action's templates may show ({{prd}}, ...): its `reads:` list, or,
  // without one, every document the SOP writes.
  std::vector<std::string> reads;
  bool reads_given = false;       // `reads:` was given (else reads = every document)
  std::string writes;             // the document it writes ("" = none)
  // The roles its type's role keys name (key -> role name, e.g. with -> Cpo), and the one of
  // them that speaks in it (a chat's partner), "" when none.
  std::map<std::string, std::string> role_refs;
  std::string answerer;
  // The template each of its type's slots uses: slot key ("prompt", "review_prompt", ...) ->
  // template name, resolved at load time (the SOP's choice, else the type's default).
  std::map<std::string, std::string> templates;
  // A loop: each message it publishes carries its round; the loop exits (message.exit) when
  // `until` holds for the message or at round `max_rounds` (its bound).
  std::optional<Condition> until;
  int max_rounds = 0;
  // Fan-out: one branch per item of the list at `fan_out` (a condition operand such as
  // payload.files) in the message that started the turn, at most `max_parallel` at once;
  // each branch sees that message narrowed to its item and publishes its own message.
  std::string fan_out;
  int max_parallel = 4;
  // Reduce: this action waits for every branch of one fan-out of action `reduce` and runs
  // once with all their messages.
  std::string reduce;
  int line = 0;                   // where it is defined, for messages
};

enum class ReactMode { kByOrder, kReact };

struct RoleSpec {
  std::string name;     // address, e.g. "Alice"
  std::string profile;  // e.g. "Product Manager"
  std::string goal;
  std::string constraints;
  std::vector<std::string> actions;
  std::vector<std::string> watch;
  // Conditional edges: a watched action -> the condition its messages must meet.
  std::map<std::string, Condition> when;
  // A human node: a person at the terminal answers this role's model calls (as --human).
  bool human = false;
  ReactMode react_mode = ReactMode::kByOrder;
  int max_react_loop = 5;
  int max_turns = 0;    // 0: unbounded (only allowed outside cycles)
  std::string model;    // per-role model override; empty: the run's model
  // Populations (simulations): `count` instances named <name>-0 .. <name>-<count-1>; in
  // `topics` and `publish_topic`, {index} is the instance's number and {group} is
  // index / group_size. A role receives what is published on its topics; what it
  // publishes goes to publish_topic (besides cause_by watchers). memory_limit > 0 keeps
  // only that many observed messages.
  int count = 1;
  int group_size = 1;
  std::vector<std::string> topics;
  std::string publish_topic;
  std::size_t memory_limit = 0;
  int instance = -1;    // set by role_instances() when count > 1
  // Fan-in: > 0 gathers that many delivered messages before taking one turn with all of
  // them (`join: N`, or `join: all` = one per watched action; a graph node: its in-degree).
  int join = 0;
  // The tools its tool_loop actions may call (tools/tool_names.hpp): built-in names and
  // mcp:SERVER/TOOL or mcp:SERVER/*; `tools_line` is where the list is, for messages.
  std::vector<std::string> tools;
  int tools_line = 0;
  int line = 0;
};

// The instances of a role: itself when count is 1, else count copies named <name>-<i>
// with {index} and {group} filled in (the spec is copied: keep goal and constraints short
// for very large populations).
std::vector<RoleSpec> role_instances(const RoleSpec& role);
// Instance i of a population (the role itself when count is 1).
RoleSpec role_instance(const RoleSpec& role, int i);
// `text` (a topic) with {index} and {group} filled in for one instance.
std::string fill_instance(std::string text, int index, int group);

struct Sop {
  std::string name;
  std::string description;
  std::string source;  // file path or "built-in sop/<name>.yaml"
  std::vector<RoleSpec> roles;
  std::map<std::string, ActionSpec> actions;
  // Turns the SOP needs at least, whatever run.max_rounds says: a graph (sop/graph.hpp)
  // gives every role one turn, so its role count; a SOP with populations, its instance
  // count. 0: none.
  int min_turns = 0;

  const ActionSpec* action(const std::string& name) const;
  // The documents the SOP's actions write, each with the action that writes it.
  std::map<std::string, const ActionSpec*> documents() const;
};

// Loads `name_or_path`: a path to a YAML file, or the name of a built-in SOP
// ("software_company"). Validates against the registered action types and the prompt
// library, including every {{variable}} of every template an action uses against what its
// type and its `reads:` provide (sop/template_check.hpp); every error names file:line and
// says what to change.
Result<Sop> load_sop(const std::string& name_or_path, const ActionCatalog& catalog,
                     const PromptLibrary& prompts);

// Same, from YAML text (source_name is used in messages).
Result<Sop> parse_sop(const std::string& yaml_text, const std::string& source_name,
                      const ActionCatalog& catalog, const PromptLibrary& prompts);

}  // namespace agentco
