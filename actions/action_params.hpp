// Reading an action's own SOP keys (ActionSpec::params). YAML scalars arrive as text, so
// "30" and "true" are what these usually see; a JSON number or boolean is taken too.
#pragma once
#include <string>

#include "sop/sop.hpp"

namespace agentco {

// A whole number key: at most `max` (a larger one is cut to it), `fallback` when absent, not
// a whole number, or not above 0.
int positive_int_param(const ActionSpec& spec, const std::string& key, int fallback, int max);

// A yes/no key: true for true, "true", "yes", "on"; false otherwise and when absent.
bool yes_param(const ActionSpec& spec, const std::string& key);

}  // namespace agentco
