// The `chat` action type: a two-agent chat phase, as CAMEL and ChatDev run them. The role
// that runs it instructs; the role its `with:` key names answers. The phase prompt (the
// template, with {{idea}} and {{messages}}) is the instructor's first message; the two then
// take turns, the assistant answering and the instructor replying, until the assistant
// starts a reply with the phase's `end_marker` (default "<INFO>") or has answered
// `max_turns` times (default 3). What follows the marker (or, at the bound, the last
// answer, with a warning) is the phase's conclusion: the action publishes it. Each side sees
// its own system prompt and the other's words as the user's; each call is traced as the
// speaking role's, so `stats` counts it for that role and a replay answers it.
// The template may show {{code_listing}} (the project's source files so far). With
// `writes_files: yes` the assistant is asked for whole files ("name" then a fenced block,
// as ChatDev asks), and the files its answers give are written, committed as its, and
// listed in the payload (files, and incomplete: those still holding a placeholder), so a
// later phase can fan out over them. A one-answer phase (max_turns: 1) needs no marker.
// `document: NAME` keeps the conclusion as the document NAME, which later templates that
// read it show as {{NAME}}. `review: yes` records the phase as a code review round (LGTM
// when the answer concluded "Finished"), as QA's reviews and ChatDev's are recorded.
#pragma once
#include "actions/action.hpp"

namespace agentco {

ActionType chat_action_type();

}  // namespace agentco
