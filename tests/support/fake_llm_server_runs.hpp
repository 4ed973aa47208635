// End-to-end runs of the real agentco binary against the fake-llm-server program, for the
// fault matrix, the MetaGPT snake fixture and Ctrl-C tests:
// - BackgroundProcess: a child with stdout/stderr captured by reader threads, which a test
//   can wait on line by line, signal, and reap (SIGKILL at a timeout, and in the destructor).
// - FakeServerProcess: `fake-llm-server --script FILE` (optionally --tls, --fixtures) started
//   and stopped around a test; requests() reads its request log (GET /_fake/requests).
// - RunSandbox: a temp HOME/work/warehouse, `agentco run` with a clean environment.
// - expect_work_kept(): what a run left is whole: every trace line verifies, seq has no
//   gaps, it ends with run_end, every model request has its answer or error, every file's
//   last file_write is on disk and committed at HEAD, every traced commit is in git.
#pragma once
#include <fcntl.h>
#include <git2.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/http_transport.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/git_inspect.hpp"
#include "trace/trace.hpp"

namespace agentco::testing {

// Whether a process's output or a file's text holds `part`.
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

namespace runs_fs = std::filesystem;

inline std::string slurp(const runs_fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spill(const runs_fs::path& file, const std::string& text) {
  runs_fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// ---- A child process in the background --------------------------------------------------

class BackgroundProcess {
 public:
  explicit BackgroundProcess(const ProcessOptions& options) {
    const std::optional<SpawnedChild> child = spawn_child(options);
    if (!child) return;
    program_ = options.argv[0];
    pid_ = child->pid;
    readers_.emplace_back([this, fd = child->out_fd] { pump(fd, out_); });
    readers_.emplace_back([this, fd = child->err_fd] { pump(fd, err_); });
  }

  ~BackgroundProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      reap();
    }
    for (auto& reader : readers_)
      if (reader.joinable()) reader.join();
  }

  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void signal(int number) {
    if (pid_ > 0 && !reaped_) ::kill(pid_, number);
  }

  // The first stdout line starting with `prefix`, once it is there (nothing at the timeout or
  // when stdout closes first).
  std::optional<std::string> wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<std::string> found;
    changed_.wait_for(lock, timeout, [&] {
      std::istringstream in(out_);
      for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix) && !in.eof()) {
          found = line;
          return true;
        }
      return closed_ == 2;
    });
    return found;
  }

  // What it printed so far, stdout then stderr (for a failing test's message).
  std::string output_so_far() {
    std::lock_guard lock(mutex_);
    return out_ + err_;
  }

  // Waits for the exit (SIGKILL at the timeout) and the end of both outputs.
  ProcessResult wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    const auto deadline = Clock::now() + timeout;
    while (pid_ > 0 && !reaped_) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        status_ = status;
        break;
      }
      if (Clock::now() >= deadline) {
        result.timed_out = true;
        ::kill(pid_, SIGKILL);
        reap();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& reader : readers_)
      if (reader.joinable()) reader.join();
    std::lock_guard lock(mutex_);
    result.out = out_;
    result.err = err_;
    if (WIFEXITED(status_)) result.exit_code = WEXITSTATUS(status_);
    else if (WIFSIGNALED(status_)) result.exit_code = 128 + WTERMSIG(status_);
    expect_no_sanitizer_report(program_, result.err);
    return result;
  }

  std::string err() const {
    std::lock_guard lock(mutex_);
    return err_;
  }

 private:
  void pump(int fd, std::string& sink) {
    char buffer[4096];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      sink.append(buffer, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    ++closed_;
    changed_.notify_all();
  }

  void reap() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    status_ = status;
  }

  std::string program_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_, err_;
  int closed_ = 0;
  std::vector<std::thread> readers_;
};

// ---- Temp folders and the environment ------------------------------------------------------

class RunTempDir {
 public:
  explicit RunTempDir(const std::string& tag) {
    path_ = runs_fs::temp_directory_path() /
            ("agentco_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
    runs_fs::create_directories(path_);
    path_ = runs_fs::canonical(path_);
  }
  ~RunTempDir() {
    std::error_code ec;
    runs_fs::remove_all(path_, ec);
  }
  RunTempDir(const RunTempDir&) = delete;
  RunTempDir& operator=(const RunTempDir&) = delete;
  const runs_fs::path& path() const { return path_; }

 private:
  runs_fs::path path_;
};

// PATH, HOME and LANG only: a developer's own config, keys and proxies cannot leak in.
inline std::vector<std::string> clean_environment(const runs_fs::path& home) {
  const char* path = std::getenv("PATH");
  return {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + home.string(), "LANG=C.UTF-8"};
}

// ---- The fake server program ---------------------------------------------------------------

#ifdef AGENTCO_FAKE_SERVER
class FakeServerProcess {
 public:
  struct Options {
    std::string script;         // YAML (or JSON) text
    std::string fixtures_path;  // rsp_cache.json, for reply_fixture
    bool tls = false;
  };

  FakeServerProcess(const runs_fs::path& dir, const Options& options) : dir_(dir) {
    spill(dir / "script.yaml", options.script);
    ProcessOptions process;
    process.argv = {AGENTCO_FAKE_SERVER, "--script", (dir / "script.yaml").string()};
    if (!options.fixtures_path.empty()) {
      process.argv.push_back("--fixtures");
      process.argv.push_back(options.fixtures_path);
    }
    if (options.tls) {
      process.argv.push_back("--tls");
      process.argv.push_back("--tls-cert-out");
      process.argv.push_back(cert_path().string());
    }
    process.env = clean_environment(dir);
    process.cwd = dir;
    process_ = std::make_unique<BackgroundProcess>(process);
    auto line = process_->wait_for_line("listening on ", std::chrono::seconds(20));
    if (!line) {
      ADD_FAILURE() << "fake-llm-server did not start: " << process_->err();
      return;
    }
    base_url_ = line->substr(std::string("listening on ").size());
  }

  ~FakeServerProcess() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }

  const std::string& base_url() const { return base_url_; }
  bool ok() const { return !base_url_.empty(); }
  runs_fs::path cert_path() const { return dir_ / "fake_server_cert.pem"; }

  // The server's request log: [{method, target, role, action, rule_index, body}, ...].
  nlohmann::json requests() const {
    TransportOptions options;
    options.proxy = "";
    options.insecure = true;
    HttpTransport transport(options);
    boost::asio::io_context io;
    std::optional<Result<HttpResponse>> response;
    HttpRequest request;
    request.url = join_url(base_url_.substr(0, base_url_.rfind("/v1")), "/_fake/requests");
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> { response = co_await transport.request(request); },
        boost::asio::detached);
    io.run();
    if (!response || !*response || (*response)->status != 200) {
      ADD_FAILURE() << "cannot read the fake server's request log";
      return nlohmann::json::array();
    }
    return nlohmann::json::parse((*response)->body, nullptr, false);
  }

  // How many chat requests the rule with this index answered.
  int answered_by(int rule_index) const {
    int count = 0;
    for (const auto& entry : requests())
      if (entry.value("rule_index", -1) == rule_index) ++count;
    return count;
  }

 private:
  runs_fs::path dir_;
  std::unique_ptr<BackgroundProcess> process_;
  std::string base_url_;
};
#endif

// ---- agentco runs -----------------------------------------------------------------------

struct AgentcoRun {
  ProcessResult process;
  runs_fs::path folder;  // stdout's last line
  std::vector<nlohmann::json> trace;
  nlohmann::json meta;

  std::string describe() const {
    return "exit " + std::to_string(process.exit_code) + (process.timed_out ? " (timed out)" : "") +
           "\n--- stdout:\n" + process.out + "--- stderr:\n" + process.err;
  }
  // The last `count` non-empty stderr lines, joined.
  std::string tail(std::size_t count = 4) const {
    std::vector<std::string> lines;
    std::istringstream in(process.err);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    std::string out;
    for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
      out += lines[i] + "\n";
    return out;
  }
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (const auto& record : trace)
      if (record.value("type", "") == type) out.push_back(record);
    return out;
  }
};

class RunSandbox {
 public:
  explicit RunSandbox(const std::string& tag) : dir_(tag) {
    runs_fs::create_directories(home());
    runs_fs::create_directories(work());
  }
  runs_fs::path home() const { return dir_.path() / "home"; }
  runs_fs::path work() const { return dir_.path() / "work"; }
  runs_fs::path warehouse() const { return dir_.path() / "warehouse"; }
  runs_fs::path file(const std::string& name) const { return dir_.path() / name; }
  const runs_fs::path& root() const { return dir_.path(); }

  ProcessOptions options(const std::vector<std::string>& args, const std::vector<std::string>& env) const {
    ProcessOptions options;
    options.argv = {AGENTCO_BINARY};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = clean_environment(home());
    options.env.insert(options.env.end(), env.begin(), env.end());
    options.cwd = work();
    options.timeout = std::chrono::milliseconds(60000);
    return options;
  }

  // `agentco run --no-user-config --warehouse W --llm-base-url URL --model fake-model
  // <extra...> <idea>`.
  std::vector<std::string> run_args(const std::string& base_url, const std::string& idea,
                                    const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"run",          "--no-user-config", "--warehouse", warehouse().string(),
                                     "--llm-base-url", base_url,          "--model",     "fake-model"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(idea);
    return args;
  }

  AgentcoRun collect(ProcessResult process) const {
    AgentcoRun run;
    run.process = std::move(process);
    std::vector<std::string> lines;
    std::istringstream in(run.process.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    if (!lines.empty()) run.folder = lines.back();
    if (!run.folder.empty() && runs_fs::exists(run.folder / "run.jsonl")) {
      std::istringstream trace(slurp(run.folder / "run.jsonl"));
      for (std::string line; std::getline(trace, line);) {
        auto record = open_trace_record(line);
        if (record) run.trace.push_back(*record);
      }
    }
    if (!run.folder.empty() && runs_fs::exists(run.folder / "meta.json"))
      run.meta = nlohmann::json::parse(slurp(run.folder / "meta.json"), nullptr, false);
    return run;
  }

  AgentcoRun run(const std::string& base_url, const std::string& idea, const std::vector<std::string>& extra = {},
                 const std::vector<std::string>& env = {}) const {
    return collect(run_process(options(run_args(base_url, idea, extra), env)));
  }

 private:
  RunTempDir dir_;
};

// ---- What a run must never lose ----------------------------------------------------------

// Checks what the brief promises after every kind of ending; `reason` is run_end's reason.
inline void expect_work_kept(const AgentcoRun& run, const std::string& reason) {
  ASSERT_FALSE(run.folder.empty()) << run.describe();
  ASSERT_TRUE(runs_fs::is_directory(run.folder)) << run.folder;
  // The trace: every line verifies, numbered without gaps, ends with run_end.
  const std::string text = slurp(run.folder / "run.jsonl");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the trace's last line is torn";
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(run.trace.size(), lines) << "some trace lines do not verify";
  for (std::size_t i = 0; i < run.trace.size(); ++i)
    ASSERT_EQ(run.trace[i].value("seq", 0u), i + 1) << run.trace[i].dump();
  ASSERT_FALSE(run.trace.empty());
  EXPECT_EQ(run.trace.front().value("type", ""), "run_start");
  EXPECT_EQ(run.trace.back().value("type", ""), "run_end");
  EXPECT_EQ(run.trace.back().value("reason", ""), reason) << run.trace.back().dump();
  auto contents = read_trace(run.folder / "run.jsonl");
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_TRUE(contents->warnings.empty());

  // Every model request has its response or error.
  std::map<long, int> answers;
  for (const auto& r : run.of_type("llm_request")) answers[r.value("call_id", -1L)] += 0;
  for (const char* type : {"llm_response", "llm_error"})
    for (const auto& r : run.of_type(type)) ++answers[r.value("call_id", -1L)];
  for (const auto& [id, count] : answers) EXPECT_EQ(count, 1) << "model call " << id;

  // Every file's last write is on disk and committed; every traced commit is in the history.
  std::map<std::string, std::string> last_write;
  for (const auto& r : run.of_type("file_write")) last_write[r.value("path", "")] = r.value("content", "");
  for (const auto& [path, content] : last_write) {
    EXPECT_EQ(slurp(run.folder / path), content) << path << " differs from its last file_write";
    EXPECT_EQ(head_text(run.folder, path), std::optional<std::string>(content)) << path << " is not committed";
  }
  const auto ids = head_commits(run.folder);
  for (const auto& r : run.of_type("commit")) EXPECT_TRUE(ids.count(r.value("commit", ""))) << r.dump();
  EXPECT_EQ(ids.size(), run.of_type("commit").size());

  // meta.json says how the run ended.
  ASSERT_TRUE(run.meta.is_object()) << "meta.json is missing or broken";
  EXPECT_EQ(run.meta["outcome"].value("reason", ""), reason);
}

}  // namespace agentco::testing
