// The tool loop (SOP action type `tool_loop`): a role that works with its tools. It shows the
// model its task and its role's tools (SOP `tools:`, tools/tool_hub.hpp), then repeats
// think -> call -> observe: every tool call the reply asks for runs (checked against its
// schema, traced, its result cut to tools.result_cap), its result goes back as a `tool`
// message, and the model is asked again, until it answers without a call (its final answer,
// published) or max_steps model calls have been made (said in a warning and in the output,
// not an error). Files a call writes are committed after it, with the role as author.
// The budget and Ctrl-C stop it between calls, as any model call (the gateway's errors); a
// conversation that outgrows the model's context window drops its oldest tool results first
// (each said in a `context_drop` record and in the message the model reads).
#pragma once
#include "actions/action.hpp"

namespace agentco {

ActionType tool_loop_action_type();

}  // namespace agentco
