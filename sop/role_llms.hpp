// The config's `roles:` entries (MetaGPT's per-role llm) bound to the roles of a SOP.
//
// - Every entry must name a role of the SOP by its name, its population's name or its
//   profile, as MetaGPT writes class names or not ("ProductManager", "Product Manager",
//   "Alice"; see role_entry_match in config/config.hpp). Entries that name none are one error,
//   a line per entry starting with where it was set, like unknown llm.models keys.
// - A role governed by an entry with a model gets it as llm.models[<role's name>] (listed in
//   llm.models_from_roles, which to_json leaves out), unless llm.models already names a model
//   for the role by its name or profile: agentco's own key is the deliberate choice, and
//   ROLE/ACTION keys stay more specific either way.
// - Binding again (a resumed run's config) first drops what the last binding added.
// Which server a role's calls go to is decided per call by the routing provider
// (llm/routing_provider.hpp). Pure function of config and SOP.
#pragma once
#include "config/config.hpp"
#include "core/result.hpp"
#include "sop/sop.hpp"

namespace agentco {

Status bind_role_llms(Config& config, const Sop& sop);

}  // namespace agentco
