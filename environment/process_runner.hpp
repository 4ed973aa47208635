// Running generated code: a process in the project folder, in a sandbox, with a deadline
// and capped output. The generated code is untrusted: it must not write outside its folder,
// reach the network, fork without bound or print without end.
//
// Sandbox: bubblewrap (`bwrap`) when it is installed — new namespaces for everything
// (no network: only a downed loopback), the system read-only, the project folder
// read-write, /tmp private — otherwise a fallback: its own process group with rlimits on
// CPU time, address space, processes and file size, and `unshare -n` for the network when
// that works. Either way the whole process group is killed at the deadline.
// Thread-safe: run_process blocks the calling thread; run_process_async runs it on a
// helper thread and resumes the coroutine on its executor.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace agentco {

struct ProcessSpec {
  std::vector<std::string> argv;        // argv[0] is looked up in PATH
  std::string cwd;                      // the project folder (read-write in the sandbox)
  std::map<std::string, std::string> env;  // extra environment (PATH, HOME, LANG are set)
  std::chrono::milliseconds deadline{10000};
  std::size_t output_cap = 64 * 1024;   // bytes kept of stdout and of stderr each
  bool sandbox = true;                  // false only for trusted tools
  std::string stdin_text;               // fed to the process, then closed
  // Limits (the fallback applies them with setrlimit; bwrap runs also get them).
  int max_processes = 64;               // RLIMIT_NPROC (per user: effective in the fallback only when not root)
  std::size_t max_memory_bytes = 1024ull * 1024 * 1024;  // RLIMIT_AS
  std::size_t max_file_bytes = 16ull * 1024 * 1024;      // RLIMIT_FSIZE
  int max_cpu_seconds = 30;                              // RLIMIT_CPU
};

struct ProcessResult {
  int exit_code = -1;        // when it exited
  int signal = 0;            // when a signal ended it
  bool timed_out = false;    // still running at the deadline (then killed)
  bool started = false;      // exec succeeded
  std::string stdout_text;   // capped
  std::string stderr_text;   // capped
  bool output_truncated = false;
  double seconds = 0.0;
  std::string sandbox;       // "bwrap", "rlimits+unshare", "rlimits", "none"
  std::string error;         // why it could not start, if it could not
};

// Which sandbox run_process will use on this machine ("bwrap" or "rlimits...").
std::string sandbox_kind();

ProcessResult run_process(const ProcessSpec& spec);
boost::asio::awaitable<ProcessResult> run_process_async(ProcessSpec spec);

// True when `program` is found in PATH.
bool program_available(const std::string& program);

}  // namespace agentco
