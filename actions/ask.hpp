// How actions talk to the model: the role's system prompt, template rendering, plain
// calls, and structured calls that re-ask with the parse error until the reply is usable.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "actions/structured_output.hpp"
#include "llm/provider.hpp"

namespace agentco {

// "You are Alice, a Product Manager. Your goal is ... Constraints: ..."
std::string system_prompt(const RoleSpec& role);

// A request with the role's system prompt, a user prompt that is no template (e.g. choosing
// the next action), the call's model and hints {role, action, ...extra}. Templated steps use
// build_request() (actions/prompt.hpp).
ChatRequest make_request(const ActionContext& ctx, std::string user_prompt, nlohmann::json hints);

boost::asio::awaitable<Result<ChatResult>> ask_text(ActionContext& ctx, ChatRequest request);

// Asks, extracts and validates; on an unusable reply, re-asks with the error up to
// config llm.repair_attempts times. Error "parse" after the last try names the action and
// the last problem.
boost::asio::awaitable<Result<StructuredReply>> ask_structured(ActionContext& ctx,
                                                               ChatRequest request,
                                                               const OutputSchema& schema);

// The schema as JSON for hints: [{"name":..., "type":...}, ...].
nlohmann::json schema_hint(const OutputSchema& schema);

}  // namespace agentco
