// Runs child processes N at a time, for `agentco bench`: each child in its own process
// group (so a terminal's Ctrl-C reaches only us, and we forward it once), stdin from
// /dev/null, stdout and stderr into files, default signal dispositions.
//
// supervise() blocks SIGINT, SIGTERM and SIGCHLD in the calling thread while it runs and
// waits for them with sigtimedwait, so call it from the main thread before other threads
// exist (they would inherit no mask and could take the signals). On the first SIGINT or
// SIGTERM it stops asking for new children and forwards the signal to the running ones; a
// second one is forwarded again (an agentco run then stops at once). Children still running
// 60 s after the first signal get it again, and SIGKILL 10 s after that: every wait ends.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace agentco {

struct ChildSpec {
  int tag = 0;                        // the caller's id for the child, given back in ChildExit
  std::string program;                // path to execute (e.g. /proc/self/exe)
  std::vector<std::string> argv;      // argv[0] included
  std::filesystem::path stdout_file;  // created or truncated
  std::filesystem::path stderr_file;
  std::chrono::milliseconds deadline{0};  // > 0: SIGINT once it ran this long, SIGKILL 10 s later
  std::vector<std::string> extra_env;     // NAME=value, besides (and over) our own environment
};

struct ChildExit {
  int tag = 0;
  int exit_code = -1;  // exit status, or 128 + signal number when killed; -1: could not start
  double wall_s = 0;
  std::string start_error;  // why posix_spawn failed
  bool timed_out = false;   // it reached its deadline and was told to stop
};

struct SupervisorHooks {
  // The next child to start, or nothing (none left, or launching should stop for now; it is
  // asked again after the next exit).
  std::function<std::optional<ChildSpec>()> next;
  std::function<void(const ChildSpec&)> on_start;
  std::function<void(const ChildExit&)> on_exit;
  std::function<void(bool stopping)>
      on_tick;  // about every `tick`, after each exit and the launches it allowed
  // The child's process id once it runs (to signal it alone).
  std::function<void(int tag, pid_t pid)> on_spawned;
  // When set, supervise() returns only once no child runs and this says false: a caller
  // whose children depend on events from elsewhere (a worker waiting for jobs) keeps it
  // going; `next` is asked again every tick.
  std::function<bool()> keep_going;
};

struct SupervisorOptions {
  int slots = 1;
  std::chrono::milliseconds tick{500};
  std::chrono::seconds grace{60};  // after the first stop signal: signal again, then SIGKILL 10 s later
  // Ask `next` for children after a stop signal too (they are the caller's way of finishing).
  bool launch_while_stopping = false;
};

// Returns the stop signal received (SIGINT or SIGTERM), or 0 when every child was run.
int supervise(const SupervisorOptions& options, const SupervisorHooks& hooks);

}  // namespace agentco
