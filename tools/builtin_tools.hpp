// The built-in tools: read_file, write_file, edit_file (one exact span replaced), list_files,
// search (a regex over the project's text files) and run (a shell command in the sandbox,
// with its deadline and output cap). Every path goes through the workspace's path guard:
// nothing outside the project folder is read or written. Writes go through the traced
// write of the ToolContext. `run` goes through the process journal, so that a replay answers
// it from the trace without starting anything.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tools/tool.hpp"

namespace agentco {

// The names, in the order the model is shown them.
const std::vector<std::string>& builtin_tool_names();

// The tool of that name, or nullptr.
std::unique_ptr<Tool> make_builtin_tool(const std::string& name);

}  // namespace agentco
