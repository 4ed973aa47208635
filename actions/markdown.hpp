// Renders structured documents (PRD, design, tasks) as Markdown for people.
#pragma once
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "actions/structured_output.hpp"

namespace agentco {

// "# title", then one "## key" section per field in schema order (then any extra keys):
// strings as text (mermaid fields as ```mermaid blocks), lists as bullets, lists of pairs
// as tables, other values as JSON blocks.
std::string document_markdown(const std::string& title, const nlohmann::json& document,
                              const OutputSchema& schema, const std::set<std::string>& mermaid_fields);

}  // namespace agentco
