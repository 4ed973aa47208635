// Fuzz target: what a model writes when it calls a tool, and what an MCP server says its tool
// takes. The input is a tool's JSON Schema, a separator line, then a reply's text: the calls
// found in the text (llm/tool_call_text.hpp) have their arguments checked against the schema
// (core/json_schema.hpp), as the tool box does before a tool runs; the schema is checked too.
// Both sides are untrusted: nothing may throw, loop or recurse without bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"
#include "fuzz/fuzz_support.hpp"
#include "llm/tool_call_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  using json = nlohmann::json;
  fuzz::quiet();
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 2);
  json schema = json::parse(parts[0], nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) schema = json{{"type", "object"}};
  const std::string_view reply = parts.size() > 1 ? parts[1] : parts[0];

  (void)check_schema(schema);
  const std::vector<ToolSpec> tools = {{"run", "", schema}, {"read_file", "", schema}};
  const TextToolCalls found = parse_text_tool_calls(reply, tools);
  if (found.calls.empty() && found.text != reply) fuzz::fail("a reply without calls came back changed");
  for (std::size_t i = 0; i < found.calls.size(); ++i) {
    if (found.calls[i].id != "text_call_" + std::to_string(i + 1)) fuzz::fail("call ids are not numbered in order");
    const json arguments = json::parse(found.calls[i].arguments, nullptr, false);
    if (arguments.is_discarded()) continue;
    const auto problems = validate_against_schema(arguments, schema);
    if (problems.size() > 20) fuzz::fail("more problems than max_problems");
    if (problems.empty() != describe_problems(problems).empty()) fuzz::fail("problems without a description");
    // The same inputs give the same problems.
    const auto again = validate_against_schema(arguments, schema);
    if (describe_problems(again) != describe_problems(problems)) fuzz::fail("validation is not deterministic");
  }
  // The reply itself as a value, against the schema.
  const json value = json::parse(reply, nullptr, false);
  if (!value.is_discarded()) (void)validate_against_schema(value, schema);
  return 0;
}
