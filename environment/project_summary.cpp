#include "environment/project_summary.hpp"

#include <algorithm>
#include <fstream>
#include <set>

namespace agentco {

ProjectSummary summarize_project(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  static const std::set<std::string> kSource{".py", ".js", ".mjs", ".ts", ".cpp", ".cc", ".hpp", ".h", ".c",
                                             ".go", ".rs", ".java", ".html", ".css"};
  ProjectSummary summary;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const auto rel = fs::relative(it->path(), root, ec).generic_string();
    if (rel == ".git" || rel == "__pycache__" || it->path().filename() == "__pycache__") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || rel == "run.jsonl" || rel == "meta.json") continue;
    summary.files.push_back(rel);
    if (!kSource.count(it->path().extension().string())) continue;
    std::ifstream in(it->path());
    std::string line;
    long lines = 0;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) ++lines;
    }
    if (rel.starts_with("tests/")) summary.test_lines += lines;
    else summary.lines_of_code += lines;
  }
  std::sort(summary.files.begin(), summary.files.end());
  return summary;
}

}  // namespace agentco
