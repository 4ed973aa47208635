// Small text helpers shared across domains.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace agentco {
// The longest line (or value) a std::regex may be run on when the text comes from a model.
// libstdc++'s regex engine recurses once per character it matches, so a single line of a
// few hundred kilobytes overflows the stack; no line worth matching is this long.
inline constexpr std::size_t kRegexInputLimit = 4096;
}  // namespace agentco

namespace agentco {

// "Write a CLI Snake game!" -> "write_a_cli_snake_game": lower-case ASCII letters, digits
// and single underscores, at most `max_length` bytes, never empty ("project" instead).
std::string slugify(std::string_view text, std::size_t max_length = 48);

// Prompt templates: a variable is "{{name}}" (blanks inside the braces allowed), the name
// a letter or '_' then letters, digits or '_'; any other "{{" is plain text.
struct TemplateVariable {
  std::string name;
  int line = 0;  // 1-based
};

// The variables of a template, in order of appearance (repeats included).
std::vector<TemplateVariable> template_variables(std::string_view templ);

// Replaces every variable by value(name); where value returns nullptr the variable is left as
// it is. Values are inserted as they are (a value holding "{{x}}" is not expanded again).
std::string fill_template(std::string_view templ, const std::function<const std::string*(std::string_view)>& value);

// fill_template with a list of (name, value); the first entry of a name wins.
std::string render_template(std::string_view templ,
                            const std::vector<std::pair<std::string, std::string>>& vars);

// The lines of `text` without their "\n" (or "\r\n"); text ending in "\n" gives a last empty line.
std::vector<std::string> split_lines(std::string_view text);

// ASCII lower case.
std::string to_lower(std::string_view text);

// `text` without leading and trailing white space.
std::string_view trim_view(std::string_view text);

// Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a typo of it, else "".
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

// Current UTC time as ISO 8601 with milliseconds ("2026-11-27T16:03:12.345Z").
std::string iso_timestamp_now();

// Local time as "YYYYmmdd_HHMMSS", used in warehouse folder names.
std::string folder_timestamp_now();

// Reads a whole file; returns false when it cannot be opened.
bool read_file(const std::string& path, std::string& out);

}  // namespace agentco
