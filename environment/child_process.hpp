// A long-lived helper program spoken to over pipes (an MCP server over stdio): started with
// its stdin, stdout and stderr as pipes, in a process group of its own, with a minimal
// environment (PATH, HOME, LANG and what the caller adds; nothing else of ours is inherited,
// API keys included). Not sandboxed: it is a program the user configured, trusted as a tool,
// unlike the generated code of process_runner.hpp.
//
// posix_spawn is used rather than Boost.Process v2, whose 1.81 headers do not compile with
// std::filesystem (and its Boost.Filesystem form would add a library for one call).
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentco {

struct ChildPipes {
  int pid = 0;         // also its process group id
  int stdin_fd = -1;   // write end, close-on-exec, owned by the caller
  int stdout_fd = -1;  // read end
  int stderr_fd = -1;  // read end
};

// Starts argv[0] (found as find_program does) in `cwd`. Error "spawn" naming the program
// when it is not found or cannot start.
Result<ChildPipes> spawn_with_pipes(const std::vector<std::string>& argv, const std::string& cwd,
                                    const std::map<std::string, std::string>& env);

// The exit status of `pid` if it has ended (reaping it): "exit code N" or "killed by signal
// N"; "" while it runs.
std::string child_exit_status(int pid);

// Ends the child's process group: SIGTERM, then SIGKILL after `grace`, and reaps the child.
// Blocks at most `grace` plus a little; for a child already gone, returns at once.
void end_child(int pid, std::chrono::milliseconds grace);

}  // namespace agentco
