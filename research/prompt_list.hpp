// The prompts of an experiment (`agentco bench`), read from a file:
// - `.csv`: RFC 4180 with a header line. The idea is the `Description` column and the run's
//   name the `Name` column when the header has them (case-insensitive; SRDD's format), else
//   the idea is the first column. Quoted fields may hold commas, doubled quotes and newlines.
//   Rows whose fields are all empty are skipped.
// - anything else: one prompt per non-empty line; lines starting with `#` are comments.
// Errors name the file and line: unterminated or stray quotes, a row with a different number
// of fields than the header, an empty idea, invalid UTF-8, no prompts at all. Pure functions.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentco {

struct Prompt {
  int id = 0;        // 1-based, in file order
  std::string name;  // the Name column, or empty
  std::string idea;  // what the run is asked to build
  int line = 0;      // where it starts in the file
};

enum class PromptFormat { text, csv };

// Chooses the format from the file name (`.csv`, any case, is CSV).
PromptFormat prompt_format_of(const std::filesystem::path& file);

// Parses `text`; `label` (usually the file name) prefixes error messages ("label:line: ...").
Result<std::vector<Prompt>> parse_prompt_list(std::string_view text, PromptFormat format,
                                              const std::string& label);

// Reads and parses a file.
Result<std::vector<Prompt>> read_prompt_list(const std::filesystem::path& file);

// A short readable name for a prompt: its name, else the idea's first words.
std::string prompt_label(const Prompt& prompt);

}  // namespace agentco
