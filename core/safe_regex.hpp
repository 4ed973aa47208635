// Regular expressions from untrusted hands (a model's search pattern, an MCP server's schema)
// run on untrusted text. std::regex as it is backtracks: "(a+)+b" on 4 KB of "a" never ends,
// and it recurses once per character. Here a pattern is refused when it has back-references
// or, with its repetitions expanded, more than `cost_limit` states; the rest run in
// libstdc++'s polynomial mode (breadth-first, no backtracking), wrapped so that one
// regex_match finds the pattern anywhere in the text (regex_search would restart at every
// offset). Callers still keep texts to kRegexInputLimit bytes (core/text.hpp): matching takes
// time proportional to the text's length times the pattern's size. ECMAScript syntax; bytes,
// not characters ("." matches one byte of a multi-byte character).
#pragma once
#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace agentco {

struct SafeRegex {
  std::optional<std::regex> regex;  // matches a whole text that contains the pattern
  std::size_t cost = 0;             // about the number of states, repetitions expanded
  std::string problem;              // why there is no regex: "uses a back-reference, ...", "does not compile ..."
};

SafeRegex compile_safe_regex(const std::string& source, std::size_t cost_limit = 1000);

// Whether the pattern occurs in `text` (false when it did not compile).
bool safe_regex_search(const SafeRegex& pattern, std::string_view text);

}  // namespace agentco
