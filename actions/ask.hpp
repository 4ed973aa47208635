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

using TemplateVars = std::vector<std::pair<std::string, std::string>>;

// "You are Alice, a Product Manager. Your goal is ... Constraints: ..."
std::string system_prompt(const RoleSpec& role);

// Renders the action's template (or `template_name` when given). Error "sop" when the
// template cannot be found (the SOP loader normally catches that first).
Result<std::string> render_action_prompt(const ActionContext& ctx, const TemplateVars& vars,
                                         const std::string& template_name = {});

// A request with the role's system prompt, the user prompt, the action's model (else the
// role's, else the run's)
// and hints {role, action, ...extra}.
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
