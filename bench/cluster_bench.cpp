// cluster-bench: what spreading work over processes through NATS costs and gains.
//
//   1. Experiments: `agentco bench` of P prompts against the in-process fake model server
//      with latency (time to first token, tokens/s), the 3-file scripted project, locally with
//      -j 1, 2, 4 against 1, 2, 4 worker processes (one slot each) on one nats-server. Prints
//      wall, runs/min and the coordinator's own CPU (which includes rebuilding every folder
//      by replay).
//   2. Populations: the simulation_town SOP with A citizens (--populations A,B,...) and the
//      mock model (--latency-ms, default 0), run in one process, then spread over 1 and 4
//      worker processes (`agentco run --partitions N`): wall, deliveries/s (every routed
//      delivery of the whole team over the run's wall time, joining included), the peak RSS
//      of every process of the run and per actor, and the merged trace's size.
//   3. A message across processes: core NATS publish from one connection to a subscriber on
//      another, through nats-server on loopback: one-way throughput (messages/s of 200 B) and
//      round-trip latency (ping-pong, median and p99), against the in-process bus delivery
//      of bench/scale_bench (row 5 of bench/README.md).
//
// Usage: cluster-bench [--prompts P] [--ttft-ms MS] [--skip-experiments] [--populations A,B]
//        [--spreads 0,1,4 (0: in one process)] [--latency-ms MS] [--skip-hops]. Needs nats-server
// (Debian: /usr/sbin/nats-server).
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/support/measure.hpp"
#include "cluster/nats_client.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/loopback_port.hpp"
#include "tests/support/nats_program.hpp"
#include "tests/support/scripted_project.hpp"

namespace {

namespace fs = std::filesystem;
using namespace agentco;
using bench::Clock;

// A background process with its output in a file; killed (SIGTERM, then SIGKILL) on destruction.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("AGENTCO_RUN_RENDER_DIAGRAMS", "false", 0);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

bool wait_for_port(int port) {
  for (int i = 0; i < 200; ++i) {
    if (testing::loopback_port_accepts(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

struct Figures {
  double wall = 0, cpu = 0;
  int finished = 0;
  std::string error;
};

Figures bench_once(const std::vector<std::string>& argv) {
  bench::ChildRun r = bench::run_child(argv);
  Figures f;
  f.wall = r.wall_s;
  f.cpu = r.cpu_s;
  const auto at = r.err.find(" of ");
  if (r.exit_code != 0 || at == std::string::npos)
    f.error = fmt::format("exit {}: {}", r.exit_code, r.err.substr(0, 400));
  const auto line = r.err.rfind("agentco bench: ");
  if (line != std::string::npos) std::sscanf(r.err.c_str() + line, "agentco bench: %d of", &f.finished);
  return f;
}

void experiments(const fs::path& root, int prompts, double ttft_ms) {
  const auto files = testing::scripted_project(3);
  testing::ScriptOptions script;
  script.ttft_ms = ttft_ms;
  script.tokens_per_second = 400;
  testing::FakeLlmServer server(testing::scripted_project_script(files, script).dump());
  {
    std::ofstream list(root / "prompts.txt");
    for (int i = 1; i <= prompts; ++i) list << "a project of three files, number " << i << "\n";
  }
  const int port = testing::free_loopback_port();
  const std::string url = fmt::format("nats://127.0.0.1:{}", port);
  Background nats({testing::nats_server_program(), "-js", "-a", "127.0.0.1", "-p", std::to_string(port),
                   "-sd", (root / "store").string()},
                  root / "nats.log");
  if (!wait_for_port(port)) {
    fmt::print("nats-server did not start\n");
    return;
  }
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{AGENTCO_BINARY,
                                    "bench",
                                    (root / "prompts.txt").string(),
                                    "--no-user-config",
                                    "--llm-base-url",
                                    server.base_url(),
                                    "--model",
                                    "fake-model",
                                    "--quality-deadline",
                                    "0",
                                    "-q",
                                    "--out",
                                    (root / out).string()};
  };
  fmt::print(
      "experiments: {} prompts, fake server {:.0f} ms to first token + 400 tokens/s, the 3-file scripted "
      "project (~14 calls a run)\n",
      prompts, ttft_ms);
  fmt::print("{:<28} {:>8} {:>9} {:>10} {:>9}\n", "how", "wall_s", "runs/min", "cpu_s", "finished");
  for (int n : {1, 2, 4}) {
    auto local = args(fmt::format("local-{}", n));
    local.insert(local.end(), {"-j", std::to_string(n)});
    const Figures l = bench_once(local);
    fmt::print("{:<28} {:>8.1f} {:>9.1f} {:>10.2f} {:>9}{}\n", fmt::format("local -j {}", n), l.wall,
               60.0 * prompts / l.wall, l.cpu, l.finished, l.error.empty() ? "" : "  " + l.error);
    std::vector<std::unique_ptr<Background>> workers;
    for (int w = 0; w < n; ++w)
      workers.push_back(std::make_unique<Background>(
          std::vector<std::string>{AGENTCO_BINARY, "worker", "--nats", url, "--no-user-config", "--name",
                                   fmt::format("w{}", w), "--workdir",
                                   (root / fmt::format("w{}-{}", n, w)).string()},
          root / fmt::format("worker-{}-{}.log", n, w)));
    auto distributed = args(fmt::format("nats-{}", n));
    distributed.insert(distributed.end(), {"--nats", url, "-j", std::to_string(n)});
    const Figures d = bench_once(distributed);
    fmt::print("{:<28} {:>8.1f} {:>9.1f} {:>10.2f} {:>9}{}\n",
               fmt::format("{} worker process{} (NATS)", n, n == 1 ? "" : "es"), d.wall,
               60.0 * prompts / d.wall, d.cpu, d.finished, d.error.empty() ? "" : "  " + d.error);
  }
}

std::vector<int> number_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

// The project folder a run printed (its last line on stdout).
fs::path printed_folder(const bench::ChildRun& r) {
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const auto at = out.rfind('\n');
  return out.substr(at == std::string::npos ? 0 : at + 1);
}

void populations(const fs::path& root, const std::vector<int>& sizes, const std::vector<int>& spreads,
                 int latency_ms) {
  const int port = testing::free_loopback_port();
  const std::string url = fmt::format("nats://127.0.0.1:{}", port);
  Background nats({testing::nats_server_program(), "-js", "-a", "127.0.0.1", "-p", std::to_string(port),
                   "-sd", (root / "pop-store").string()},
                  root / "pop-nats.log");
  if (!wait_for_port(port)) return;
  std::string town;
  {
    std::ifstream in(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "simulation_town.yaml");
    town.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::vector<std::string> env = {fmt::format("AGENTCO_MOCK_LATENCY_MS={}", latency_ms)};
  fmt::print("populations: simulation_town, the mock model ({} ms a call); deliveries/s over the run's wall\n",
             latency_ms);
  fmt::print("{:>9} {:<24} {:>8} {:>11} {:>12} {:>12} {:>10} {:>9} {:>9} {:>7}\n", "actors", "how", "wall_s",
             "deliveries", "deliveries/s", "peak_rss_MB", "B/actor", "trace_MB", "crossed", "cpu_s");
  for (int actors : sizes) {
    std::string text = town;
    const std::string count = "count: 1000";
    text.replace(text.find(count), count.size(), fmt::format("count: {}", actors));
    const fs::path sop = root / fmt::format("town-{}.yaml", actors);
    std::ofstream(sop) << text;
    auto run_args = [&](const std::string& name) {
      return std::vector<std::string>{AGENTCO_BINARY, "run", "--no-user-config", "--warehouse",
                                      (root / "pop-warehouse").string(), "--name", name, "--llm", "mock",
                                      "--sop", sop.string(), "-q", "Should the town build a new bridge?"};
    };
    auto row = [&](const std::string& how, const bench::ChildRun& r, long extra_rss_kb) {
      const fs::path folder = printed_folder(r);
      std::ifstream in(folder / "meta.json");
      const nlohmann::json meta = nlohmann::json::parse(in, nullptr, false);
      if (r.exit_code != 0 || meta.is_discarded()) {
        fmt::print("{:>9} {:<24} exit {}: {}\n", actors, how, r.exit_code, r.err.substr(0, 300));
        return;
      }
      const nlohmann::json team = meta.contains("distributed") ? meta["distributed"]["whole_team"] : meta;
      const double deliveries = team.value("deliveries", 0.0);
      const double rss_mb = (r.peak_rss_kb + extra_rss_kb) / 1024.0;
      std::error_code ec;
      const double trace_mb = static_cast<double>(fs::file_size(folder / "run.jsonl", ec)) / 1e6;
      fmt::print("{:>9} {:<24} {:>8.2f} {:>11.0f} {:>12.0f} {:>12.1f} {:>10.0f} {:>9.1f} {:>9} {:>7.1f}\n", actors,
                 how, r.wall_s, deliveries, deliveries / r.wall_s, rss_mb, rss_mb * 1024 * 1024 / actors, trace_mb,
                 team.value("messages_across_processes", 0), r.cpu_s);
      std::fflush(stdout);
    };
    for (int n : spreads) {
      if (n == 0) {  // in one process, without NATS
        row(fmt::format("local-{}", actors), bench::run_child(run_args(fmt::format("local-{}", actors)), env), 0);
        continue;
      }
      std::vector<std::unique_ptr<Background>> workers;
      for (int w = 0; w < n; ++w)
        workers.push_back(std::make_unique<Background>(
            std::vector<std::string>{"/usr/bin/env", env[0], AGENTCO_BINARY, "worker", "--nats", url,
                                     "--no-user-config", "--name", fmt::format("w{}", w), "--workdir",
                                     (root / fmt::format("pw{}-{}-{}", actors, n, w)).string()},
                root / fmt::format("pop-worker-{}-{}-{}.log", actors, n, w)));
      const std::string how = fmt::format("spread-{}-over-{}", actors, n);
      auto args = run_args(how);
      args.insert(args.end() - 1, {"--nats", url, "--partitions", std::to_string(n)});
      const bench::ChildRun r = bench::run_child(args, env);
      // The partitions are the workers' children, not ours: their peak RSS is in the meta.
      long partitions_kb = 0;
      std::ifstream in(printed_folder(r) / "meta.json");
      const nlohmann::json meta = nlohmann::json::parse(in, nullptr, false);
      if (!meta.is_discarded() && meta.contains("distributed"))
        for (const auto& p : meta["distributed"]["processes"]) partitions_kb += p.value("max_rss_kb", 0L);
      row(how, r, partitions_kb);
    }
    std::error_code ec;
    fs::remove_all(root / "pop-warehouse", ec);
  }
}

// One-way throughput and ping-pong latency of core NATS between two connections.
void hops(const fs::path& root) {
  const int port = testing::free_loopback_port();
  Background nats({testing::nats_server_program(), "-a", "127.0.0.1", "-p", std::to_string(port)},
                  root / "nats-hops.log");
  if (!wait_for_port(port)) return;
  NatsSettings settings;
  settings.url = fmt::format("nats://127.0.0.1:{}", port);
  auto direct = [](std::function<void()> f) { f(); };  // the handler runs on the client's thread
  auto a = NatsClient::connect(settings, "a", direct, [](std::string) {});
  auto b = NatsClient::connect(settings, "b", direct, [](std::string) {});
  if (!a || !b) return;
  const std::string payload(200, 'x');

  std::atomic<long> received{0};
  std::mutex m;
  std::condition_variable cv;
  (void)(*b)->subscribe("bench.oneway", [&](NatsMessage) {
    if (received.fetch_add(1) + 1 == 200000) cv.notify_all();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = Clock::now();
  const double cpu0 = bench::process_cpu_now();
  for (int i = 0; i < 200000; ++i) (void)(*a)->publish_core("bench.oneway", payload);
  {
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return received.load() >= 200000; });
  }
  const double wall = bench::since(start), cpu = bench::process_cpu_now() - cpu0;
  fmt::print(
      "cross-process hop (core NATS, 200 B, both clients in this process, nats-server another): one way "
      "{:.0f} msgs/s ({} of 200,000 received), {:.2f} µs of client CPU per message (sender + receiver; the "
      "server's own CPU not counted)\n",
      received.load() / wall, received.load(), 1e6 * cpu / std::max<long>(1, received.load()));

  // Ping-pong: `to` echoes each ping; `from` waits for each echo before the next ping.
  std::atomic<int> pongs{0};
  auto ping_pong = [&](NatsClient& from, NatsClient& to, const std::string& tag, const std::string& how) {
    (void)to.subscribe("bench.ping." + tag,
                       [&to, tag](NatsMessage) { (void)to.publish_core("bench.pong." + tag, "p"); });
    (void)from.subscribe("bench.pong." + tag, [&](NatsMessage) {
      pongs.fetch_add(1);
      cv.notify_all();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pongs = 0;
    std::vector<double> rtt;
    for (int i = 0; i < 5000; ++i) {
      const auto t = Clock::now();
      (void)from.publish_core("bench.ping." + tag, "p");
      std::unique_lock lock(m);
      cv.wait_for(lock, std::chrono::seconds(2), [&] { return pongs.load() > i; });
      rtt.push_back(1e6 * bench::since(t));
    }
    std::sort(rtt.begin(), rtt.end());
    fmt::print("cross-process round trip (ping, echo), {}: median {:.0f} µs, p99 {:.0f} µs over 5,000\n", how,
               rtt[rtt.size() / 2], rtt[rtt.size() * 99 / 100]);
  };
  ping_pong(**a, **b, "batched", "the client's default batching");
  settings.send_asap = true;
  auto c = NatsClient::connect(settings, "c", direct, [](std::string) {});
  auto d = NatsClient::connect(settings, "d", direct, [](std::string) {});
  if (c && d) ping_pong(**c, **d, "asap", "each publish sent at once (send_asap)");
}

}  // namespace

int main(int argc, char** argv) {
  int prompts = 20;
  double ttft_ms = 200;
  bool skip_experiments = false, skip_hops = false;
  std::vector<int> sizes, spreads = {0, 1, 4};
  int latency_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--prompts" && i + 1 < argc)
      prompts = std::stoi(argv[++i]);
    else if (a == "--ttft-ms" && i + 1 < argc)
      ttft_ms = std::stod(argv[++i]);
    else if (a == "--skip-experiments")
      skip_experiments = true;
    else if (a == "--populations" && i + 1 < argc)
      sizes = number_list(argv[++i]);
    else if (a == "--spreads" && i + 1 < argc)
      spreads = number_list(argv[++i]);
    else if (a == "--latency-ms" && i + 1 < argc)
      latency_ms = std::stoi(argv[++i]);
    else if (a == "--skip-hops")
      skip_hops = true;
  }
  if (testing::nats_server_program().empty()) {
    fmt::print("cluster-bench: nats-server is not installed (apt-get install nats-server)\n");
    return 1;
  }
  const fs::path root = bench::fresh_dir("cluster_bench");
  if (!skip_experiments) experiments(root, prompts, ttft_ms);
  if (!sizes.empty()) populations(root, sizes, spreads, latency_ms);
  if (!skip_hops) hops(root);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
