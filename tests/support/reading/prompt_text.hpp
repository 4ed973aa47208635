// How the reading model reads a prompt: Markdown headings and the text under them, fenced
// blocks, the "## Nodes" list of a JSON format section, and values that a document shows
// either as Markdown ("#### Field" then its text) or as JSON ("Field": value).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentco::testing::reading {

struct Heading {
  int level = 0;            // number of '#'
  std::string title;        // trimmed text after the '#'s
  std::size_t body_begin;   // first byte after the heading line
  std::size_t body_end;     // where the next heading of the same or a higher level starts
};

// The headings of `text`, outside fenced blocks, in order.
std::vector<Heading> headings(std::string_view text);

// The text under the first heading whose title starts with `title` (any level), up to the
// next heading of the same or a higher level; nullopt when there is no such heading.
std::optional<std::string> section(std::string_view text, std::string_view title);
// The same, for the last such heading.
std::optional<std::string> last_section(std::string_view text, std::string_view title);
// The text under the last heading titled exactly "Task": what the prompt asks for.
std::string task_section(std::string_view text);
// The title of the first heading that starts with `prefix`, without the prefix.
std::optional<std::string> heading_rest(std::string_view text, std::string_view prefix);

// The body of the first fenced block in `text` (``` or longer), without its fence lines.
std::optional<std::string> first_fence(std::string_view text);

// Fenced blocks each preceded by a "#### name" heading: (name, body). A name ending in
// " (interface)" keeps only the name.
std::vector<std::pair<std::string, std::string>> named_fences(std::string_view text);

// The "- Key: type  # instruction" lines of a format section: (key, type).
std::vector<std::pair<std::string, std::string>> format_nodes(std::string_view text);

// The value of a document field shown in `text`: the body under "#### field" (Markdown), or
// the JSON value of "field" (a string's text; lists joined one item a line). nullopt when
// the prompt shows neither.
std::optional<std::string> shown_field(std::string_view text, std::string_view field);

// The items of a Markdown list ("- a", "1. b") or of a JSON array text, one per entry.
std::vector<std::string> list_items(std::string_view text);

std::string trim(std::string_view text);
std::vector<std::string> lines(std::string_view text);
// FNV-1a: the reading model's only source of variety, so that replies are deterministic.
std::uint64_t fnv(std::string_view text);

}  // namespace agentco::testing::reading
