// A cluster on this machine for the tests of cluster/: a real nats-server (JetStream) on a
// loopback port, the fake model server, worker processes; and what the tests do to them (a
// machine that dies: kill_tree). Skipped (SKIP_WITHOUT_NATS) when nats-server is absent.
#pragma once
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/nats_settings.hpp"
#include "tests/support/bench_runs.hpp"
#include "tests/support/nats_server.hpp"

namespace agentco::testing {

namespace cluster_fs = std::filesystem;

#define SKIP_WITHOUT_NATS()                       \
  if (testing::nats_server_program().empty())     \
  GTEST_SKIP() << "nats-server is not installed " \
                  "(Debian: apt-get install nats-server)"

inline bool wait_until(const std::function<bool()>& condition, std::chrono::seconds limit) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// A nats-server of a test's own, and the settings that reach it.
struct LoneNatsServer {
  explicit LoneNatsServer(const std::string& tag) : sandbox(tag), server(sandbox.root() / "nats") {
    settings.url = server.url();
  }
  RunSandbox sandbox;
  NatsServerProcess server;
  NatsSettings settings;
};

// The processes of a test: a nats-server, the fake model server, workers, a coordinator.
class Cluster {
 public:
  Cluster(const std::string& tag, const nlohmann::json& latency = nullptr)
      : sandbox_(tag), nats_(sandbox_.root() / "nats") {
    spill(sandbox_.file("fast.yaml"), testing::kFastConfig);
    // Workers: a job they stop acknowledging goes to another worker after 2 s.
    spill(sandbox_.file("worker.yaml"), "nats:\n  ack_wait_s: 2\n");
    server_ = std::make_unique<testing::FakeServerProcess>(
        sandbox_.root() / "server",
        testing::FakeServerProcess::Options{testing::tiny_project_script(nullptr, latency), "", false});
  }
  bool ok() const { return nats_.ok() && server_->ok(); }
  RunSandbox& sandbox() { return sandbox_; }
  testing::NatsServerProcess& nats() { return nats_; }
  testing::FakeServerProcess& server() { return *server_; }
  cluster_fs::path workdir(const std::string& name) const { return sandbox_.root() / ("worker-" + name); }

  std::shared_ptr<testing::BackgroundProcess> worker(const std::string& name, int slots,
                                                     const std::vector<std::string>& env = {}) {
    auto options = sandbox_.options({"worker", "--nats", nats_.url(), "--name", name, "--slots",
                                     std::to_string(slots), "--workdir", workdir(name).string(), "--keep",
                                     "--no-user-config", "--config", sandbox_.file("worker.yaml").string()},
                                    env);
    auto process = std::make_shared<testing::BackgroundProcess>(options);
    workers_.emplace_back(name, process);
    return process;
  }
  // What the workers still running printed so far: for a failing test's message.
  std::string said() {
    std::string text;
    for (auto& [name, weak] : workers_)
      if (auto process = weak.lock()) text += "\n--- worker " + name + ":\n" + process->output_so_far();
    return text;
  }

  testing::ProcessOptions bench(const std::vector<std::string>& prompts,
                                const std::vector<std::string>& extra = {}) {
    std::string text;
    for (const auto& p : prompts) text += p + "\n";
    spill(sandbox_.work() / "prompts.txt", text);
    std::vector<std::string> args = {"bench",
                                     "prompts.txt",
                                     "--no-user-config",
                                     "--nats",
                                     nats_.url(),
                                     "--llm-base-url",
                                     server_->base_url(),
                                     "--model",
                                     "fake-model",
                                     "--config",
                                     sandbox_.file("fast.yaml").string(),
                                     "--out",
                                     out().string(),
                                     "--quality-deadline",
                                     "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto options = sandbox_.options(args, {});
    // Below ctest's 120 s: a bench that hangs fails with what it and the workers said.
    options.timeout = std::chrono::seconds(100);
    return options;
  }
  cluster_fs::path out() const { return sandbox_.root() / "experiment"; }

  // The run folders a worker kept, by folder name.
  std::map<std::string, cluster_fs::path> kept(const std::string& name) const {
    std::map<std::string, cluster_fs::path> found;
    std::error_code ec;
    for (cluster_fs::recursive_directory_iterator it(workdir(name), ec), end; !ec && it != end;
         it.increment(ec))
      if (it->is_regular_file(ec) && it->path().filename() == "run.jsonl" &&
          !has(it->path().parent_path().filename().string(), ".interrupted"))
        found[it->path().parent_path().filename().string()] = it->path().parent_path();
    return found;
  }

 private:
  RunSandbox sandbox_;
  testing::NatsServerProcess nats_;
  std::unique_ptr<testing::FakeServerProcess> server_;
  std::vector<std::pair<std::string, std::weak_ptr<testing::BackgroundProcess>>> workers_;
};

// Every process below `pid` and itself, killed at once (a machine that died).
inline void kill_tree(pid_t pid) {
  std::set<pid_t> tree = {pid};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& entry : cluster_fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      char state;
      pid_t parent = 0;
      rest >> state >> parent;
      const pid_t child = std::stoi(name);
      if (tree.count(parent) && !tree.count(child)) {
        tree.insert(child);
        grew = true;
      }
    }
  }
  for (pid_t p : tree) ::kill(p, SIGKILL);
}

// The first run.jsonl under `dir` holding at least `bytes`.
inline bool has_trace_of(const cluster_fs::path& dir, std::uintmax_t bytes) {
  std::error_code ec;
  for (cluster_fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename() == "run.jsonl" && cluster_fs::file_size(it->path(), ec) >= bytes) return true;
  return false;
}

}  // namespace agentco::testing
