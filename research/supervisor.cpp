#include "research/supervisor.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace agentco {
namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  ChildSpec spec;
  Clock::time_point started;
  int deadline_signals = 0;  // 1: SIGINT at the deadline, 2: SIGKILL 10 s later
};

// Starts `spec`; the pid, or -1 with `error` set.
pid_t start_child(const ChildSpec& spec, std::string& error) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, spec.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, spec.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> env;
  char** envp = environ;
  if (!spec.extra_env.empty()) {
    for (char** e = environ; *e; ++e) {
      const std::string entry(*e);
      const auto name = entry.substr(0, entry.find('=') + 1);
      bool replaced = false;
      for (const auto& extra : spec.extra_env) replaced = replaced || extra.starts_with(name);
      if (!replaced) env_strings.push_back(entry);
    }
    env_strings.insert(env_strings.end(), spec.extra_env.begin(), spec.extra_env.end());
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    envp = env.data();
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, spec.program.c_str(), &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    error = "cannot start " + spec.program + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

int supervise(const SupervisorOptions& options, const SupervisorHooks& hooks) {
  sigset_t waited, previous;
  sigemptyset(&waited);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &waited, &previous);

  std::map<pid_t, Running> running;
  int stop_signal = 0;
  Clock::time_point stop_time;
  int escalation = 0;  // 1: signalled again after the grace, 2: killed
  bool exhausted = false;
  const int slots = std::max(1, options.slots);

  while (true) {
    if (hooks.keep_going) exhausted = false;
    // Launch into free slots.
    while ((!stop_signal || options.launch_while_stopping) && !exhausted && static_cast<int>(running.size()) < slots) {
      auto spec = hooks.next ? hooks.next() : std::nullopt;
      if (!spec) {
        exhausted = true;
        break;
      }
      std::string error;
      const auto started = Clock::now();
      const pid_t pid = start_child(*spec, error);
      if (hooks.on_start) hooks.on_start(*spec);
      if (pid < 0) {
        if (hooks.on_exit) hooks.on_exit(ChildExit{spec->tag, -1, 0.0, error});
        continue;
      }
      if (hooks.on_spawned) hooks.on_spawned(spec->tag, pid);
      running.emplace(pid, Running{std::move(*spec), started});
    }
    if (hooks.on_tick) hooks.on_tick(stop_signal != 0);
    if (running.empty() && !(hooks.keep_going && hooks.keep_going())) break;

    timespec timeout{};
    timeout.tv_sec = options.tick.count() / 1000;
    timeout.tv_nsec = (options.tick.count() % 1000) * 1000000L;
    siginfo_t info{};
    const int sig = sigtimedwait(&waited, &info, &timeout);
    if (sig == SIGINT || sig == SIGTERM) {
      if (!stop_signal) {
        stop_signal = sig;
        stop_time = Clock::now();
      }
      for (const auto& [pid, child] : running) ::kill(pid, sig);
    }
    if (stop_signal && escalation < 2) {
      const auto since = Clock::now() - stop_time;
      if (escalation == 0 && since >= options.grace) {
        for (const auto& [pid, child] : running) ::kill(pid, stop_signal);
        escalation = 1;
      } else if (escalation == 1 && since >= options.grace + std::chrono::seconds(10)) {
        for (const auto& [pid, child] : running) ::kill(pid, SIGKILL);
        escalation = 2;
      }
    }
    for (auto& [pid, child] : running) {
      if (child.spec.deadline.count() <= 0 || child.deadline_signals >= 2) continue;
      const auto ran = Clock::now() - child.started;
      if (child.deadline_signals == 0 && ran >= child.spec.deadline) {
        ::kill(pid, SIGINT);
        child.deadline_signals = 1;
      } else if (child.deadline_signals == 1 && ran >= child.spec.deadline + std::chrono::seconds(10)) {
        ::kill(pid, SIGKILL);
        child.deadline_signals = 2;
      }
    }
    bool exited = false;
    while (true) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      auto it = running.find(pid);
      if (it == running.end()) continue;
      ChildExit done;
      done.tag = it->second.spec.tag;
      done.exit_code = exit_code_of(status);
      done.wall_s = std::chrono::duration<double>(Clock::now() - it->second.started).count();
      done.timed_out = it->second.deadline_signals > 0;
      running.erase(it);
      exited = true;
      if (hooks.on_exit) hooks.on_exit(done);
    }
    // A finished run may change what `next` says (e.g. the budget).
    if (exited) exhausted = false;
  }

  // Take signals that arrived after the last child ended, so they do not fire on unblock.
  timespec zero{};
  for (int sig; (sig = sigtimedwait(&waited, nullptr, &zero)) > 0;)
    if (sig != SIGCHLD && !stop_signal) stop_signal = sig;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return stop_signal;
}

}  // namespace agentco
