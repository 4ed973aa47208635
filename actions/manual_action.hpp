// The "manual" action type: the project's README.md (written by the model from the PRD,
// design and tasks) and its dependency manifest from the task list's required packages
// (requirements.txt for Python, package.json for JavaScript), in one commit.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "actions/action.hpp"

namespace agentco {

std::unique_ptr<Action> make_manual_action(const ActionSpec& spec);

// requirements.txt / package.json text for the packages, or "" when the language has
// no manifest of its own here. `path` receives the file name.
std::string dependency_manifest(const std::string& language, const std::string& project_name,
                                const std::vector<std::string>& packages, std::string& path);

}  // namespace agentco
