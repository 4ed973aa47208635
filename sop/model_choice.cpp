#include "sop/model_choice.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace agentco {
namespace {

// The names a role answers to in llm.models keys, most specific first.
std::vector<std::string> role_keys(const RoleSpec& role) {
  std::vector<std::string> keys{role.name};
  if (role.instance >= 0) {
    if (auto dash = role.name.rfind('-'); dash != std::string::npos) keys.push_back(role.name.substr(0, dash));
  }
  if (!role.profile.empty() && role.profile != role.name) keys.push_back(role.profile);
  return keys;
}

const std::string* find_model(const std::map<std::string, std::string>& models, const std::string& key) {
  auto it = models.find(key);
  return it == models.end() ? nullptr : &it->second;
}

}  // namespace

std::string model_for(const LlmConfig& llm, const RoleSpec& role, const ActionSpec& action) {
  if (!llm.models.empty()) {
    const std::vector<std::string> keys = role_keys(role);
    for (const auto& key : keys)
      if (const std::string* model = find_model(llm.models, key + "/" + action.name)) return *model;
    for (const auto& key : keys)
      if (const std::string* model = find_model(llm.models, key)) return *model;
  }
  if (!action.model.empty()) return action.model;
  if (!role.model.empty()) return role.model;
  return llm.model;
}

std::vector<RoleModel> models_of_calls(const LlmConfig& llm, const Sop& sop) {
  std::vector<RoleModel> out;
  // Seen calls by a hash, not a search of `out`: a graph SOP has 500,000 roles (a search made
  // this quadratic, minutes before a 1,000-node mesh could start).
  std::unordered_set<std::string> seen;
  for (const RoleSpec& spec : sop.roles) {
    std::optional<RoleSpec> first;  // a population's first instance stands for all of them
    if (spec.count > 1) first = role_instances(spec).front();
    const RoleSpec& role = first ? *first : spec;
    for (const std::string& name : role.actions) {
      const ActionSpec* action = sop.action(name);
      if (!action) continue;
      RoleModel call{role.name, role.profile, model_for(llm, role, *action)};
      std::string key = call.role + '\0' + call.profile + '\0' + call.model;
      if (seen.insert(std::move(key)).second) out.push_back(std::move(call));
    }
  }
  return out;
}

Status check_model_overrides(const Config& config, const Sop& sop) {
  std::vector<std::string> problems;
  for (const auto& [key, model] : config.llm.models) {
    const std::string dotted = "llm.models." + key;
    auto origin = config.origin.find(dotted);
    const std::string where = origin == config.origin.end() ? "config" : origin->second;
    const auto slash = key.find('/');
    const std::string role_name = key.substr(0, slash);
    const std::string action_name = slash == std::string::npos ? "" : key.substr(slash + 1);

    std::vector<const RoleSpec*> roles;
    for (const auto& role : sop.roles)
      if (role.name == role_name || role.profile == role_name) roles.push_back(&role);
    if (roles.empty()) {
      std::vector<std::string> known;
      for (const auto& role : sop.roles) known.push_back(fmt::format("{} ({})", role.name, role.profile));
      std::string hint;
      if (sop.actions.count(role_name)) hint = fmt::format("; {} is an action: write ROLE/{}", role_name, role_name);
      problems.push_back(fmt::format("{}: {}: no role '{}' in SOP {} ({}); roles by name (profile): {}{}", where,
                                     dotted, role_name, sop.name, sop.source, fmt::join(known, ", "), hint));
      continue;
    }
    if (action_name.empty()) continue;
    const bool runs = std::any_of(roles.begin(), roles.end(), [&](const RoleSpec* role) {
      return std::find(role->actions.begin(), role->actions.end(), action_name) != role->actions.end();
    });
    if (runs) continue;
    std::vector<std::string> actions;
    for (const RoleSpec* role : roles)
      for (const auto& action : role->actions)
        if (std::find(actions.begin(), actions.end(), action) == actions.end()) actions.push_back(action);
    const char* what = sop.actions.count(action_name) ? "does not run" : "has no action";
    problems.push_back(fmt::format("{}: {}: role {} in SOP {} {} '{}' (its actions: {})", where, dotted, role_name,
                                   sop.name, what, action_name, fmt::join(actions, ", ")));
  }
  if (problems.empty()) return ok_status();
  return make_error("config", fmt::format("{}", fmt::join(problems, "\n")));
}

}  // namespace agentco
