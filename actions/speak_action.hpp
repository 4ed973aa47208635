// The `speak` action type: one plain model call per turn, for simulations. The template
// sees {{messages}} (the turn's new messages, "sender: content" a line, at most the last
// `max_context` of them, default 8) and {{topic}} (where the reply goes); the
// reply is published as it is (cause_by = the action, topic = the role's publish_topic).
#pragma once
#include <memory>

#include "actions/action.hpp"

namespace agentco {

ActionType speak_action_type();

}  // namespace agentco
