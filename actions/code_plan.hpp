// CodePlan: which source files to write, in which order, and what each depends on, read
// from the task list (falling back to the design's file list).
//
// Dependencies are inferred from each file's "Logic Analysis" text: a file depends on every
// file listed before it in the task list whose name or stem ("game" for game.py) appears as
// a whole word (e.g. "from game import Game"). Only earlier files count, so the graph has
// no cycles and the task list's order is respected.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco {

struct PlannedFile {
  std::string path;                 // as the model wrote it (checked before writing)
  std::string analysis;             // its Logic Analysis text
  std::vector<std::size_t> deps;    // indices of files it depends on
};

struct CodePlan {
  std::vector<PlannedFile> files;
  std::string language;  // "Python", "C++", "JavaScript", ...
};

CodePlan make_code_plan(const nlohmann::json& tasks, const nlohmann::json& design,
                        const nlohmann::json& prd);

// "python" | "cpp" | "javascript" | ... from a language name or file extension.
std::string language_key(const std::string& language_or_path);

// The parts of a source file another file needs: imports, class/def signatures, top-level
// constants (Python); other languages: declarations up to a size cap.
std::string source_interface(const std::string& path, const std::string& source);

// True when `word` occurs in `text` delimited by non-word characters ('.' and '/' delimit).
bool mentions_word(const std::string& text, const std::string& word);

// True when `text` mentions the file's name or stem as a whole word.
bool mentions_file(const std::string& text, const std::string& path);

// True when QA writes a test file for this source: code in a language with a test runner,
// not a build file, header, test or (C++) the file holding main().
bool is_testable_source(const std::string& path);

// Paths of the test file QA writes for a source file ("game.py" -> "tests/test_game.py").
// `project_sources` are the project's other sources: when one of them shares the file's
// stem ("a/models.py", "b/models.py"), the folders go into the name ("tests/test_a_models.py")
// so that the two tests do not overwrite each other.
std::string test_path_for(const std::string& source_path, const std::vector<std::string>& project_sources = {});

// The keys of a map of sources, for test_path_for.
std::vector<std::string> source_paths(const std::map<std::string, std::string>& sources);

}  // namespace agentco
