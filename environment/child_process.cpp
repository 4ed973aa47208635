#include "environment/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "environment/process_runner.hpp"

namespace agentco {
namespace {

std::string error_text(int err) { return std::generic_category().message(err); }

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

}  // namespace

Result<ChildPipes> spawn_with_pipes(const std::vector<std::string>& argv, const std::string& cwd,
                                    const std::map<std::string, std::string>& env) {
  if (argv.empty() || argv[0].empty()) return make_error("spawn", "no program to start");
  const std::string program = find_program(argv[0], cwd);
  if (program.empty()) return make_error("spawn", fmt::format("program '{}' not found in PATH ({})", argv[0], caller_path()));

  std::map<std::string, std::string> variables = {{"PATH", caller_path()}, {"LANG", "C.UTF-8"}};
  if (const char* home = std::getenv("HOME")) variables["HOME"] = home;
  for (const auto& [name, value] : env) variables[name] = value;
  std::vector<std::string> lines;
  for (const auto& [name, value] : variables)
    if (!name.empty() && name.find('=') == std::string::npos) lines.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& line : lines) envp.push_back(line.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& arg : args) argp.push_back(arg.data());
  argp.push_back(nullptr);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return make_error("spawn", "pipe: " + error_text(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    close_all({in[0], in[1]});
    return make_error("spawn", "pipe: " + error_text(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    close_all({in[0], in[1], out[0], out[1]});
    return make_error("spawn", "pipe: " + error_text(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the child's copies 0, 1 and 2 only.
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close_all({in[0], out[1], err[1]});
  if (spawned != 0) {
    close_all({in[1], out[0], err[0]});
    return make_error("spawn", fmt::format("cannot start {}: {}", program,
                                           error_text(spawned)));
  }
  return ChildPipes{pid, in[1], out[0], err[0]};
}

std::string child_exit_status(int pid) {
  int status = 0;
  const pid_t done = ::waitpid(pid, &status, WNOHANG);
  if (done != pid) return "";
  if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "ended";
}

void end_child(int pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  auto gone = [pid] {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    return done == pid || (done < 0 && errno == ECHILD);
  };
  if (gone()) {
    ::kill(-pid, SIGKILL);  // what the leader left behind in its group
    return;
  }
  ::kill(-pid, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    if (gone()) {
      ::kill(-pid, SIGKILL);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace agentco
