#include "environment/process_runner.hpp"
#include "environment/process_journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentco {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often the process tree is counted: a bwrap tree is walked on its own (cheap, so
// often), the fallback reads every process on the machine (so less often); closer once
// the tree is half way to its limit. kTick is also the longest a stop request waits.
constexpr auto kTick = std::chrono::milliseconds(20);
constexpr auto kCloseScanTick = std::chrono::milliseconds(5);
constexpr auto kWalkTick = std::chrono::milliseconds(5);
constexpr auto kCloseWalkTick = std::chrono::milliseconds(2);
// After the main process exited and its group was killed: how long to keep reading output
// still held by a process that left the group.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(500);
constexpr std::size_t kReadChunk = 64 * 1024;
// The private /tmp lives in memory.
constexpr std::size_t kPrivateTmpBytes = 256ull * 1024 * 1024;
// Reads per pipe per wake-up, so that a program printing without end cannot starve the
// deadline check.
constexpr int kReadsPerWakeup = 16;
// With bwrap the tree also holds bwrap itself and the pid namespace's init.
constexpr int kBwrapProcesses = 2;

// Status bytes the child writes to the status pipe before exec (which closes it).
constexpr char kNetworkUnshared = 'U';
constexpr char kFailedDup = 'D';
constexpr char kFailedLimits = 'L';
constexpr char kFailedChdir = 'C';
constexpr char kFailedExec = 'X';

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string error_text(int err) { return std::generic_category().message(err); }

// A close-on-exec pipe whose ends are not 0, 1 or 2, so that the child's dup2 onto its
// standard streams cannot clobber another end (a parent started with a closed stdin).
bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  for (int& fd : fds) {
    if (fd < 3) {
      int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
      ::close(fd);
      fd = moved;
    }
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return read_end && write_end;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool is_executable_file(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The absolute path execve will run, as execvp would find it: a name with a slash is taken
// relative to cwd, a bare name is searched in `path` (relative entries relative to cwd).
std::optional<fs::path> resolve_program(const std::string& program, const std::string& path, const fs::path& cwd) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    fs::path candidate = (cwd / program).lexically_normal();
    if (is_executable_file(candidate)) return candidate;
    return std::nullopt;
  }
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    fs::path dir = path.substr(begin, end - begin);
    fs::path candidate = (cwd / dir / program).lexically_normal();
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

bool is_within(const fs::path& path, const fs::path& folder) {
  auto [folder_end, path_it] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  return folder_end == folder.end();
}

std::size_t depth(const fs::path& path) {
  const fs::path relative = path.relative_path();
  return static_cast<std::size_t>(std::distance(relative.begin(), relative.end()));
}

// The folder to show read-only in the sandbox so that `program` (outside /usr) can run:
// its installation (the parent of bin/ or shims/, e.g. /root/.pyenv/versions/3.11.7 or
// /root/.pyenv), never a whole top-level folder such as /root or /opt.
std::optional<fs::path> install_tree(const fs::path& program, const fs::path& cwd) {
  if (is_within(program, "/usr") || is_within(program, cwd)) return std::nullopt;
  fs::path dir = program.parent_path();
  std::string leaf = dir.filename().string();
  fs::path tree = (leaf == "bin" || leaf == "sbin" || leaf == "shims") ? dir.parent_path() : dir;
  if (depth(tree) < 2) tree = dir;
  if (depth(tree) < 2) tree = program;
  return tree;
}

// bwrap's options up to the command: the system read-only, /tmp private, `cwd` read-write.
std::vector<std::string> bwrap_options(const fs::path& bwrap, const fs::path& cwd, const std::vector<fs::path>& trees) {
  std::vector<std::string> args = {bwrap.string(), "--unshare-all", "--die-with-parent", "--new-session",
                                   "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"};
  for (const char* name : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    auto status = fs::symlink_status(name, ec);
    if (ec) continue;
    if (fs::is_symlink(status)) {
      fs::path target = fs::read_symlink(name, ec);
      if (!ec) args.insert(args.end(), {"--symlink", target.string(), name});
    } else if (fs::is_directory(status)) {
      args.insert(args.end(), {"--ro-bind", name, name});
    }
  }
  if (fs::is_directory("/etc")) {
    args.insert(args.end(), {"--ro-bind", "/etc", "/etc"});
    for (const char* secret : {"/etc/shadow", "/etc/gshadow"}) {
      if (fs::exists(secret)) args.insert(args.end(), {"--ro-bind", "/dev/null", secret});
    }
  }
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--size", std::to_string(kPrivateTmpBytes), "--tmpfs", "/tmp"});
  for (const auto& tree : trees) args.insert(args.end(), {"--ro-bind", tree.string(), tree.string()});
  if (cwd.empty()) {
    args.insert(args.end(), {"--chdir", "/"});
  } else {
    args.insert(args.end(), {"--bind", cwd.string(), cwd.string(), "--chdir", cwd.string()});
  }
  // The sandbox's own root (a tmpfs holding the mount points) is writable unless told.
  args.insert(args.end(), {"--remount-ro", "/", "--"});
  return args;
}

// Everything the child needs, prepared before fork: after fork the child of a
// multi-threaded process may only make async-signal-safe calls.
struct Launch {
  fs::path exec_path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  fs::path cwd;
  std::chrono::milliseconds deadline{10000};
  std::size_t output_cap = 64 * 1024;
  std::string stdin_text;
  bool keep_stdin_open = false;
  bool limits = false;
  int max_processes = 64;
  std::size_t max_memory_bytes = 0;
  std::size_t max_file_bytes = 0;
  int max_cpu_seconds = 0;
  bool unshare_net = false;
  bool bwrap = false;
  bool watch_tree = false;  // count the tree and kill it above max_processes
  bool terminal = false;    // stdin/stdout on a pseudo-terminal of its own
};

struct ChildSetup {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int stdin_fd, stdout_fd, stderr_fd, status_fd;
  bool terminal;  // stdin_fd is a terminal's slave end: make it the controlling terminal
  bool limits;
  rlimit nproc, address_space, file_size, cpu, core;
  bool unshare_net;
  int max_fd;
};

bool unshare_network() {
  if (::unshare(CLONE_NEWNET) == 0) return true;
  // Not root: a user namespace of its own may grant the right to a network namespace.
  return ::geteuid() != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
}

[[noreturn]] void child_fail(int status_fd, char stage) {
  int err = errno;
  char record[1 + sizeof(int)];
  record[0] = stage;
  std::memcpy(record + 1, &err, sizeof err);
  (void)!::write(status_fd, record, sizeof record);
  ::_exit(127);
}

[[noreturn]] void child_main(const ChildSetup& s) {
  if (s.terminal) {
    // A session of its own (so also a group of its own) whose controlling terminal is ours.
    ::setsid();
    ::ioctl(s.stdin_fd, TIOCSCTTY, 0);
  } else {
    ::setpgid(0, 0);
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::dup2(s.stdin_fd, 0) < 0 || ::dup2(s.stdout_fd, 1) < 0 || ::dup2(s.stderr_fd, 2) < 0) {
    child_fail(s.status_fd, kFailedDup);
  }
  if (s.limits) {
    if (::setrlimit(RLIMIT_AS, &s.address_space) != 0 || ::setrlimit(RLIMIT_FSIZE, &s.file_size) != 0 ||
        ::setrlimit(RLIMIT_CPU, &s.cpu) != 0 || ::setrlimit(RLIMIT_NPROC, &s.nproc) != 0) {
      child_fail(s.status_fd, kFailedLimits);
    }
  }
  ::setrlimit(RLIMIT_CORE, &s.core);
  if (s.unshare_net && unshare_network()) {
    char byte = kNetworkUnshared;
    (void)!::write(s.status_fd, &byte, 1);
  }
  if (::chdir(s.cwd) != 0) child_fail(s.status_fd, kFailedChdir);
  if (s.status_fd > 3) ::close_range(3, static_cast<unsigned>(s.status_fd) - 1, 0);
  if (::close_range(static_cast<unsigned>(s.status_fd) + 1, ~0U, 0) != 0) {
    for (int fd = s.status_fd + 1; fd < s.max_fd; ++fd) ::close(fd);
  }
  ::execve(s.path, s.argv, s.envp);
  child_fail(s.status_fd, kFailedExec);
}

rlimit limit_of(rlim_t wanted, int resource, rlim_t soft_margin = 0) {
  rlimit current{};
  ::getrlimit(resource, &current);
  rlim_t hard = wanted + soft_margin;
  if (current.rlim_max != RLIM_INFINITY && hard > current.rlim_max) hard = current.rlim_max;
  return rlimit{std::min(wanted, hard), hard};
}

struct ProcessEntry {
  pid_t pid, ppid, pgrp;
  char state;
};

std::vector<ProcessEntry> list_processes() {
  std::vector<ProcessEntry> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    char path[300];
    std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buffer[512];
    ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const char* close_paren = std::strrchr(buffer, ')');
    ProcessEntry e{};
    e.pid = std::atoi(entry->d_name);
    if (close_paren == nullptr || std::sscanf(close_paren + 1, " %c %d %d", &e.state, &e.ppid, &e.pgrp) != 3) continue;
    out.push_back(e);
  }
  ::closedir(proc);
  return out;
}

// The live (not zombie) processes that descend from `root` or share its process group.
std::vector<pid_t> tree_members(pid_t root) {
  auto all = list_processes();
  std::unordered_multimap<pid_t, pid_t> children;
  for (const auto& e : all) children.emplace(e.ppid, e.pid);
  std::set<pid_t> tree{root};
  std::vector<pid_t> pending{root};
  while (!pending.empty()) {
    pid_t parent = pending.back();
    pending.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      if (tree.insert(it->second).second) pending.push_back(it->second);
    }
  }
  std::vector<pid_t> members;
  for (const auto& e : all) {
    if (e.state == 'Z' || e.state == 'X') continue;
    if (tree.count(e.pid) != 0 || e.pgrp == root) members.push_back(e.pid);
  }
  return members;
}

// How many processes descend from `root` (itself included), walking
// /proc/<pid>/task/<tid>/children: the cost grows with the tree, not with the machine.
// Only exact where orphans are re-parented inside the tree (bwrap's pid namespace).
std::optional<int> count_descendants(pid_t root) {
  static const bool available = [] {
    const std::string self = std::to_string(::getpid());
    return ::access(("/proc/" + self + "/task/" + self + "/children").c_str(), R_OK) == 0;
  }();
  if (!available) return std::nullopt;
  std::vector<pid_t> pending{root};
  std::string children;
  char path[96];
  char buffer[4096];
  int count = 0;
  while (!pending.empty()) {
    const pid_t pid = pending.back();
    pending.pop_back();
    ++count;
    std::snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR* tasks = ::opendir(path);
    if (tasks == nullptr) continue;
    while (dirent* task = ::readdir(tasks)) {
      if (task->d_name[0] < '0' || task->d_name[0] > '9') continue;
      std::snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", pid, task->d_name);
      int fd = ::open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      children.clear();
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) children.append(buffer, static_cast<std::size_t>(n));
      ::close(fd);
      const char* cursor = children.c_str();
      char* end = nullptr;
      for (long child = std::strtol(cursor, &end, 10); end != cursor; child = std::strtol(cursor, &end, 10)) {
        pending.push_back(static_cast<pid_t>(child));
        cursor = end;
      }
    }
    ::closedir(tasks);
  }
  return count;
}

// Freezes the tree first (a stopped process cannot fork), then kills it: processes that
// left the group are still found through their parents. With a pid namespace, killing
// bwrap first is faster: its init dies with it (--die-with-parent), and with the init the
// whole namespace.
void kill_tree(pid_t root, bool pid_namespace) {
  if (pid_namespace) ::kill(-root, SIGKILL);
  ::kill(-root, SIGSTOP);
  std::set<pid_t> stopped;
  for (int round = 0; round < 20; ++round) {
    bool found_new = false;
    for (pid_t pid : tree_members(root)) {
      if (stopped.insert(pid).second) {
        ::kill(pid, SIGSTOP);
        found_new = true;
      }
    }
    if (!found_new) break;
  }
  ::kill(-root, SIGKILL);
  for (pid_t pid : stopped) ::kill(pid, SIGKILL);
  ::kill(root, SIGKILL);
}

// While alive, a write to a closed stdin pipe fails with EPIPE instead of killing the
// whole program with SIGPIPE (which is thread-directed, so blocking it here suffices).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    sigset_t pending;
    ::sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    sigset_t pending;
    ::sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      ::sigtimedwait(&pipe_, nullptr, &zero);
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

// Reads what is available; keeps at most `cap` bytes and discards the rest so that the
// child never blocks on a full pipe.
void drain(UniqueFd& fd, std::string& kept, std::size_t cap, bool& truncated, std::vector<char>& buffer) {
  for (int i = 0; fd && i < kReadsPerWakeup; ++i) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n > 0) {
      std::size_t room = cap > kept.size() ? cap - kept.size() : 0;
      std::size_t take = std::min(room, static_cast<std::size_t>(n));
      kept.append(buffer.data(), take);
      if (take < static_cast<std::size_t>(n)) truncated = true;
    } else if (n == 0) {
      fd.reset();
    } else if (errno == EINTR) {
      continue;
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK) fd.reset();
      return;
    }
  }
}

int milliseconds_until(Clock::time_point when) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ProcessResult execute(Launch launch, std::stop_token stop, bool& network_unshared) {
  ProcessResult result;
  const auto start = Clock::now();
  const auto deadline = start + launch.deadline;
  auto finish = [&]() -> ProcessResult {
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return std::move(result);
  };

  UniqueFd in_read, in_write, out_read, out_write, err_read, err_write, status_read, status_write;
  if (!make_pipe(in_read, in_write) || !make_pipe(out_read, out_write) || !make_pipe(err_read, err_write) ||
      !make_pipe(status_read, status_write)) {
    result.error = "cannot create pipes: " + error_text(errno);
    return finish();
  }
  // Terminal mode: the child's stdin and stdout are the slave end, we read the master.
  UniqueFd terminal_slave;
  if (launch.terminal) {
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    char name[128];
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0 ||
        ::ptsname_r(master.get(), name, sizeof name) != 0) {
      result.error = "cannot open a pseudo-terminal: " + error_text(errno);
      return finish();
    }
    terminal_slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!terminal_slave) {
      result.error = std::string("cannot open the pseudo-terminal ") + name + ": " + error_text(errno);
      return finish();
    }
    termios modes{};
    if (::tcgetattr(terminal_slave.get(), &modes) == 0) {
      modes.c_oflag &= ~static_cast<tcflag_t>(ONLCR);  // output as the program wrote it
      modes.c_lflag &= ~static_cast<tcflag_t>(ECHO);   // typed stdin_text is not output
      ::tcsetattr(terminal_slave.get(), TCSANOW, &modes);
    }
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 80;
    ::ioctl(terminal_slave.get(), TIOCSWINSZ, &size);
    for (UniqueFd* fd : {&terminal_slave, &master}) {
      if (fd->get() < 3) fd->reset(::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3));
    }
    // The master is both ends for us: output comes from it, typed input goes to it.
    out_read = UniqueFd(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    in_write = std::move(master);
    in_read.reset();
    out_write.reset();
  }
  std::string exec_path = launch.exec_path.string();
  std::string cwd = launch.cwd.string();
  auto argv = c_strings(launch.argv);
  auto envp = c_strings(launch.env);
  ChildSetup setup{};
  setup.path = exec_path.c_str();
  setup.argv = argv.data();
  setup.envp = envp.data();
  setup.cwd = cwd.c_str();
  setup.stdin_fd = launch.terminal ? terminal_slave.get() : in_read.get();
  setup.stdout_fd = launch.terminal ? terminal_slave.get() : out_write.get();
  setup.terminal = launch.terminal;
  setup.stderr_fd = err_write.get();
  setup.status_fd = status_write.get();
  setup.limits = launch.limits;
  if (launch.limits) {
    setup.nproc = limit_of(static_cast<rlim_t>(std::max(launch.max_processes, 1)), RLIMIT_NPROC);
    setup.address_space = limit_of(launch.max_memory_bytes, RLIMIT_AS);
    setup.file_size = limit_of(launch.max_file_bytes, RLIMIT_FSIZE);
    // SIGXCPU at the soft limit, SIGKILL a second later.
    setup.cpu = limit_of(static_cast<rlim_t>(std::max(launch.max_cpu_seconds, 1)), RLIMIT_CPU, 1);
  }
  setup.core = rlimit{0, 0};
  setup.unshare_net = launch.unshare_net;
  long open_max = ::sysconf(_SC_OPEN_MAX);
  setup.max_fd = static_cast<int>(std::clamp<long>(open_max, 256, 65536));

  pid_t pid = ::fork();
  if (pid < 0) {
    result.error = "fork failed: " + error_text(errno);
    return finish();
  }
  if (pid == 0) child_main(setup);
  result.pid = pid;
  in_read.reset();
  out_write.reset();
  err_write.reset();
  status_write.reset();
  terminal_slave.reset();  // else the master never reports the child's end (EIO)

  // The status pipe closes at exec; before that the child reports what it did or why it failed.
  std::string status;
  char status_buffer[64];
  for (;;) {
    ssize_t n = ::read(status_read.get(), status_buffer, sizeof status_buffer);
    if (n > 0) {
      status.append(status_buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  network_unshared = status.find(kNetworkUnshared) != std::string::npos;
  if (auto failure = status.find_first_of(std::string{kFailedDup, kFailedLimits, kFailedChdir, kFailedExec});
      failure != std::string::npos && status.size() >= failure + 1 + sizeof(int)) {
    int err = 0;
    std::memcpy(&err, status.data() + failure + 1, sizeof err);
    const char* what = status[failure] == kFailedDup      ? "cannot set up the standard streams"
                       : status[failure] == kFailedLimits ? "cannot set the resource limits"
                       : status[failure] == kFailedChdir  ? "cannot enter the working folder"
                                                          : "cannot run";
    result.error = std::string(what) + " (" + exec_path + "): " + error_text(err);
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    return finish();
  }
  result.started = true;

  set_nonblocking(out_read.get());
  set_nonblocking(err_read.get());
  set_nonblocking(in_write.get());
  // A program that waits for input (a game) blocks on an open, silent stdin instead of
  // reading end-of-file: the smoke run then sees it still running at the deadline.
  UniqueFd held_stdin;
  if (launch.stdin_text.empty()) {
    if (launch.keep_stdin_open) held_stdin = std::move(in_write);
    in_write.reset();
  }
  std::optional<SigpipeBlock> sigpipe_block;
  if (in_write) sigpipe_block.emplace();
  UniqueFd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  std::vector<char> buffer(kReadChunk);
  std::size_t stdin_written = 0;
  bool exited = false;
  int wait_status = 0;
  Clock::time_point drain_until{};
  auto next_count = start;
  const int tree_limit = launch.max_processes + (launch.bwrap ? kBwrapProcesses : 0);

  for (;;) {
    auto now = Clock::now();
    if (exited) {
      if (now >= drain_until || (!out_read && !err_read)) break;
    } else {
      if (now >= deadline) {
        result.timed_out = true;
        break;
      }
      if (stop.stop_requested()) {
        result.error = "stopped before the end";
        break;
      }
      if (launch.watch_tree && now >= next_count) {
        // The fallback also counts the group, where orphans stay; that means reading
        // every process on the machine, so it looks less often.
        std::optional<int> members = launch.bwrap ? count_descendants(pid) : std::nullopt;
        const bool walked = members.has_value();
        if (!walked) members = static_cast<int>(tree_members(pid).size());
        if (*members > tree_limit) {
          result.too_many_processes = true;
          break;
        }
        const bool close = 2 * *members > tree_limit;
        if (walked) {
          next_count = now + (close ? kCloseWalkTick : kWalkTick);
        } else {
          next_count = now + (close ? kCloseScanTick : kTick);
        }
      }
    }

    auto wake = exited ? drain_until : deadline;
    if (!exited && (stop.stop_possible() || !exit_fd)) wake = std::min(wake, now + kTick);
    if (!exited && launch.watch_tree) wake = std::min(wake, next_count);
    pollfd fds[4];
    nfds_t count = 0;
    int out_index = -1, err_index = -1, in_index = -1, exit_index = -1;
    if (out_read) {
      out_index = static_cast<int>(count);
      fds[count++] = {out_read.get(), POLLIN, 0};
    }
    if (err_read) {
      err_index = static_cast<int>(count);
      fds[count++] = {err_read.get(), POLLIN, 0};
    }
    if (in_write) {
      in_index = static_cast<int>(count);
      fds[count++] = {in_write.get(), POLLOUT, 0};
    }
    if (exit_fd && !exited) {
      exit_index = static_cast<int>(count);
      fds[count++] = {exit_fd.get(), POLLIN, 0};
    }
    int ready = ::poll(fds, count, milliseconds_until(wake));
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) {
      if (out_index >= 0 && fds[out_index].revents != 0) {
        drain(out_read, result.stdout_text, launch.output_cap, result.output_truncated, buffer);
      }
      if (err_index >= 0 && fds[err_index].revents != 0) {
        drain(err_read, result.stderr_text, launch.output_cap, result.output_truncated, buffer);
      }
      if (in_index >= 0 && fds[in_index].revents != 0) {
        std::size_t left = launch.stdin_text.size() - stdin_written;
        ssize_t n = ::write(in_write.get(), launch.stdin_text.data() + stdin_written, std::min(left, kReadChunk));
        if (n > 0) stdin_written += static_cast<std::size_t>(n);
        if (stdin_written == launch.stdin_text.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          in_write.reset();
        }
      }
    }
    if (!exited && (exit_index < 0 || ready > 0)) {
      // WNOWAIT keeps the exited leader as a zombie, so its group id cannot be reused
      // before the group (orphaned grandchildren) is killed.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
        exited = true;
        in_write.reset();
        drain_until = Clock::now() + kDrainAfterExit;
      }
    }
  }

  if (!exited) {
    kill_tree(pid, launch.bwrap);
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    // Output already in the pipes, without waiting for more.
    drain(out_read, result.stdout_text, launch.output_cap, result.output_truncated, buffer);
    drain(err_read, result.stderr_text, launch.output_cap, result.output_truncated, buffer);
  }
  if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
    if (launch.bwrap && result.exit_code > 128 && result.exit_code < 160) {
      result.signal = result.exit_code - 128;
      result.exit_code = -1;
    }
  } else if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
  }
  return finish();
}

std::vector<std::string> environment_lines(const std::map<std::string, std::string>& env) {
  std::vector<std::string> lines;
  for (const auto& [name, value] : env) {
    if (name.empty() || name.find('=') != std::string::npos) continue;
    lines.push_back(name + "=" + value);
  }
  return lines;
}

struct Probe {
  std::optional<fs::path> bwrap;  // set when bwrap is installed and works here
  bool unshare_net = false;
};

Probe run_probe() {
  Probe probe;
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(unshare_network() ? 0 : 1);
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid) {
    probe.unshare_net = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  const fs::path root = "/";
  auto bwrap = resolve_program("bwrap", caller_path(), root);
  auto true_program = resolve_program("true", "/usr/bin:/bin", root);
  if (!bwrap || !true_program) {
    spdlog::debug("bwrap is not installed: running generated code with rlimits only");
    return probe;
  }
  Launch launch;
  launch.exec_path = *bwrap;
  launch.argv = bwrap_options(*bwrap, {}, {});
  launch.argv.push_back(true_program->string());
  launch.env = {"PATH=/usr/bin:/bin"};
  launch.cwd = root;
  launch.deadline = std::chrono::milliseconds(10000);
  bool ignored = false;
  ProcessResult result = execute(std::move(launch), {}, ignored);
  if (result.started && result.exit_code == 0) {
    probe.bwrap = *bwrap;
  } else {
    std::string why = !result.error.empty()           ? result.error
                      : !result.stderr_text.empty() ? result.stderr_text
                                                    : "exit code " + std::to_string(result.exit_code);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    spdlog::warn("bwrap is installed but does not work here ({}): falling back to rlimits", why);
  }
  return probe;
}

const Probe& probe() {
  static const Probe probe = run_probe();
  return probe;
}

}  // namespace

std::string sandbox_kind() {
  const Probe& p = probe();
  if (p.bwrap) return "bwrap";
  return p.unshare_net ? "rlimits+unshare" : "rlimits";
}

std::string caller_path() {
  const char* path = std::getenv("PATH");
  return (path != nullptr && *path != '\0') ? path : "/usr/local/bin:/usr/bin:/bin";
}

std::string find_program(const std::string& program, const std::string& cwd) {
  std::error_code ec;
  const fs::path base = cwd.empty() ? fs::current_path(ec) : fs::path(cwd);
  auto found = resolve_program(program, caller_path(), base);
  return found ? found->string() : std::string();
}

bool program_available(const std::string& program) {
  if (program.empty() || program.find('/') != std::string::npos) return false;
  return resolve_program(program, caller_path(), "/").has_value();
}

std::string python_interpreter() {
  static const std::string interpreter = [] {
    ProcessSpec spec;
    spec.argv = {"python3", "-c", "import sys; print(sys.executable)"};
    spec.sandbox = false;
    spec.deadline = std::chrono::milliseconds(10000);
    ProcessResult result = run_process(spec);
    std::string path = result.stdout_text;
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (result.exit_code != 0 || path.empty() || path.front() != '/' || !is_executable_file(path)) return std::string("python3");
    return path;
  }();
  return interpreter;
}

ProcessResult run_process(const ProcessSpec& spec) { return run_process(spec, {}); }

ProcessResult run_process(const ProcessSpec& spec, std::stop_token stop) {
  const bool use_bwrap = spec.sandbox && !spec.force_fallback && probe().bwrap.has_value();
  ProcessResult refused;
  refused.sandbox = use_bwrap ? "bwrap" : spec.sandbox ? "rlimits" : "none";
  if (spec.argv.empty()) {
    refused.error = "no program given";
    return refused;
  }
  std::error_code ec;
  fs::path cwd = spec.cwd.empty() ? fs::current_path(ec) : fs::path(spec.cwd);
  if (!ec) cwd = fs::canonical(cwd, ec);
  if (ec || !fs::is_directory(cwd)) {
    refused.error = "the working folder \"" + spec.cwd + "\" does not exist";
    return refused;
  }
  if (spec.sandbox && cwd == "/") {
    refused.error = "refusing to run sandboxed code with / as its writable folder";
    return refused;
  }

  std::map<std::string, std::string> env;
  env["PATH"] = caller_path();
  const char* home = std::getenv("HOME");
  env["HOME"] = spec.sandbox || home == nullptr ? cwd.string() : std::string(home);
  env["LANG"] = "C.UTF-8";
  for (const auto& [name, value] : spec.env) env[name] = value;

  // Sandboxed "python3" runs the interpreter python3 finally runs (python_interpreter()),
  // resolved here at the spawn rather than where commands are built: recorded commands then
  // read "python3" on every machine, and a replay answering them from its trace resolves nothing.
  const bool python = spec.sandbox && spec.argv[0] == "python3";
  const std::string wanted = python ? python_interpreter() : spec.argv[0];
  auto program = resolve_program(wanted, env["PATH"], cwd);
  if (!program) {
    refused.error = "program not found: " + spec.argv[0];
    return refused;
  }

  Launch launch;
  launch.env = environment_lines(env);
  launch.cwd = cwd;
  launch.deadline = spec.deadline;
  launch.output_cap = spec.output_cap;
  launch.stdin_text = spec.stdin_text;
  launch.keep_stdin_open = spec.keep_stdin_open || spec.terminal;
  launch.terminal = spec.terminal;
  launch.limits = spec.sandbox;
  launch.watch_tree = spec.sandbox;
  launch.max_processes = spec.max_processes;
  launch.max_memory_bytes = spec.max_memory_bytes;
  launch.max_file_bytes = spec.max_file_bytes;
  launch.max_cpu_seconds = spec.max_cpu_seconds;

  std::string sandbox = "none";
  if (use_bwrap) {
    const fs::path& bwrap = *probe().bwrap;
    // The program as found (its folder resolved, e.g. a pyenv shim) and as finally run
    // (every link resolved) must both be visible inside.
    std::vector<fs::path> trees;
    fs::path found = fs::weakly_canonical(program->parent_path(), ec) / program->filename();
    fs::path real = fs::canonical(*program, ec);
    for (const auto& path : {found, real}) {
      if (path.empty()) continue;
      if (auto tree = install_tree(path, cwd); tree && std::find(trees.begin(), trees.end(), *tree) == trees.end()) {
        trees.push_back(*tree);
      }
    }
    launch.exec_path = bwrap;
    launch.argv = bwrap_options(bwrap, cwd, trees);
    launch.argv.push_back(found.string());
    launch.argv.insert(launch.argv.end(), spec.argv.begin() + 1, spec.argv.end());
    launch.bwrap = true;
    sandbox = "bwrap";
  } else {
    launch.exec_path = *program;
    launch.argv = spec.argv;
    if (python) launch.argv[0] = program->string();
    launch.unshare_net = spec.sandbox;
    if (spec.sandbox) sandbox = "rlimits";
  }

  bool network_unshared = false;
  ProcessResult result = execute(std::move(launch), stop, network_unshared);
  if (network_unshared) sandbox = "rlimits+unshare";
  result.sandbox = sandbox;
  return result;
}

boost::asio::awaitable<ProcessResult> run_process_async(ProcessSpec spec) {
  namespace asio = boost::asio;
  using Done = asio::experimental::concurrent_channel<void(boost::system::error_code, ProcessResult)>;
  co_await asio::this_coro::throw_if_cancelled(false);
  ProcessJournal* journal = process_journal();
  if (journal) {
    std::optional<ProcessResult> recalled = co_await journal->recall(spec);
    if (recalled) {
      journal->record(spec, *recalled, true);
      co_return *recalled;
    }
  }
  auto executor = co_await asio::this_coro::executor;
  Done done(executor, 1);
  // Declared after the channel, so destroyed (stopped and joined) before it.
  std::jthread worker([&spec, &done](std::stop_token stop) {
    ProcessResult result = run_process(spec, stop);
    done.try_send(boost::system::error_code{}, std::move(result));
  });
  for (;;) {
    auto [ec, result] = co_await done.async_receive(asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      worker.join();
      if (journal) journal->record(spec, result, false);
      co_return result;
    }
    // Cancelled: kill the process, and still wait for the thread (no detached work).
    worker.request_stop();
    co_await asio::this_coro::reset_cancellation_state();
  }
}

}  // namespace agentco
