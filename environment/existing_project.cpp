#include "environment/existing_project.hpp"

#include <algorithm>
#include <set>

#include "core/text.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  std::string text;
  if (!read_file(file.string(), text)) return nullptr;
  auto value = nlohmann::json::parse(text, nullptr, false);
  return value.is_discarded() ? nlohmann::json(nullptr) : value;
}

// The newest *.json in a MetaGPT docs sub-folder (names are timestamps).
nlohmann::json newest_json(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return nullptr;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (files.empty()) return nullptr;
  std::sort(files.begin(), files.end());
  return read_json(files.back());
}

bool is_source(const fs::path& p) {
  static const std::set<std::string> kExt{".py", ".js", ".mjs", ".ts", ".cpp", ".cc", ".hpp", ".h", ".c", ".go",
                                          ".rs", ".java", ".html", ".css"};
  return kExt.count(p.extension().string()) > 0;
}

}  // namespace

Result<ExistingProject> read_existing_project(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error("project", "--project-path " + root.string() + " is not a folder");
  }
  ExistingProject project;
  read_file((root / "docs" / "requirement.txt").string(), project.requirement);
  if (fs::exists(root / "docs" / "prd.json")) {
    project.layout = "agentco";
    project.prd = read_json(root / "docs" / "prd.json");
    project.system_design = read_json(root / "docs" / "system_design.json");
    project.tasks = read_json(root / "docs" / "tasks.json");
  } else if (fs::is_directory(root / "docs" / "prd")) {
    project.layout = "metagpt";
    project.prd = newest_json(root / "docs" / "prd");
    project.system_design = newest_json(root / "docs" / "system_design");
    project.tasks = newest_json(root / "docs" / "task");
  } else {
    project.layout = "plain";
  }

  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || name == "__pycache__" || name == "node_modules" || name == "build" ||
                               name == "docs" || name == "resources" || name == "test_outputs")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->is_symlink() || !is_source(it->path())) continue;
    std::string rel = fs::relative(it->path(), root, ec).generic_string();
    std::string text;
    if (read_file(it->path().string(), text)) project.code[rel] = text;
  }

  // MetaGPT keeps the sources in <project>/<name>/: find the folder where the design's files are.
  if (project.system_design.is_object() && project.system_design.contains("File list")) {
    for (const auto& f : project.system_design["File list"]) {
      if (!f.is_string()) continue;
      std::string file = f.get<std::string>();
      if (project.code.count(file)) break;
      for (const auto& [path, _] : project.code) {
        if (path.size() > file.size() && path.ends_with("/" + file)) {
          project.source_root = path.substr(0, path.size() - file.size() - 1);
          break;
        }
      }
      if (!project.source_root.empty()) break;
    }
  }
  if (project.code.empty() && !project.prd.is_object()) {
    return make_error("project", "--project-path " + root.string() +
                                     " holds neither agentco/MetaGPT documents nor source files to build on");
  }
  return project;
}

}  // namespace agentco
