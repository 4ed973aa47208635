// The "document" action type: renders its template with the documents it takes as inputs,
// asks for a structured reply with its schema, and writes docs/<document>.json and .md and
// one resources/<name>.mmd per mermaid field, all in one commit by the role.
//
// The template sees {{idea}}, {{format}} and every document written so far as {{name}}.
// SOP keys: document (name, e.g. "prd"), title, mermaid (field -> resource file stem),
// refine_prompt (the template used instead when the document exists already: incremental
// development on an existing project).
#pragma once
#include <memory>

#include "actions/action.hpp"

namespace agentco {

std::unique_ptr<Action> make_document_action(const ActionSpec& spec);

// Template variables every action gets: {{idea}} and each document of the run by name,
// pretty-printed (strings as they are).
void add_document_vars(const ActionContext& ctx, std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace agentco
