// Child processes for end-to-end tests: spawn_child() starts one (stdin from /dev/null or a file,
// stdout and stderr to pipes, clean signal state); run_process() runs one to its end with
// the outputs captured separately, an optional SIGINT once stderr says a given text, SIGKILL at a timeout.
// BackgroundProcess (fake_llm_server_runs.hpp) starts its children with spawn_child() too.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agentco::testing {

using Clock = std::chrono::steady_clock;

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct ProcessOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=value entries: the child's whole environment
  std::filesystem::path cwd;
  // Send SIGINT once stderr holds this text (a point in the run, however slowly the child
  // starts: a sanitized build takes seconds).
  std::string interrupt_on;
  std::chrono::milliseconds timeout{15000};  // SIGKILL then
  std::filesystem::path stdin_file;          // the child's stdin (what a person types); empty: /dev/null
};

// A started child: its pid and the read ends of its stdout and stderr pipes (close-on-exec),
// which the caller reads, closes, and whose child it reaps.
struct SpawnedChild {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

// The suite's own switches (tests/CMakeLists.txt sets them for every test) reach every child
// that does not set them itself: AGENTCO_RUN_RENDER_DIAGRAMS=false keeps a hundred runs from
// each starting a browser for their diagrams (mermaid_test turns it on where it tests them).
inline std::vector<std::string> with_suite_switches(std::vector<std::string> env) {
  for (const char* name : {"AGENTCO_RUN_RENDER_DIAGRAMS"}) {
    const char* value = std::getenv(name);
    const std::string prefix = std::string(name) + "=";
    const bool set = std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(prefix); });
    if (value && !set) env.push_back(prefix + value);
  }
  return env;
}

// Starts options.argv[0] (a path) with options.env (and the suite's switches) as its whole
// environment, in options.cwd when set, stdin from options.stdin_file or /dev/null, stdout
// and stderr to pipes. The child starts with no blocked signals and default
// SIGINT/SIGTERM/SIGPIPE handling, whatever the test runner did with them.
// Nothing (and a test failure naming the program) when it cannot be started.
inline std::optional<SpawnedChild> spawn_child(const ProcessOptions& options) {
  if (options.argv.empty()) {
    ADD_FAILURE() << "spawn_child: no program given";
    return std::nullopt;
  }
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed: " << std::strerror(errno);
    return std::nullopt;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed: " << std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string input = options.stdin_file.empty() ? std::string("/dev/null") : options.stdin_file.string();
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int number : {SIGINT, SIGTERM, SIGPIPE}) sigaddset(&defaults, number);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> env = with_suite_switches(options.env);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  SpawnedChild child;
  const int rc = posix_spawn(&child.pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << options.argv[0] << ": " << std::strerror(rc);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return std::nullopt;
  }
  child.out_fd = out_pipe[0];
  child.err_fd = err_pipe[0];
  return child;
}

// A sanitizer build's report (scripts/sanitize.sh) in a child's stderr fails the test, whatever
// exit code the test expects: each sanitizer ends its report with "SUMMARY: <name>: ...".
inline void expect_no_sanitizer_report(const std::string& program, const std::string& err) {
  for (const char* name : {"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "ThreadSanitizer"}) {
    const std::size_t at = err.find(std::string("SUMMARY: ") + name);
    if (at == std::string::npos) continue;
    const std::size_t from = err.rfind("==================", at);  // where the report starts
    ADD_FAILURE() << program << " reported a sanitizer finding:\n"
                  << err.substr(from == std::string::npos ? 0 : from);
    return;
  }
}

// Runs a process with stdin from /dev/null, stdout and stderr captured separately.
inline ProcessResult run_process(const ProcessOptions& options) {
  ProcessResult result;
  const std::optional<SpawnedChild> child = spawn_child(options);
  if (!child) return result;
  const pid_t pid = child->pid;

  const auto start = Clock::now();
  bool interrupted = false;
  pollfd fds[2] = {{child->out_fd, POLLIN, 0}, {child->err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (elapsed >= options.timeout) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    const auto next = options.timeout - elapsed;
    int ready = ::poll(fds, 2, static_cast<int>(std::max<long>(1, next.count())));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
        if (i == 1 && !interrupted && !options.interrupt_on.empty() &&
            result.err.find(options.interrupt_on) != std::string::npos) {
          ::kill(pid, SIGINT);
          interrupted = true;
        }
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) ::close(fd.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  expect_no_sanitizer_report(options.argv[0], result.err);
  return result;
}

}  // namespace agentco::testing
