// Small text helpers shared across domains.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace agentco {

// "Write a CLI Snake game!" -> "write_a_cli_snake_game": lower-case ASCII letters, digits
// and single underscores, at most `max_length` bytes, never empty ("project" instead).
std::string slugify(std::string_view text, std::size_t max_length = 48);

// Replaces every "{{name}}" in `templ` by vars[name]; unknown names are left as they are.
std::string render_template(std::string_view templ,
                            const std::vector<std::pair<std::string, std::string>>& vars);

// Current UTC time as ISO 8601 with milliseconds ("2026-11-27T16:03:12.345Z").
std::string iso_timestamp_now();

// Local time as "YYYYmmdd_HHMMSS", used in warehouse folder names.
std::string folder_timestamp_now();

// Reads a whole file; returns false when it cannot be opened.
bool read_file(const std::string& path, std::string& out);

}  // namespace agentco
