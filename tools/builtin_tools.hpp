// The built-in tools: read_file, write_file, edit_file (one exact span replaced), list_files,
// search (a regex over the project's text files), run (a shell command in the sandbox,
// with its deadline and output cap) and ask_human (a question to the person at the terminal,
// when the run has one). Every path goes through the workspace's path guard:
// nothing outside the project folder is read or written. Writes go through the traced
// write of the ToolContext. `run` goes through the process journal, so that a replay answers
// it from the trace without starting anything.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tools/tool.hpp"
#include "tools/tool_names.hpp"

namespace agentco {

// The tool of that name, or nullptr.
std::unique_ptr<Tool> make_builtin_tool(const std::string& name);

}  // namespace agentco
