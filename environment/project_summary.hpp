// What a project folder holds: its files (without git, the trace and meta.json) and
// its lines of code.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace agentco {

struct ProjectSummary {
  std::vector<std::string> files;  // relative paths, sorted
  long lines_of_code = 0;          // non-blank lines of source files (not docs, not tests)
  long test_lines = 0;             // non-blank lines under tests/
};

ProjectSummary summarize_project(const std::filesystem::path& root);

}  // namespace agentco
