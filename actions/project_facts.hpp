// What the project is, as prompts show it: facts read from the run's documents and files,
// written once here so that every step says them the same way (and the prompts that say them
// keep a stable, cacheable prefix).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "actions/prompt.hpp"

namespace agentco {

class RunContext;

// The third-party packages the task list names, in requirements.txt form, keeping only
// entries that look like packages ("No third-party dependencies required" is prose).
std::vector<std::string> required_packages(const RunContext& run);

// The same as a prompt shows it: one "- name" a line, or a line saying there are none.
std::string packages_text(const RunContext& run);

// The file that starts the program, as the design's file list names it ("main.py", ...); ""
// when the list names none for the language.
std::string planned_entry_point(const RunContext& run, const std::string& language);

// How QA runs the project's code: where, with which commands, what is installed, what a test
// file looks like and which framework it may use (one that QA's build really links).
std::string run_instructions(const RunContext& run, const std::string& language);

// The file's row of the task list ("Logic Analysis"), or a line saying it has none.
std::string file_task(const RunContext& run, const std::string& path);

// How a reply holding one file must look, with a short concrete example in the language;
// the same text for every file of a language (`path` only picks the language when it differs).
std::string code_format(const std::string& language, const std::string& path);

// Files shown as a prompt's input in three sizes: full code, interfaces, names.
std::vector<SizedText> files_in_sizes(const std::vector<std::pair<std::string, std::string>>& files,
                                      const std::string& empty_text);

// A file in a fenced block whose fence cannot clash with the file's own backticks.
std::string fenced(const std::string& path, const std::string& code);

}  // namespace agentco
