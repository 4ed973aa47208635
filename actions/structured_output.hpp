// The structured-output layer: turns a model's free-form reply into validated JSON.
//
// Models are asked for JSON between [CONTENT] and [/CONTENT]. Real replies wrap it in
// chatter, code fences and <think> blocks, forget the closing tag, leave trailing commas or
// raw newlines inside strings. extract_structured() strips, extracts, repairs and validates;
// its error text is written to be sent back to the model in a re-ask.
// Model output is untrusted input: nothing here throws on any reply.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "sop/output_schema.hpp"

namespace agentco {

struct StructuredReply {
  nlohmann::json value;               // a JSON object holding every required field
  std::vector<std::string> repairs;   // what was repaired, e.g. "removed 2 trailing commas"
};

// Removes <think>...</think> blocks (and an unterminated leading <think> up to the first
// [CONTENT] or '{'); returns the answer part.
std::string strip_think(std::string_view reply);

// Steps: strip think blocks; take the text between [CONTENT] and [/CONTENT] (the last
// complete pair; a missing closing tag takes the rest); else the outermost {...}; strip code
// fences; parse; on failure repair (trailing commas, raw newlines/tabs in strings, missing
// closing braces/brackets at the end) and parse again; validate keys and types.
// Error code "parse" with a message listing every problem found, e.g.
// "missing key \"File list\"; key \"Task list\" must be list[str], got string".
Result<StructuredReply> extract_structured(std::string_view reply, const OutputSchema& schema);

// The text that tells the model what to produce: the keys with types and instructions,
// then a format example "[CONTENT]\n{...}\n[/CONTENT]".
std::string format_instructions(const OutputSchema& schema);

// The code of a reply asked to contain one file: the body of the fenced block (```lang ...```)
// that is longest, or the whole reply without think blocks when there is no fence.
std::string extract_code(std::string_view reply);

}  // namespace agentco
