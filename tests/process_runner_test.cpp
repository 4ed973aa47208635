#include "environment/process_runner.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace agentco {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// --- Looking at the host's processes -------------------------------------------------

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

struct HostProcess {
  pid_t pid = 0;
  char state = '?';
  pid_t pgrp = 0;
  std::vector<std::string> argv;
};

// Live (not zombie) processes on the host, seen through /proc (which also shows the
// processes inside bwrap's namespaces).
std::vector<HostProcess> live_processes() {
  std::vector<HostProcess> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file(entry.path() / "stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    HostProcess p;
    p.pid = std::stoi(name);
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close_paren + 1, " %c %d %d", &p.state, &ppid, &p.pgrp) != 3) continue;
    if (p.state == 'Z' || p.state == 'X') continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::size_t begin = 0;
    while (begin < cmdline.size()) {
      std::size_t end = cmdline.find('\0', begin);
      if (end == std::string::npos) end = cmdline.size();
      p.argv.push_back(cmdline.substr(begin, end - begin));
      begin = end + 1;
    }
    out.push_back(std::move(p));
  }
  return out;
}

int live_processes_with_argument(const std::string& token) {
  int count = 0;
  for (const auto& p : live_processes()) {
    for (const auto& arg : p.argv) {
      if (arg.find(token) != std::string::npos) {
        ++count;
        break;
      }
    }
  }
  return count;
}

int live_processes_in_group(pid_t pgrp) {
  int count = 0;
  for (const auto& p : live_processes()) count += p.pgrp == pgrp ? 1 : 0;
  return count;
}

// SIGKILL is delivered at once but a dying process takes a moment to leave /proc.
bool becomes_true_within(std::chrono::milliseconds limit, const std::function<bool()>& condition) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A token unique to this test run, to find the processes a test started.
std::string unique_token() {
  std::random_device random;
  return std::to_string(::getpid()) + std::to_string(random() % 100000);
}

// --- Fixture: each behaviour under bwrap and under the rlimits fallback -----------------

class ProcessRunnerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!fallback() && sandbox_kind() != "bwrap") {
      GTEST_SKIP() << "bwrap is not installed or does not work here (sandbox: " << sandbox_kind() << ")";
    }
    std::random_device random;
    base_ = fs::temp_directory_path() /
            ("agentco_process_runner_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    project_ = base_ / "project";
    fs::create_directories(project_);
    project_ = fs::canonical(project_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!base_.empty()) fs::remove_all(base_, ec);
  }

  bool fallback() const { return GetParam(); }

  ProcessSpec spec(std::vector<std::string> argv) const {
    ProcessSpec s;
    s.argv = std::move(argv);
    s.cwd = project_.string();
    s.deadline = 5000ms;
    s.force_fallback = fallback();
    return s;
  }

  void expect_sandbox_named(const ProcessResult& result) const {
    if (fallback()) {
      EXPECT_TRUE(result.sandbox == "rlimits+unshare" || result.sandbox == "rlimits") << result.sandbox;
    } else {
      EXPECT_EQ(result.sandbox, "bwrap");
    }
  }

  void require_python() const {
    if (!program_available("python3")) GTEST_SKIP() << "python3 is not installed";
  }

  fs::path base_;
  fs::path project_;
};

INSTANTIATE_TEST_SUITE_P(ProcessRunner, ProcessRunnerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Fallback" : "Bwrap"; });

TEST_P(ProcessRunnerTest, ReportsTheOutputAndExitCodeOfEcho) {
  ProcessResult result = run_process(spec({"echo", "hello", "world"}));
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.signal, 0);
  EXPECT_EQ(result.stdout_text, "hello world\n");
  EXPECT_EQ(result.stderr_text, "");
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.output_truncated);
  EXPECT_GT(result.pid, 0);
  expect_sandbox_named(result);
}

TEST_P(ProcessRunnerTest, ReportsANonzeroExitCodeAndStderr) {
  ProcessResult result = run_process(spec({"sh", "-c", "echo oops >&2; exit 3"}));
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, 0);
  EXPECT_EQ(result.stderr_text, "oops\n");
}

TEST_P(ProcessRunnerTest, ReportsDeathBySignal) {
  ProcessResult result = run_process(spec({"sh", "-c", "kill -SEGV $$"}));
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.signal, SIGSEGV);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_FALSE(result.timed_out);
}

TEST_P(ProcessRunnerTest, KillsASleepingProgramAtTheDeadline) {
  auto s = spec({"sleep", "60"});
  s.deadline = 300ms;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_LT(result.seconds, 2.0);
}

TEST_P(ProcessRunnerTest, KillsTheChildrenOfAProgramAtTheDeadline) {
  const std::string token = unique_token();
  auto s = spec({"sh", "-c", "sleep 60." + token + " & sleep 61." + token + " & wait"});
  s.deadline = 500ms;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(result.seconds, 2.0);
  EXPECT_TRUE(becomes_true_within(500ms, [&] { return live_processes_with_argument(token) == 0; }))
      << live_processes_with_argument(token) << " sleeps survived";
  EXPECT_EQ(live_processes_in_group(result.pid), 0);
}

TEST_P(ProcessRunnerTest, LeavesNoOrphanHoldingItsOutputWhenTheProgramExits) {
  const std::string token = unique_token();
  // The background sleep keeps stdout open: the call must not wait for it.
  ProcessResult result = run_process(spec({"sh", "-c", "sleep 62." + token + " & echo started"}));
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "started\n");
  EXPECT_FALSE(result.timed_out);
  EXPECT_LT(result.seconds, 2.0);
  EXPECT_TRUE(becomes_true_within(500ms, [&] { return live_processes_with_argument(token) == 0; }));
}

TEST_P(ProcessRunnerTest, CapsTheOutputOfAProgramThatPrintsWithoutEnd) {
  auto s = spec({"yes"});
  s.deadline = 1000ms;
  s.output_cap = 4096;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_TRUE(result.output_truncated);
  EXPECT_EQ(result.stdout_text.size(), 4096u);
  EXPECT_EQ(result.stdout_text.substr(0, 4), "y\ny\n");
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(result.seconds, 2.5);
}

TEST_P(ProcessRunnerTest, FeedsStdinToTheProgram) {
  auto s = spec({"cat"});
  s.stdin_text = "hello\nworld\n";
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "hello\nworld\n");
}

TEST_P(ProcessRunnerTest, FeedsAStdinLargerThanThePipeBuffer) {
  auto s = spec({"wc", "-c"});
  s.stdin_text = std::string(1 << 20, 'x');
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "1048576\n");
}

TEST_P(ProcessRunnerTest, SurvivesAProgramThatDoesNotReadItsStdin) {
  // Writing to the closed pipe must fail quietly, not kill the test with SIGPIPE.
  auto s = spec({"head", "-c", "3"});
  s.stdin_text = std::string(4 << 20, 'z');
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "zzz");
  EXPECT_LT(result.seconds, 2.0);
}

TEST_P(ProcessRunnerTest, DoesNotPassOnTheCallersEnvironment) {
  ::setenv("AGENTCO_TEST_SECRET", "sk-should-not-leak", 1);
  auto s = spec({"sh", "-c", "echo \"${AGENTCO_TEST_SECRET:-unset} $EXTRA $HOME $LANG\""});
  s.env["EXTRA"] = "given";
  ProcessResult result = run_process(s);
  ::unsetenv("AGENTCO_TEST_SECRET");
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.stdout_text, "unset given " + project_.string() + " C.UTF-8\n");
}

TEST_P(ProcessRunnerTest, ReportsAMissingProgramAsNotStarted) {
  ProcessResult result = run_process(spec({"agentco-no-such-program"}));
  EXPECT_FALSE(result.started);
  EXPECT_NE(result.error.find("agentco-no-such-program"), std::string::npos) << result.error;
  EXPECT_EQ(result.exit_code, -1);
}

TEST_P(ProcessRunnerTest, ReportsAMissingWorkingFolderAsNotStarted) {
  auto s = spec({"true"});
  s.cwd = (base_ / "missing").string();
  ProcessResult result = run_process(s);
  EXPECT_FALSE(result.started);
  EXPECT_FALSE(result.error.empty());
}

TEST_P(ProcessRunnerTest, KeepsWritesInsideTheProjectFolder) {
  if (fallback()) GTEST_SKIP() << "the rlimits fallback does not confine file writes";
  require_python();
  const std::string token = unique_token();
  const char* host_home = std::getenv("HOME");
  const fs::path in_tmp = "/tmp/agentco_escape_test_" + token;
  const fs::path in_parent = base_ / "escaped.txt";
  const fs::path in_home = fs::path(host_home != nullptr ? host_home : "/root") / ("agentco_escape_test_" + token);
  const fs::path in_root = "/agentco_escape_test_" + token;
  const char* program =
      "import sys\n"
      "for path in sys.argv[1:]:\n"
      "    try:\n"
      "        open(path, 'w').write('x')\n"
      "        print('wrote', path)\n"
      "    except OSError as e:\n"
      "        print('refused', path, e)\n";
  ProcessResult result = run_process(spec({"python3", "-c", program, "inside.txt", in_tmp.string(),
                                           in_parent.string(), in_home.string(), in_root.string()}));
  const bool tmp_escaped = fs::exists(in_tmp), parent_escaped = fs::exists(in_parent),
             home_escaped = fs::exists(in_home), root_escaped = fs::exists(in_root);
  std::error_code ec;
  fs::remove(in_tmp, ec);
  fs::remove(in_home, ec);
  fs::remove(in_root, ec);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_TRUE(fs::exists(project_ / "inside.txt")) << result.stdout_text;
  EXPECT_FALSE(tmp_escaped) << result.stdout_text;
  EXPECT_FALSE(parent_escaped) << result.stdout_text;
  EXPECT_FALSE(home_escaped) << result.stdout_text;
  EXPECT_FALSE(root_escaped) << result.stdout_text;
}

TEST_P(ProcessRunnerTest, CannotConnectToAServerOnTheHostLoopback) {
  require_python();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin_port));

  const char* program =
      "import socket, sys\n"
      "try:\n"
      "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2)\n"
      "    print('connected')\n"
      "except OSError as e:\n"
      "    print('blocked:', e)\n";
  ProcessResult result = run_process(spec({"python3", "-c", program, port}));
  int accepted = ::accept(listener, nullptr, nullptr);
  if (accepted >= 0) ::close(accepted);
  ::close(listener);
  ASSERT_TRUE(result.started) << result.error;
  if (result.sandbox == "rlimits") GTEST_SKIP() << "no network namespace here: the fallback cannot cut the network";
  EXPECT_EQ(result.stdout_text.find("connected"), std::string::npos) << result.stdout_text;
  EXPECT_NE(result.stdout_text.find("blocked"), std::string::npos) << result.stdout_text << result.stderr_text;
  EXPECT_LT(accepted, 0);
}

TEST_P(ProcessRunnerTest, ContainsABoundedForkStorm) {
  require_python();
  // At most 2000 sleeping processes even if nothing stopped it, so the shared machine
  // survives a failure of this test.
  const char* program =
      "import os, sys, time\n"
      "n = 0\n"
      "while n < 2000:\n"
      "    try:\n"
      "        pid = os.fork()\n"
      "    except OSError as e:\n"
      "        print('fork failed', n, e, flush=True)\n"
      "        break\n"
      "    if pid == 0:\n"
      "        time.sleep(30)\n"
      "        os._exit(0)\n"
      "    n += 1\n"
      "    print(n, flush=True)\n"
      "time.sleep(30)\n";
  const std::string token = "storm" + unique_token();
  const auto before = live_processes().size();
  auto s = spec({"python3", "-c", program, token});
  s.deadline = 3000ms;
  s.max_processes = 32;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_TRUE(result.too_many_processes) << result.stdout_text.substr(0, 200);
  EXPECT_LT(result.seconds, 3.5);
  int most_forks = 0;
  std::istringstream lines(result.stdout_text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) most_forks = std::stoi(line);
  }
  EXPECT_LT(most_forks, 200) << "the storm was stopped late";
  EXPECT_TRUE(becomes_true_within(1000ms, [&] { return live_processes_with_argument(token) == 0; }))
      << live_processes_with_argument(token) << " storm processes survived";
  // Other work shares this machine: a margin, far below the storm's size.
  EXPECT_LT(live_processes().size(), before + 100);
}

TEST_P(ProcessRunnerTest, StopsABusyLoopAtTheCpuLimit) {
  auto s = spec({"sh", "-c", "ulimit -t; while :; do :; done"});
  s.max_cpu_seconds = 1;
  // One second of CPU can take three on this shared two-core machine.
  s.deadline = 4500ms;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.stdout_text, "1\n");
  if (result.timed_out) GTEST_SKIP() << "the machine is too busy to give 1 s of CPU within 4.5 s";
  EXPECT_TRUE(result.signal == SIGXCPU || result.signal == SIGKILL) << result.signal;
}

TEST_P(ProcessRunnerTest, StopsAWriteBeyondTheFileSizeLimit) {
  auto s = spec({"sh", "-c", "head -c 3000000 /dev/zero > big.bin"});
  s.max_file_bytes = 1 << 20;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_NE(result.exit_code, 0);
  EXPECT_LE(fs::file_size(project_ / "big.bin"), 1u << 20);
}

TEST_P(ProcessRunnerTest, RefusesMemoryBeyondTheLimit) {
  require_python();
  auto s = spec({"python3", "-c", "x = bytearray(512 * 1024 * 1024)"});
  s.max_memory_bytes = 256ull << 20;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.stderr_text.find("MemoryError"), std::string::npos) << result.stderr_text;
}

// --- Not per sandbox --------------------------------------------------------------------

TEST(ProcessRunner, NamesTheSandboxItUses) {
  const std::string kind = sandbox_kind();
  EXPECT_TRUE(kind == "bwrap" || kind == "rlimits+unshare" || kind == "rlimits") << kind;
}

TEST(ProcessRunner, FindsProgramsInThePath) {
  EXPECT_TRUE(program_available("sh"));
  EXPECT_FALSE(program_available("agentco-no-such-program"));
  EXPECT_FALSE(program_available(""));
}

TEST(ProcessRunner, RunsTrustedToolsWithoutASandbox) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo $HOME"};
  spec.cwd = fs::temp_directory_path().string();
  spec.sandbox = false;
  ProcessResult result = run_process(spec);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.sandbox, "none");
  EXPECT_EQ(result.exit_code, 0);
  const char* home = std::getenv("HOME");
  if (home != nullptr) {
    EXPECT_EQ(result.stdout_text, std::string(home) + "\n");
  }
}

TEST(ProcessRunner, ResumesTheAwaitingCoroutineOnItsExecutor) {
  boost::asio::io_context io;
  ProcessSpec spec;
  spec.argv = {"echo", "async"};
  spec.cwd = fs::temp_directory_path().string();
  std::optional<ProcessResult> result;
  std::thread::id resumed_on;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        ProcessResult r = co_await run_process_async(spec);
        resumed_on = std::this_thread::get_id();
        result = std::move(r);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(result->stdout_text, "async\n");
}

TEST(ProcessRunner, CancellingAnAsyncRunKillsTheProcess) {
  boost::asio::io_context io;
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  spec.cwd = fs::temp_directory_path().string();
  spec.deadline = 20000ms;
  boost::asio::cancellation_signal cancel;
  std::optional<ProcessResult> result;
  const auto start = std::chrono::steady_clock::now();
  boost::asio::co_spawn(io, run_process_async(spec),
                        boost::asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, ProcessResult r) {
                          if (!e) result = std::move(r);
                        }));
  boost::asio::steady_timer timer(io, 300ms);
  timer.async_wait([&](boost::system::error_code) { cancel.emit(boost::asio::cancellation_type::terminal); });
  io.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->started);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->signal, SIGKILL);
  EXPECT_LT(seconds, 2.0);
}

TEST_P(ProcessRunnerTest, RunsAProgramOnATerminalOfItsOwnWhenAsked) {
  ProcessSpec s = spec({"sh", "-c", "test -t 0 && test -t 1 && echo on a terminal; test -t 2 || echo stderr is a pipe >&2; stty size"});
  s.terminal = true;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text, "on a terminal\n24 80\n");
  EXPECT_EQ(result.stderr_text, "stderr is a pipe\n");
  expect_sandbox_named(result);
}

TEST_P(ProcessRunnerTest, AProgramWaitingOnItsTerminalIsStillRunningAtTheDeadline) {
  ProcessSpec s = spec({"sh", "-c", "echo waiting; read line; echo never"});
  s.terminal = true;
  s.deadline = 500ms;
  ProcessResult result = run_process(s);
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.stdout_text, "waiting\n");
}

}  // namespace
}  // namespace agentco
