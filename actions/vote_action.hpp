// The `vote` action type: a majority vote of N agents. The role's model is asked `voters:`
// times (default 3), each time as a separate voter with the same question (the template,
// with {{idea}} and {{messages}}) and the `options:` to choose from; each ballot is the
// option its answer names first (an answer that names none abstains). The option with
// most votes wins; a tie goes to the option listed first. The action publishes the winner
// as its content and {decision, votes: {option: count}, ballots: [...]} as its payload, so
// that conditional edges can route on it: `when: payload.decision == 'approve'`.
#pragma once
#include <string>
#include <vector>

#include "actions/action.hpp"

namespace agentco {

ActionType vote_action_type();

// The option `answer` names first (whole words, any case), or "" when it names none.
std::string ballot_of(const std::string& answer, const std::vector<std::string>& options);

}  // namespace agentco
