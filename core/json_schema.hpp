// Checks the arguments of a tool call, which a language model wrote, against the tool's
// inputSchema, which may come from a third-party MCP server: neither side is trusted.
// Hand-written because no Debian 12 package provides a C++ JSON Schema validator for
// nlohmann::json (the only nlohmann package there, nlohmann-json3-dev, is the parser).
//
// Supported: the subset of draft-07 and 2020-12 that tool schemas use (zod-to-json-schema
// output of MCP servers, OpenAI function schemas):
//   true / false; type (a name or a list; "integer" takes 3 and 3.0, not 3.5); enum, const;
//   properties, required, additionalProperties, patternProperties, propertyNames,
//   minProperties, maxProperties; items (a schema, or draft-07's list with additionalItems),
//   prefixItems, minItems, maxItems, uniqueItems; minimum, maximum, exclusiveMinimum,
//   exclusiveMaximum (numbers, or draft-4's booleans), multipleOf; minLength, maxLength (in
//   code points); pattern (ECMAScript, searched anywhere in the string); allOf, anyOf, oneOf,
//   not, if/then/else; $ref to "#", "#/$defs/X", "#/definitions/X" or any other JSON Pointer in
//   the same document (~0, ~1 and %XX decoded), with sibling keywords applied as in 2020-12.
// Ignored, so they accept anything: annotations (title, description, default, examples,
//   $schema, $id, format), keywords not listed above (contains, dependentRequired,
//   unevaluatedProperties, $anchor, ...), remote $refs and $refs that do not resolve, and
//   keywords whose own value is malformed (a "required" that is no list, a pattern that does
//   not compile). check_schema() names each of the last three.
// Patterns run in std::regex's polynomial mode on strings of at most kRegexInputLimit bytes
// (core/text.hpp); a longer string is reported, not matched. std::regex sees bytes, so "."
// and classes match single bytes of a non-ASCII character. Patterns with back-references,
// or whose expansion ({n,m} included) exceeds about 1000 states, are refused as unsafe.
//
// Bounds, since both inputs are untrusted: the value is followed at most 64 levels deep,
// subschemas nest at most 256 deep ($ref hops included, so {"$ref":"#"} ends), and one call
// does a bounded amount of work (anyOf inside anyOf grows exponentially otherwise); reaching
// a bound is reported as a problem, so the value is not accepted. Nothing here throws; the
// same inputs always give the same problems in the same order. Stateless and thread-safe.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentco {

struct SchemaProblem {
  std::string path;     // JSON Pointer into the value: "" is the value itself, "/edits/0/oldText"
  std::string message;  // for the model: "expected string, got number 3"
};

// Every problem of `value` against `schema`, sorted by path in document order (array
// indices as numbers), at most `max_problems` (0 is taken as 1): empty when `value` conforms.
std::vector<SchemaProblem> validate_against_schema(const nlohmann::json& value, const nlohmann::json& schema,
                                                   std::size_t max_problems = 20);

// One line a model can act on: "/path: expected string, got number 3; /x: missing required
// property \"y\"" (a problem of the value itself has no path prefix); "" when there are none.
std::string describe_problems(const std::vector<SchemaProblem>& problems);

// Problems of the schema itself, each "#<JSON Pointer into the schema>: <what>": not an object
// or boolean, an unknown type name, a $ref that is remote, does not resolve or loops, a
// malformed keyword value, a pattern that does not compile or is unsafe, a schema too large to
// check completely (the same work bound as validation). At most 50, in document order; empty
// when the schema is usable as it is.
std::vector<std::string> check_schema(const nlohmann::json& schema);

}  // namespace agentco
