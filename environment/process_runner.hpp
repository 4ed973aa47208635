// Running generated code: a process in the project folder, in a sandbox, with a deadline
// and capped output. The generated code is untrusted: it must not write outside its folder,
// reach the network, fork without bound or print without end.
//
// Sandbox: bubblewrap (`bwrap`) when it is installed and works here (checked once, by
// running `true` in the same sandbox): new namespaces for everything (network: only a
// loopback of its own, so the host's 127.0.0.1 is unreachable), all capabilities dropped,
// /usr and /etc read-only (/etc/shadow hidden), the project folder read-write, /tmp
// private (a 256 MB tmpfs), $HOME and the rest of the host absent, and the installation of
// a program found outside /usr read-only (e.g. ~/.pyenv for a pyenv shim). Otherwise a
// fallback: rlimits, and `unshare -n` for the network when that is permitted. The fallback
// does NOT confine file writes.
// Either way: its own process group, the same rlimits, a minimal environment (the caller's
// variables, API keys included, are not inherited), and the whole process tree is killed
// at the deadline, when it holds more than max_processes processes (counted every few ms,
// since RLIMIT_NPROC does not bind root), and when the main process exits (no orphan
// outlives the call).
// A program run with bwrap that exits with 129..159 is reported as killed by signal
// code-128, as a shell would (bwrap itself only reports the exit code).
// Thread-safe: run_process blocks the calling thread; run_process_async runs it on a
// helper thread and resumes the coroutine on its executor; cancelling the coroutine kills
// the process and still waits for the helper thread.
#pragma once
#include <chrono>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace agentco {

struct ProcessSpec {
  std::vector<std::string> argv;        // argv[0] is looked up in PATH (the child's PATH)
  std::string cwd;                      // the project folder (read-write in the sandbox)
  // Extra environment, overriding the defaults: PATH (the caller's), HOME (cwd when
  // sandboxed, the caller's otherwise) and LANG=C.UTF-8. Nothing else is inherited.
  std::map<std::string, std::string> env;
  std::chrono::milliseconds deadline{10000};
  std::size_t output_cap = 64 * 1024;   // bytes kept of stdout and of stderr each
  bool sandbox = true;                  // false only for trusted tools
  std::string stdin_text;               // fed to the process, then closed
  bool keep_stdin_open = false;         // with no stdin_text: stdin stays open and silent
  // Limits when sandboxed (setrlimit in the child, inherited through bwrap; none when
  // sandbox is false). RLIMIT_NPROC counts all processes of the real user and never
  // binds root, so the process tree is also counted and killed above max_processes.
  int max_processes = 64;
  std::size_t max_memory_bytes = 1024ull * 1024 * 1024;  // RLIMIT_AS
  std::size_t max_file_bytes = 16ull * 1024 * 1024;      // RLIMIT_FSIZE
  int max_cpu_seconds = 30;                              // RLIMIT_CPU
  bool force_fallback = false;  // use the rlimits sandbox even where bwrap works (tests)
  // Run on a pseudo-terminal of its own (80x24): stdin and stdout are the terminal (stdout
  // captured from it, without CR/LF translation), stderr stays a pipe. For programs that
  // need a terminal to start, e.g. curses' initscr(); set TERM in `env` too. The terminal
  // stays open and silent (as keep_stdin_open); stdin_text, if any, is typed into it.
  bool terminal = false;
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
  bool too_many_processes = false;  // killed for holding more than max_processes processes
  int pid = 0;               // the child's pid, which is also its process group id
};

// Which sandbox run_process will use on this machine ("bwrap" or "rlimits...").
std::string sandbox_kind();

ProcessResult run_process(const ProcessSpec& spec);
// As above; a stop request kills the process tree (checked every 20 ms).
ProcessResult run_process(const ProcessSpec& spec, std::stop_token stop);
boost::asio::awaitable<ProcessResult> run_process_async(ProcessSpec spec);

// This process's PATH, or /usr/local/bin:/usr/bin:/bin when it has none: what a child's PATH
// is unless its ProcessSpec says otherwise.
std::string caller_path();

// The absolute path `program` runs as: a bare name searched in this process's PATH
// (caller_path()), a name with a slash taken relative to `cwd`; "" when there is none.
std::string find_program(const std::string& program, const std::string& cwd);

// True when `program` is found in PATH.
bool program_available(const std::string& program);

// The Python interpreter `python3` in PATH finally runs (sys.executable, asked once): a
// version manager's shim (pyenv) costs ~0.3 s per start, which every static check and test
// run would pay. "python3" when it cannot be asked. A sandboxed ProcessSpec whose argv[0] is
// "python3" runs it (resolved at the first such spawn).
std::string python_interpreter();

}  // namespace agentco
