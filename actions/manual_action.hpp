// The "manual" action type: the project's README.md (written by the model from the code as
// written, how QA runs it, and the documents the action reads) and its dependency manifest from the task list's required packages
// (requirements.txt for Python, package.json for JavaScript, CMakeLists.txt for C++ when
// the engineer wrote none), in one commit.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "actions/action.hpp"

namespace agentco {

ActionType manual_action_type();

// requirements.txt / package.json text for the packages, a generic CMakeLists.txt for C++
// (every .cpp but main.cpp in a library, the program from main.cpp, each tests/*.cpp a CTest
// test, curses linked when found), or "" when the language has no manifest of its own
// here. `path` receives the file name ("" for none).
std::string dependency_manifest(const std::string& language, const std::string& project_name,
                                const std::vector<std::string>& packages, std::string& path);

// The program target a CMakeLists.txt builds: the first add_executable() whose name is
// literal and not a test; "" when none.
std::string cmake_program_name(const std::string& cmake_lists);
}  // namespace agentco
