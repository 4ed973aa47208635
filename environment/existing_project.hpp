// Reading a project that already exists, for incremental development: one made by agentco
// (docs/prd.json, docs/system_design.json, docs/tasks.json) or by MetaGPT (docs/prd/*.json,
// docs/system_design/*.json, docs/task/*.json — the newest of each — with the sources in a
// sub-folder named after the project).
#pragma once
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco {

struct ExistingProject {
  std::string layout;        // "agentco" | "metagpt" | "plain"
  std::string requirement;   // docs/requirement.txt, if any
  nlohmann::json prd, system_design, tasks;  // null when absent
  std::string source_root;   // "" or the sub-folder that holds the sources (MetaGPT)
  std::map<std::string, std::string> code;   // source path (relative to the project) -> text
};

// Error "project" when `root` is not a folder or holds nothing to build on.
Result<ExistingProject> read_existing_project(const std::filesystem::path& root);

}  // namespace agentco
