#include "sop/role_llms.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace agentco {

Status bind_role_llms(Config& config, const Sop& sop) {
  LlmConfig& llm = config.llm;
  for (const std::string& key : llm.models_from_roles) {
    llm.models.erase(key);
    config.origin.erase("llm.models." + key);
  }
  llm.models_from_roles.clear();

  for (const RoleSpec& role : sop.roles) {
    const RoleLlm* entry = role_llm_for(config.roles, role.name, role.profile);
    if (!entry || entry->model.empty()) continue;
    if (llm.models.count(role.name) || (!role.profile.empty() && llm.models.count(role.profile))) continue;
    llm.models[role.name] = entry->model;
    llm.models_from_roles.insert(role.name);
    config.origin["llm.models." + role.name] = entry->origin;
  }

  std::vector<std::string> problems;
  for (const RoleLlm& entry : config.roles) {
    bool named = false;
    for (const RoleSpec& role : sop.roles)
      named = named || role_entry_match(entry.role, role.name, role.profile) > 0;
    if (named) continue;
    std::vector<std::string> known;
    for (const RoleSpec& role : sop.roles) known.push_back(fmt::format("{} ({})", role.name, role.profile));
    problems.push_back(
        fmt::format("{}: roles: role '{}' names no role of SOP {} ({}); roles by name (profile), "
                    "also written as MetaGPT class names (ProductManager): {}",
                    entry.origin, entry.role, sop.name, sop.source, fmt::join(known, ", ")));
  }
  if (problems.empty()) return ok_status();
  return make_error("config", fmt::format("{}", fmt::join(problems, "\n")));
}

}  // namespace agentco
