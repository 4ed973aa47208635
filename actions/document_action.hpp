// The "document" action type: renders its template with the documents it reads, asks for a
// structured reply with its schema, and writes docs/<document>.json and .md and one
// resources/<name>.mmd per mermaid field, all in one commit by the role.
//
// Its templates see {{idea}}, {{format}} and the documents the action reads ({{prd}}, ...).
// SOP keys: document (name, e.g. "prd"), title, mermaid (field -> resource file stem),
// refine_prompt (the template used instead when the document exists already: incremental
// development on an existing project), brief (the fields kept when a prompt showing the
// document must be shortened to fit a model's context window).
#pragma once

#include "actions/action.hpp"

namespace agentco {

ActionType document_action_type();

}  // namespace agentco
