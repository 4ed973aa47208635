// Which model a call uses, and the check of the config's llm.models against a SOP.
//
// The order, first that is set wins:
//   1. llm.models["<role>/<action>"]  config, per role and action
//   2. llm.models["<role>"]           config, per role
//   3. the SOP action's `model:`
//   4. the SOP role's `model:`
//   5. llm.model                      (--model, AGENTCO_LLM_MODEL, config files, default)
// <role> is the role's name or its profile, the name tried first; an instance of a population
// ("Citizen-7") also answers to the population's name ("Citizen"). Pure functions.
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "sop/sop.hpp"

namespace agentco {

std::string model_for(const LlmConfig& llm, const RoleSpec& role, const ActionSpec& action);

// One kind of model call a SOP's roles make: the role's name and profile, and the model.
struct RoleModel {
  std::string role;
  std::string profile;
  std::string model;
  bool operator==(const RoleModel&) const = default;
};
// Every distinct RoleModel of the calls the SOP's roles make for their actions with this
// config, in the SOP's order (the first instance of a population stands for all of them).
std::vector<RoleModel> models_of_calls(const LlmConfig& llm, const Sop& sop);

// Every llm.models key names a role of `sop` (by name or profile) and, after a slash, an
// action that role runs. On failure one error, a line per bad key, each starting with where
// the key was set: "my.yaml:7: llm.models.Architekt: no role 'Architekt' in SOP ...".
Status check_model_overrides(const Config& config, const Sop& sop);

}  // namespace agentco
