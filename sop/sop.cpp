#include "sop/sop.hpp"

#include <filesystem>
#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "environment/message.hpp"
#include "sop/action_catalog.hpp"
#include "sop/graph.hpp"
#include "sop/prompt_library.hpp"
#include "sop/template_check.hpp"
#include "tools/tool_names.hpp"
#include "core/resources.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace agentco {

const ActionSpec* Sop::action(const std::string& name) const {
  auto it = actions.find(name);
  return it == actions.end() ? nullptr : &it->second;
}

std::map<std::string, const ActionSpec*> Sop::documents() const {
  std::map<std::string, const ActionSpec*> out;
  for (const auto& [name, action] : actions) {
    if (!action.writes.empty()) out.emplace(action.writes, &action);
  }
  return out;
}

std::string fill_instance(std::string text, int index, int group) {
  for (auto [key, value] : {std::pair<std::string_view, int>{"{index}", index}, {"{group}", group}}) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      std::string number = std::to_string(value);
      text.replace(at, key.size(), number);
      at += number.size();
    }
  }
  return text;
}

RoleSpec role_instance(const RoleSpec& role, int i) {
  RoleSpec copy = role;
  if (role.count <= 1) return copy;
  const int group = i / std::max(1, role.group_size);
  copy.name = role.name + "-" + std::to_string(i);
  copy.instance = i;
  for (auto& topic : copy.topics) topic = fill_instance(topic, i, group);
  copy.publish_topic = fill_instance(copy.publish_topic, i, group);
  return copy;
}

std::vector<RoleSpec> role_instances(const RoleSpec& role) {
  if (role.count <= 1) return {role};
  std::vector<RoleSpec> out;
  out.reserve(static_cast<std::size_t>(role.count));
  for (int i = 0; i < role.count; ++i) out.push_back(role_instance(role, i));
  return out;
}

namespace {

// Collects problems; every message starts with "source:line: ".
struct Problems {
  std::string source;
  std::vector<std::string> list;
  void add(const YAML::Node& at, const std::string& text) {
    int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    add(line, text);
  }
  void add(int line, const std::string& text) {
    list.push_back(line > 0 ? fmt::format("{}:{}: {}", source, line, text) : fmt::format("{}: {}", source, text));
  }
};

int line_of(const YAML::Node& node) { return node.IsDefined() ? node.Mark().line + 1 : 0; }

void check_keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where,
                Problems& problems) {
  for (const auto& kv : map) {
    auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      problems.add(kv.first, fmt::format("unknown key '{}' in {} (allowed: {})", key, where,
                                         fmt::join(allowed, ", ")));
    }
  }
}

std::string scalar(const YAML::Node& node, const std::string& what, Problems& problems,
                   const std::string& fallback = {}) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  if (!node.IsScalar()) {
    problems.add(node, what + " must be a text value");
    return fallback;
  }
  return node.as<std::string>();
}

// A model override names one model: no blanks, no line breaks, not empty when given.
void check_model_name(const YAML::Node& node, const std::string& owner, const std::string& model,
                      Problems& problems) {
  if (!node.IsDefined() || !node.IsScalar()) return;  // absent, or already reported by scalar()
  if (model.empty() || model.find_first_of(" \t\r\n") != std::string::npos)
    problems.add(node, fmt::format("{}: model must name one model, e.g. gpt-4o-mini; got '{}'", owner, model));
}

std::vector<std::string> string_list(const YAML::Node& node, const std::string& what, Problems& problems) {
  std::vector<std::string> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (node.IsScalar()) return {node.as<std::string>()};
  if (!node.IsSequence()) {
    problems.add(node, what + " must be a list of names");
    return out;
  }
  for (const auto& item : node) {
    if (item.IsScalar()) out.push_back(item.as<std::string>());
    else problems.add(item, what + " must hold names only");
  }
  return out;
}

int int_value(const YAML::Node& node, const std::string& what, int fallback, int min, Problems& problems) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  try {
    int v = node.as<int>();
    if (v < min) {
      problems.add(node, fmt::format("{} must be at least {}, got {}", what, min, v));
      return fallback;
    }
    return v;
  } catch (const YAML::Exception&) {
    problems.add(node, fmt::format("{} must be a whole number, got '{}'", what, node.Scalar()));
    return fallback;
  }
}

// A YAML alias may name the node that holds it (`&a [*a]`) or repeat a big node many times
// over: the copy into JSON is bounded in depth and in values.
constexpr int kMaxValueDepth = 64;
constexpr std::size_t kMaxValues = 100000;

std::optional<nlohmann::json> bounded_yaml_to_json(const YAML::Node& node, int depth, std::size_t& budget) {
  if (depth > kMaxValueDepth || budget == 0) return std::nullopt;
  --budget;
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : node) {
      auto value = bounded_yaml_to_json(kv.second, depth + 1, budget);
      if (!value) return std::nullopt;
      out[kv.first.as<std::string>()] = std::move(*value);
    }
    return out;
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) {
      auto value = bounded_yaml_to_json(item, depth + 1, budget);
      if (!value) return std::nullopt;
      out.push_back(std::move(*value));
    }
    return out;
  }
  if (node.IsScalar()) return node.as<std::string>();
  return nlohmann::json(nullptr);
}

nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& what, Problems& problems) {
  std::size_t budget = kMaxValues;
  if (auto value = bounded_yaml_to_json(node, 0, budget)) return std::move(*value);
  problems.add(node, fmt::format("{} nests deeper than {} levels or holds more than {} values (an alias that "
                                 "refers to itself?)", what, kMaxValueDepth, kMaxValues));
  return nullptr;
}

// An example must have the field's type (YAML scalars arrive as text, so numbers and
// booleans are checked by what the text says).
std::optional<std::string> example_problem(const FieldSpec& field) {
  const nlohmann::json& v = field.example;
  auto rows_of_text = [&] {
    return v.is_array() && std::all_of(v.begin(), v.end(), [](const nlohmann::json& row) {
             return row.is_array() &&
                    std::all_of(row.begin(), row.end(), [](const nlohmann::json& c) { return c.is_string(); });
           });
  };
  bool ok = true;
  if (field.type == "str" || field.type == "int" || field.type == "float" || field.type == "bool") ok = v.is_string();
  else if (field.type == "list[str]")
    ok = v.is_array() && std::all_of(v.begin(), v.end(), [](const nlohmann::json& c) { return c.is_string(); });
  else if (field.type == "list[list[str]]") ok = rows_of_text();
  else if (field.type == "list") ok = v.is_array();
  else if (field.type == "object") ok = v.is_object();
  if (ok) return std::nullopt;
  return "must be a " + field.type;
}

OutputSchema parse_schema(const YAML::Node& node, const std::string& action, Problems& problems) {
  OutputSchema schema;
  if (!node.IsSequence()) {
    problems.add(node, fmt::format("action {}: schema must be a list of {{name, type, instruction}}", action));
    return schema;
  }
  std::set<std::string> seen;
  for (const auto& item : node) {
    if (!item.IsMap()) {
      problems.add(item, fmt::format("action {}: each schema field is a map with name, type, instruction", action));
      continue;
    }
    check_keys(item, {"name", "type", "instruction", "required", "example"}, "a schema field", problems);
    FieldSpec field;
    field.name = scalar(item["name"], "schema field name", problems);
    field.type = scalar(item["type"], "schema field type", problems, "str");
    field.instruction = scalar(item["instruction"], "schema field instruction", problems);
    if (item["required"].IsDefined()) field.required = item["required"].as<bool>(true);
    if (field.name.empty()) problems.add(item, fmt::format("action {}: a schema field has no name", action));
    if (!is_known_field_type(field.type)) {
      problems.add(item["type"], fmt::format("action {}: field '{}' has unknown type '{}' (use str, int, float, "
                                             "bool, list[str], list[list[str]], list or object)",
                                             action, field.name, field.type));
    }
    if (item["example"].IsDefined()) {
      field.example = yaml_to_json(
          item["example"], fmt::format("action {}: the example of field '{}'", action, field.name), problems);
      if (auto problem = example_problem(field)) {
        problems.add(item["example"], fmt::format("action {}: the example of field '{}' {}", action, field.name, *problem));
      }
    }
    if (!seen.insert(field.name).second) {
      problems.add(item, fmt::format("action {}: field '{}' is declared twice", action, field.name));
    }
    schema.fields.push_back(std::move(field));
  }
  return schema;
}

// `watch:` items are action names or {action: NAME, when: CONDITION} (a conditional edge).
void parse_watch(const YAML::Node& node, RoleSpec& role, Problems& problems) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (node.IsScalar()) {
    role.watch.push_back(node.as<std::string>());
    return;
  }
  if (!node.IsSequence()) {
    problems.add(node, "watch must be a list of action names or {action: NAME, when: CONDITION}");
    return;
  }
  for (const auto& item : node) {
    if (item.IsScalar()) {
      role.watch.push_back(item.as<std::string>());
      continue;
    }
    if (!item.IsMap()) {
      problems.add(item, "watch must hold action names or {action: NAME, when: CONDITION}");
      continue;
    }
    check_keys(item, {"action", "when"}, "a watch entry", problems);
    std::string action = scalar(item["action"], "watch action", problems);
    std::string when = scalar(item["when"], "watch when", problems);
    if (action.empty()) {
      problems.add(item, fmt::format("role {}: a watch entry needs 'action:'", role.name));
      continue;
    }
    role.watch.push_back(action);
    if (when.empty()) continue;
    auto condition = Condition::parse(when);
    if (!condition) {
      problems.add(item["when"], fmt::format("role {}: when '{}': {}", role.name, when, condition.error().message));
      continue;
    }
    if (!role.when.emplace(action, std::move(*condition)).second)
      problems.add(item, fmt::format("role {} watches {} twice with conditions: join them with or", role.name, action));
  }
}

// The keys every action type has for the SOP's control flow: loops, fan-out, reduce.
void parse_flow_keys(const YAML::Node& def, ActionSpec& spec, Problems& problems) {
  if (std::string until = scalar(def["until"], "until", problems); !until.empty()) {
    if (auto condition = Condition::parse(until)) spec.until = std::move(*condition);
    else problems.add(def["until"], fmt::format("action {}: until '{}': {}", spec.name, until, condition.error().message));
  }
  spec.max_rounds = int_value(def["max_rounds"], "max_rounds", 0, 1, problems);
  if (spec.until && spec.max_rounds == 0)
    problems.add(def["until"], fmt::format("action {} loops until a condition holds but has no bound: add "
                                           "'max_rounds:' (e.g. 3)",
                                           spec.name));
  spec.fan_out = scalar(def["fan_out"], "fan_out", problems);
  if (!spec.fan_out.empty() && spec.fan_out != "content" && !(spec.fan_out.starts_with("payload.") && spec.fan_out.size() > 8))
    problems.add(def["fan_out"], fmt::format("action {}: fan_out names the list to split, content (one branch per "
                                             "line) or payload.FIELD; got '{}'",
                                             spec.name, spec.fan_out));
  spec.max_parallel = int_value(def["max_parallel"], "max_parallel", 4, 1, problems);
  if (def["max_parallel"].IsDefined() && spec.fan_out.empty())
    problems.add(def["max_parallel"], fmt::format("action {}: max_parallel needs fan_out", spec.name));
  spec.reduce = scalar(def["reduce"], "reduce", problems);
}

void check_graph(const Sop& sop, Problems& problems) {
  // Who produces what: every action a role runs is a cause_by that may be watched.
  std::map<std::string, std::vector<const RoleSpec*>> producers;
  for (const auto& role : sop.roles) {
    for (const auto& a : role.actions) producers[a].push_back(&role);
  }
  bool anyone_starts = false;
  for (const auto& role : sop.roles) {
    if (role.watch.empty()) {
      if (role.topics.empty() && !role.actions.empty()) {  // without actions: it answers chat phases only
        problems.add(role.line, fmt::format("role {} watches nothing, so it would never act; add 'watch:' with "
                                            "the actions it reacts to (e.g. {}) or 'topics:'", role.name, kUserRequirement));
      }
    }
    for (const auto& w : role.watch) {
      if (w == kUserRequirement) {
        anyone_starts = true;
        continue;
      }
      if (!producers.count(w)) {
        std::vector<std::string> produced;
        for (const auto& [name, _] : producers) produced.push_back(name);
        problems.add(role.line, fmt::format("role {} watches '{}', which no role produces (produced: {}, {})",
                                            role.name, w, kUserRequirement, fmt::join(produced, ", ")));
      }
    }
  }
  for (const auto& [name, action] : sop.actions) {
    for (const auto& trigger : action.on) {
      if (trigger != kUserRequirement && !producers.count(trigger)) {
        problems.add(action.line, fmt::format("action {} answers '{}' (on:), which no role produces", name, trigger));
      }
    }
  }
  // Keys that name another role: run_tests' fixer, a chat phase's partner.
  for (const auto& [name, action] : sop.actions) {
    for (const auto& [key, other] : action.role_refs) {
      bool found = std::any_of(sop.roles.begin(), sop.roles.end(), [&](const RoleSpec& r) { return r.name == other; });
      if (!found) {
        std::vector<std::string> names;
        for (const auto& r : sop.roles) names.push_back(r.name);
        problems.add(action.line, fmt::format("action {}: {} '{}' is not a role of this SOP (roles: {})", name, key,
                                              other, fmt::join(names, ", ")));
      }
    }
  }
  if (!sop.roles.empty() && !anyone_starts) {
    problems.add(sop.roles.front().line,
                 fmt::format("no role watches {}, so nothing would start the run; add {} to the 'watch:' of "
                             "the role that starts (e.g. {})",
                             kUserRequirement, kUserRequirement, sop.roles.front().name));
  }

  // Control flow: a reduce needs a fan-out it reduces and a role that hears it; a condition
  // on `exit` or `round` needs a loop (an action with max_rounds) on its edge.
  for (const auto& [name, action] : sop.actions) {
    if (action.reduce.empty()) continue;
    const ActionSpec* reduced = sop.action(action.reduce);
    if (!reduced || reduced->fan_out.empty()) {
      problems.add(action.line, fmt::format("action {} reduces '{}', which is not an action with fan_out: a reduce "
                                            "needs a fan-out to gather",
                                            name, action.reduce));
      continue;
    }
    for (const auto& role : sop.roles) {
      const bool runs = std::find(role.actions.begin(), role.actions.end(), name) != role.actions.end();
      const bool hears = std::find(role.watch.begin(), role.watch.end(), action.reduce) != role.watch.end();
      if (runs && !hears)
        problems.add(role.line, fmt::format("role {} runs {}, which reduces {}, but does not watch {}", role.name, name,
                                            action.reduce, action.reduce));
    }
  }
  auto loop_edge = [&](const RoleSpec& role, const std::string& watched) {
    auto it = role.when.find(watched);
    const ActionSpec* action = sop.action(watched);
    return it != role.when.end() && it->second.reads_loop() && action && action->max_rounds > 0;
  };
  for (const auto& role : sop.roles) {
    for (const auto& [watched, condition] : role.when) {
      const ActionSpec* action = sop.action(watched);
      if (condition.reads_loop() && (!action || action->max_rounds == 0))
        problems.add(role.line, fmt::format("role {}: when '{}' reads exit or round, but {} is not a loop (give it "
                                            "max_rounds:, and until: for an early exit)",
                                            role.name, condition.text(), watched));
    }
  }

  // Role graph: an edge R -> S when S watches an action R runs. A cycle is allowed only
  // when it has a bound: a role in it with max_turns, or an edge that is a loop's (the
  // watched action has max_rounds and the edge's condition reads exit or round).
  struct Edge {
    std::string to;
    bool bounded;
  };
  std::map<std::string, std::vector<Edge>> edges;
  for (const auto& role : sop.roles) {
    for (const auto& w : role.watch) {
      for (const RoleSpec* p : producers[w]) edges[p->name].push_back({role.name, loop_edge(role, w)});
    }
  }
  std::map<std::string, const RoleSpec*> by_name;
  for (const auto& role : sop.roles) by_name[role.name] = &role;
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::vector<bool> stack_bounded;  // whether the edge into stack[i] is a loop's bound
  std::set<std::string> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    state[name] = 1;
    stack.push_back(name);
    for (const auto& edge : edges[name]) {
      const std::string& next = edge.to;
      if (state[next] == 1) {
        auto begin = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> cycle(begin, stack.end());
        bool bounded = edge.bounded;
        for (auto i = static_cast<std::size_t>(begin - stack.begin()); i < stack.size(); ++i) {
          bounded = bounded || by_name[stack[i]]->max_turns > 0;
          if (i > static_cast<std::size_t>(begin - stack.begin())) bounded = bounded || stack_bounded[i];
        }
        std::string key = fmt::format("{}", fmt::join(cycle, ","));
        if (!bounded && reported.insert(key).second) {
          cycle.push_back(next);
          problems.add(by_name[next]->line,
                       fmt::format("roles {} form a cycle with no bound; give the action that closes it "
                                   "'max_rounds:' (and 'until:') and watch it with 'when: not exit', or set "
                                   "'max_turns:' on one of the roles",
                                   fmt::join(cycle, " -> ")));
        }
      } else if (state[next] == 0) {
        stack_bounded.resize(stack.size() + 1);
        stack_bounded[stack.size()] = edge.bounded;
        visit(next);
      }
    }
    stack.pop_back();
    state[name] = 2;
  };
  for (const auto& role : sop.roles) {
    if (state[role.name] == 0) visit(role.name);
  }

  // Unreachable roles: nothing that starts from the user's requirement can reach them by
  // what they watch, their topics, or a chat or fix that names them. A breadth-first walk
  // over indexes, so a graph of many roles is checked in linear time.
  std::unordered_map<std::string, std::vector<const RoleSpec*>> by_watch, by_topic, partners_of_action;
  std::vector<const RoleSpec*> queue;
  std::unordered_set<const RoleSpec*> reached_set;
  auto reach = [&](const RoleSpec* role) {
    if (reached_set.insert(role).second) queue.push_back(role);
  };
  for (const auto& role : sop.roles) {
    for (const auto& w : role.watch) by_watch[w].push_back(&role);
    for (const auto& t : role.topics) {
      if (t.find('{') != std::string::npos) reach(&role);  // a population's templated topic: not followed
      else by_topic[t].push_back(&role);
    }
  }
  for (const auto& [name, action] : sop.actions) {
    for (const auto& [key, other] : action.role_refs) {
      if (auto it = by_name.find(other); !other.empty() && it != by_name.end()) partners_of_action[name].push_back(it->second);
    }
  }
  for (const RoleSpec* r : by_watch[kUserRequirement]) reach(r);
  std::unordered_set<std::string> heard_actions, heard_topics;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const RoleSpec* role = queue[i];
    for (const auto& a : role->actions) {
      for (const RoleSpec* partner : partners_of_action[a]) reach(partner);
      if (!heard_actions.insert(a).second) continue;
      for (const RoleSpec* r : by_watch[a]) reach(r);
    }
    if (!role->publish_topic.empty() && heard_topics.insert(role->publish_topic).second)
      for (const RoleSpec* r : by_topic[role->publish_topic]) reach(r);
  }
  if (anyone_starts) {
    for (const auto& role : sop.roles) {
      if (!reached_set.count(&role))
        problems.add(role.line, fmt::format("role {} can never act: nothing that starts from {} reaches what it "
                                            "watches{}",
                                            role.name, kUserRequirement,
                                            role.watch.empty() ? std::string()
                                                               : fmt::format(" ({})", fmt::join(role.watch, ", "))));
    }
  }
}

// How deep subgraphs may nest: a SOP that embeds itself stops here with a message.
constexpr int kMaxSubgraphDepth = 4;
thread_local int subgraph_depth = 0;

// `subgraphs: {PREFIX: {sop: NAME_OR_PATH, start_on: [ACTION, ...]}}`: the embedded SOP's
// roles and actions join this one, named PREFIX.NAME; what they watched of the user's
// requirement they watch of start_on instead, so the subgraph starts when one of those
// actions publishes. A relative path is taken from this SOP's folder first.
void embed_subgraphs(const YAML::Node& node, Sop& sop, const ActionCatalog& catalog, const PromptLibrary& prompts,
                     Problems& problems) {
  if (!node.IsMap()) {
    problems.add(node, "subgraphs: must map a name (the prefix of its roles and actions) to {sop: ..., start_on: [...]}");
    return;
  }
  for (const auto& kv : node) {
    const std::string prefix = kv.first.as<std::string>();
    const YAML::Node& def = kv.second;
    if (!def.IsMap()) {
      problems.add(kv.first, fmt::format("subgraph {}: give sop: (a SOP name or file) and start_on: (actions)", prefix));
      continue;
    }
    check_keys(def, {"sop", "start_on"}, "subgraph " + prefix, problems);
    const std::string ref = scalar(def["sop"], "sop", problems);
    std::vector<std::string> start_on = string_list(def["start_on"], "start_on", problems);
    if (ref.empty() || start_on.empty()) {
      problems.add(kv.first, fmt::format("subgraph {} needs sop: and start_on: (the actions that start it)", prefix));
      continue;
    }
    if (subgraph_depth >= kMaxSubgraphDepth) {
      problems.add(kv.first, fmt::format("subgraph {}: subgraphs nest deeper than {} (does a SOP embed itself?)", prefix,
                                         kMaxSubgraphDepth));
      continue;
    }
    std::string path = ref;
    if (const auto beside = std::filesystem::path(sop.source).parent_path() / ref;
        !std::filesystem::path(ref).is_absolute() && std::filesystem::exists(beside))
      path = beside.string();
    ++subgraph_depth;
    Result<Sop> inner = load_sop(path, catalog, prompts);
    --subgraph_depth;
    if (!inner) {
      problems.add(kv.first, fmt::format("subgraph {} ({}):\n{}", prefix, ref, inner.error().message));
      continue;
    }
    auto renamed = [&](const std::string& name) { return prefix + "." + name; };
    auto entry = [&](const std::vector<std::string>& names) {
      std::vector<std::string> out;
      for (const auto& n : names) {
        if (n == kUserRequirement) out.insert(out.end(), start_on.begin(), start_on.end());
        else out.push_back(renamed(n));
      }
      return out;
    };
    for (auto& [name, action] : inner->actions) {
      ActionSpec copy = action;
      copy.name = renamed(name);
      copy.on = entry(action.on);
      copy.line = line_of(kv.first);
      if (!copy.reduce.empty()) copy.reduce = renamed(copy.reduce);
      for (auto& [key, role] : copy.role_refs) {
        role = renamed(role);
        copy.params[key] = role;
      }
      if (!copy.answerer.empty()) copy.answerer = renamed(copy.answerer);
      if (!sop.actions.emplace(copy.name, std::move(copy)).second)
        problems.add(kv.first, fmt::format("subgraph {}: action {} already exists", prefix, renamed(name)));
    }
    for (const auto& role : inner->roles) {
      RoleSpec copy = role;
      copy.name = renamed(role.name);
      copy.line = line_of(kv.first);
      for (auto& a : copy.actions) a = renamed(a);
      copy.watch = entry(role.watch);
      copy.when.clear();
      for (const auto& [watched, condition] : role.when)
        for (const auto& name : entry({watched})) copy.when.emplace(name, condition);
      if (std::any_of(sop.roles.begin(), sop.roles.end(), [&](const RoleSpec& r) { return r.name == copy.name; }))
        problems.add(kv.first, fmt::format("subgraph {}: role {} already exists", prefix, copy.name));
      sop.roles.push_back(std::move(copy));
    }
  }
}

}  // namespace

Result<Sop> parse_sop(const std::string& raw_yaml_text, const std::string& source_name,
                      const ActionCatalog& catalog, const PromptLibrary& prompts) {
  std::string yaml_text = raw_yaml_text;
  if (first_invalid_utf8(yaml_text)) {
    Utf8Repair repair = repair_utf8(yaml_text);
    spdlog::warn("{}:{}: {}", source_name, repair.first_line, describe_utf8_repair(repair));
    yaml_text = std::move(repair.text);
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return make_error("sop", fmt::format("{}:{}: YAML syntax error: {}", source_name, e.mark.line + 1, e.msg));
  }
  Problems problems{source_name, {}};
  Sop sop;
  sop.source = source_name;
  if (!root.IsMap()) return make_error("sop", source_name + ": a SOP is a YAML map with 'roles:' and 'actions:'");

  try {
    check_keys(root, {"name", "description", "roles", "actions", "graph", "subgraphs"}, "the SOP", problems);
    sop.name = scalar(root["name"], "name", problems, std::filesystem::path(source_name).stem().string());
    sop.description = scalar(root["description"], "description", problems);

    const YAML::Node actions = root["actions"];
    if (!actions.IsMap()) {
      problems.add(actions.IsDefined() ? line_of(actions) : 0, "'actions:' must map action names to their definitions");
    } else {
      for (const auto& kv : actions) {
        ActionSpec spec;
        spec.name = kv.first.as<std::string>();
        spec.line = line_of(kv.first);
        const YAML::Node& def = kv.second;
        if (!def.IsMap()) {
          problems.add(kv.first, fmt::format("action {} must be a map with at least 'type:'", spec.name));
          continue;
        }
        spec.type = scalar(def["type"], "type", problems);
        const ActionTypeInfo* type = catalog.find_type(spec.type);
        if (!type) {
          problems.add(def["type"].IsDefined() ? def["type"] : kv.first,
                       fmt::format("action {} has unknown type '{}' (known types: {})", spec.name, spec.type,
                                   fmt::join(catalog.names(), ", ")));
          continue;
        }
        std::set<std::string> allowed{"type",  "prompt",  "schema",       "description", "on",    "model",
                                      "reads", "until",   "max_rounds",   "fan_out",     "reduce", "max_parallel"};
        allowed.insert(type->param_keys.begin(), type->param_keys.end());
        check_keys(def, allowed, "action " + spec.name, problems);
        spec.prompt = scalar(def["prompt"], "prompt", problems);
        spec.on = string_list(def["on"], "on", problems);
        spec.model = scalar(def["model"], "model", problems);
        parse_flow_keys(def, spec, problems);
        check_model_name(def["model"], "action " + spec.name, spec.model, problems);
        if (type->needs_prompt && spec.prompt.empty()) {
          problems.add(kv.first, fmt::format("action {} needs 'prompt:' (a template name under actions/prompts/)", spec.name));
        } else if (!spec.prompt.empty() && !prompts.find(spec.prompt)) {
          problems.add(def["prompt"], fmt::format("action {}: prompt template '{}' not found ({})", spec.name,
                                                  spec.prompt, prompts.origin(spec.prompt)));
        }
        if (def["schema"].IsDefined()) spec.schema = parse_schema(def["schema"], spec.name, problems);
        if (type->needs_schema && spec.schema.fields.empty()) {
          problems.add(kv.first, fmt::format("action {} of type {} needs a 'schema:' with at least one field",
                                             spec.name, spec.type));
        }
        for (const auto& key : type->param_keys) {
          if (!def[key].IsDefined()) continue;
          if (key.ends_with("_prompt") && !def[key].IsScalar()) {
            problems.add(def[key], fmt::format("action {}: {} must name one template, e.g. {}", spec.name, key,
                                               type->slot(key) ? type->slot(key)->default_template : "my_template"));
            continue;
          }
          spec.params[key] = yaml_to_json(def[key], fmt::format("action {}: {}", spec.name, key), problems);
          if (key.ends_with("_prompt") && !prompts.find(spec.params[key].get<std::string>())) {
            problems.add(def[key], fmt::format("action {}: {} template '{}' not found", spec.name, key,
                                               spec.params[key].get<std::string>()));
          }
        }
        for (const auto& key : type->role_keys)
          if (spec.params.contains(key))
            spec.role_refs[key] = spec.params[key].is_string() ? spec.params[key].get<std::string>() : "";
        if (auto it = spec.role_refs.find(type->answerer_key); it != spec.role_refs.end()) spec.answerer = it->second;
        for (const auto& key : type->required_keys)
          if (!spec.params.contains(key))
            problems.add(kv.first, fmt::format("action {} of type {} needs '{}:'", spec.name, spec.type, key));
        if (spec.params.contains("options") &&
            (!spec.params["options"].is_array() || spec.params["options"].size() < 2 ||
             !std::all_of(spec.params["options"].begin(), spec.params["options"].end(),
                          [](const nlohmann::json& o) { return o.is_string() && !o.get<std::string>().empty(); })))
          problems.add(def["options"], fmt::format("action {}: options must list at least two choices, e.g. "
                                                   "[approve, reject]",
                                                   spec.name));
        if (def["reads"].IsDefined()) {
          spec.reads = string_list(def["reads"], "reads", problems);
          spec.reads_given = true;
        }
        if (type->writes_document || (type->param_keys.count("document") && spec.params.contains("document"))) {
          spec.writes = spec.params.contains("document") && spec.params["document"].is_string()
                            ? spec.params["document"].get<std::string>()
                            : spec.name;
        }
        for (const auto& slot : type->slots) {
          std::string chosen = slot.key == "prompt" ? spec.prompt
                               : spec.params.contains(slot.key) && spec.params[slot.key].is_string()
                                   ? spec.params[slot.key].get<std::string>()
                                   : std::string();
          if (chosen.empty()) chosen = slot.default_template;
          if (!chosen.empty()) spec.templates[slot.key] = chosen;
        }
        sop.actions[spec.name] = std::move(spec);
      }
    }

    // Without `reads:`, an action may show every document the SOP writes.
    const auto written = sop.documents();
    for (auto& [name, action] : sop.actions) {
      if (action.reads_given) continue;
      for (const auto& [document, writer] : written) action.reads.push_back(document);
    }

    const YAML::Node roles = root["roles"];
    if (!roles.IsSequence() || roles.size() == 0) {
      problems.add(roles.IsDefined() ? line_of(roles) : 0, "'roles:' must be a non-empty list of roles");
    } else {
      std::set<std::string> names;
      for (const auto& r : roles) {
        RoleSpec role;
        role.line = line_of(r);
        if (!r.IsMap()) {
          problems.add(r, "each role is a map with name, profile, actions and watch");
          continue;
        }
        check_keys(r, {"name", "profile", "goal", "constraints", "actions", "watch", "react_mode",
                       "max_react_loop", "max_turns", "model", "count", "group_size", "topics", "publish_topic",
                       "memory", "tools", "join", "human"},
                   "a role", problems);
        role.name = scalar(r["name"], "name", problems);
        role.profile = scalar(r["profile"], "profile", problems, role.name);
        role.goal = scalar(r["goal"], "goal", problems);
        role.constraints = scalar(r["constraints"], "constraints", problems);
        role.actions = string_list(r["actions"], "actions", problems);
        parse_watch(r["watch"], role, problems);
        if (r["human"].IsDefined()) role.human = r["human"].as<bool>(false);
        role.model = scalar(r["model"], "model", problems);
        check_model_name(r["model"], "role " + role.name, role.model, problems);
        role.max_react_loop = int_value(r["max_react_loop"], "max_react_loop", 5, 1, problems);
        role.max_turns = int_value(r["max_turns"], "max_turns", 0, 0, problems);
        role.count = int_value(r["count"], "count", 1, 1, problems);
        role.group_size = int_value(r["group_size"], "group_size", 1, 1, problems);
        role.topics = string_list(r["topics"], "topics", problems);
        role.publish_topic = scalar(r["publish_topic"], "publish_topic", problems);
        role.memory_limit = static_cast<std::size_t>(int_value(r["memory"], "memory", 0, 0, problems));
        if (r["join"].IsDefined() && r["join"].IsScalar() && r["join"].Scalar() == "all")
          role.join = static_cast<int>(role.watch.size());
        else
          role.join = int_value(r["join"], "join (a number, or all)", 0, 1, problems);
        if (r["tools"].IsDefined()) {
          role.tools = string_list(r["tools"], "tools", problems);
          role.tools_line = line_of(r["tools"]);
          std::set<std::string> seen;
          for (const auto& entry : role.tools) {
            if (auto ref = parse_tool_ref(entry); !ref)
              problems.add(r["tools"], fmt::format("role {}: {}", role.name, ref.error().message));
            else if (!seen.insert(entry).second)
              problems.add(r["tools"], fmt::format("role {}: tool '{}' is listed twice", role.name, entry));
          }
        }
        std::string mode = scalar(r["react_mode"], "react_mode", problems, "by_order");
        if (mode == "by_order") role.react_mode = ReactMode::kByOrder;
        else if (mode == "react") role.react_mode = ReactMode::kReact;
        else problems.add(r["react_mode"], fmt::format("role {}: react_mode must be by_order or react, got '{}'", role.name, mode));
        if (role.name.empty()) problems.add(r, "a role has no name");
        else if (!names.insert(role.name).second) problems.add(r, fmt::format("two roles are named {}", role.name));
        // A role without actions only speaks in other roles' actions (a chat's `with:` names it).
        const bool answers_chats = std::any_of(sop.actions.begin(), sop.actions.end(),
                                               [&](const auto& a) { return a.second.answerer == role.name; });
        if (role.actions.empty() && !answers_chats)
          problems.add(r, fmt::format("role {} has no actions (a role may have none only when a chat action's "
                                      "'with:' names it)",
                                      role.name));
        for (const auto& a : role.actions) {
          if (auto it = sop.actions.find(a); it != sop.actions.end() && it->second.type == "tool_loop" && role.tools.empty())
            problems.add(r, fmt::format("role {} runs {}, a tool_loop action, but lists no tools: add e.g. "
                                        "'tools: [read_file, write_file, run]'",
                                        role.name, a));
          if (!sop.actions.count(a) && actions.IsMap()) {
            std::vector<std::string> known;
            for (const auto& [name, _] : sop.actions) known.push_back(name);
            problems.add(r["actions"], fmt::format("role {} runs unknown action '{}' (defined actions: {})", role.name, a,
                                                   fmt::join(known, ", ")));
          }
        }
        sop.roles.push_back(std::move(role));
      }
    }
    if (root["subgraphs"].IsDefined() && problems.list.empty())
      embed_subgraphs(root["subgraphs"], sop, catalog, prompts, problems);
    if (root["graph"].IsDefined() && problems.list.empty())
      expand_graph(root["graph"], sop, [&](int line, const std::string& text) { problems.add(line, text); });
    if (problems.list.empty()) check_graph(sop, problems);
    if (problems.list.empty()) {
      for (auto& message : check_templates(sop, catalog, prompts)) problems.list.push_back(std::move(message));
    }
  } catch (const YAML::Exception& e) {
    problems.add(e.mark.line + 1, std::string("malformed SOP: ") + e.msg);
  }
  if (!problems.list.empty()) {
    return make_error("sop", fmt::format("{}", fmt::join(problems.list, "\n")));
  }
  // A population's every instance may take a turn: a simulation of a thousand citizens is
  // not cut short by the default --max-rounds 100 (a higher --max-rounds still applies).
  long instances = 0;
  for (const auto& role : sop.roles) instances += std::max(1, role.count);
  if (instances > static_cast<long>(sop.roles.size()))
    sop.min_turns = static_cast<int>(std::max<long>(sop.min_turns, instances));
  return sop;
}

Result<Sop> load_sop(const std::string& name_or_path, const ActionCatalog& catalog,
                     const PromptLibrary& prompts) {
  std::string text;
  if (std::filesystem::exists(name_or_path)) {
    if (!read_file(name_or_path, text)) return make_error("sop", "cannot read SOP file " + name_or_path);
    return parse_sop(text, name_or_path, catalog, prompts);
  }
  std::string builtin = "sop/" + name_or_path + ".yaml";
  if (auto embedded = embedded_resource(builtin)) return parse_sop(*embedded, builtin, catalog, prompts);
  std::vector<std::string> names;
  for (const auto& [path, _] : embedded_resources()) {
    if (path.starts_with("sop/")) names.push_back(std::filesystem::path(std::string(path)).stem().string());
  }
  return make_error("sop", fmt::format("SOP '{}' is neither a file nor a built-in SOP (built-in: {})", name_or_path,
                                       fmt::join(names, ", ")));
}

}  // namespace agentco
