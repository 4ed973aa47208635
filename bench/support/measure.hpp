// What every bench measures, in one place: CPU time (this process, or a child with what it
// waited for), peak RSS, heap in use, medians, fresh temp folders, and a child program run
// with its stdout/stderr captured and its rusage taken by wait4.
// Header-only; the benches are single-threaded at the point they call these.
#pragma once
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace agentco::bench {

namespace measure_fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }
// user + sys of a rusage.
inline double cpu_of(const rusage& u) { return seconds(u.ru_utime) + seconds(u.ru_stime); }

inline rusage usage(int who) {
  rusage u{};
  getrusage(who, &u);
  return u;
}

// CPU time of this process so far (all threads), in seconds.
inline double process_cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec / 1e9;
}

inline double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Bytes malloc has handed out and not taken back.
inline std::size_t heap_in_use() { return mallinfo2().uordblks; }

// Resident set size of this process now.
inline std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// A new empty folder under the temp directory: agentco_<what>_<pid>_<random>.
inline measure_fs::path fresh_dir(const std::string& what) {
  std::random_device random;
  measure_fs::path dir =
      measure_fs::temp_directory_path() / fmt::format("agentco_{}_{}_{}", what, ::getpid(), random());
  measure_fs::create_directories(dir);
  return dir;
}

struct ChildRun {
  std::string out, err;
  int exit_code = -1;    // 128 + signal when killed by one
  double wall_s = 0;
  double cpu_s = 0;      // user + sys of the child and every descendant it waited for
  double user_s = 0, sys_s = 0;
  long peak_rss_kb = 0;  // the largest RSS among the child and its waited-for descendants
};

// Runs argv[0] (a path) with `env` ("NAME=value") set on top of this process's environment
// and `cwd` (empty: ours); waits for it and both its outputs. Runs do not render diagrams
// (AGENTCO_RUN_RENDER_DIAGRAMS=false unless set): the figures measure the company, not the
// browser mmdc starts for each diagram.
inline ChildRun run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                          const std::string& cwd = {}) {
  ChildRun r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.err = "pipe2 failed";
    return r;
  }
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::setenv("AGENTCO_RUN_RENDER_DIAGRAMS", "false", 0);
    for (const auto& entry : env) {
      const auto eq = entry.find('=');
      if (eq != std::string::npos) ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buffer[8192];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  rusage u{};
  while (::wait4(pid, &status, 0, &u) < 0 && errno == EINTR) {
  }
  r.wall_s = since(start);
  r.user_s = seconds(u.ru_utime);
  r.sys_s = seconds(u.ru_stime);
  r.cpu_s = r.user_s + r.sys_s;
  r.peak_rss_kb = u.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  return r;
}

// The system's load averages (1, 5, 15 min), to print beside figures from a shared machine.
// "3,6,12" -> {3, 6, 12}: the list flags of the benches.
inline std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

inline std::string load_average() {
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) != 3) return "unknown";
  return fmt::format("{:.2f} {:.2f} {:.2f}", load[0], load[1], load[2]);
}

}  // namespace agentco::bench
