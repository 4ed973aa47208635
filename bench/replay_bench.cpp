// Replay: how long does `agentco replay` take next to the run it replays? Records runs with
// the real `agentco` binary, then replays each several times through the binary
// (`agentco replay FOLDER --out DIR --verify --strict`, a fresh folder each time) and prints:
//   orig_s     the recorded run's wall time (the `agentco run` process, start to exit)
//   replay_s   median wall time of the replays (the process, including --verify's comparison)
//   ratio      replay_s / orig_s
//   cpu_s      median user+sys CPU of a replay process; peak_MB its peak RSS
//   calls, procs   model calls and processes answered from the recording (from the replay's
//              own summary line) of those in the trace; live: model calls that went live
//   net        chat requests the fake server got while the replays ran (must be 0)
//   verify     "identical" when every replay's --verify found files and git trees equal
// It also times `python3 -c "import sys; print(sys.executable)"`, which every run (a replay
// too) runs once to find the real interpreter (environment/process_runner.cpp): through a
// pyenv shim that is most of a replay's wall time.
// The runs: the 3/6/12-file scripted projects (tests/support/scripted_project.hpp) against
// the in-process fake OpenAI-compatible server with latency (time to first token +
// tokens/s, as schedule-bench), and the mock snake run (`--llm mock`, no model latency:
// its wall is the python test runs and git).
//
// Usage: replay-bench [--sizes 3,6,12] [--replays 5] [--ttft-ms 500] [--tokens-per-second 50]
//                     [--mock-latency-ms 0] [--no-snake] [--keep]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/support/measure.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/scripted_project.hpp"
#include "trace/trace.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace agentco;

struct Recording {
  std::string name;
  fs::path folder;
  bench::ChildRun run;
  long calls = 0, processes = 0;  // llm_response/llm_error and process records in the trace
  std::string failure;            // why there is nothing to replay
};

struct ReplayFigures {
  std::vector<double> wall, cpu, rss_mb;
  long calls = -1, processes = -1, live = -1;
  int identical = 0, failed = 0;
  std::string first_failure;
};

// The last non-empty stdout line: the project folder `run` and `replay` print.
fs::path last_line(const std::string& out) {
  std::istringstream in(out);
  std::string last;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) last = line;
  return last;
}

Recording record(const std::string& name, std::vector<std::string> argv, const std::vector<std::string>& env) {
  Recording r;
  r.name = name;
  r.run = bench::run_child(argv, env);
  r.folder = last_line(r.run.out);
  if (r.run.exit_code != 0 || r.folder.empty() || !fs::exists(r.folder / "run.jsonl")) {
    r.failure = fmt::format("run failed (exit {}): {}", r.run.exit_code, r.run.err.substr(0, 2000));
    return r;
  }
  auto trace = read_trace(r.folder / "run.jsonl");
  if (!trace) {
    r.failure = trace.error().message;
    return r;
  }
  for (const auto& record : trace->records) {
    const std::string type = record.value("type", "");
    if (type == "llm_response" || type == "llm_error") ++r.calls;
    if (type == "process") ++r.processes;
  }
  return r;
}

std::optional<long> number_before(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::stol(m[1].str());
  return std::nullopt;
}

ReplayFigures replay(const Recording& rec, const fs::path& root, int replays, const std::vector<std::string>& env) {
  ReplayFigures f;
  for (int i = 0; i < replays; ++i) {
    const fs::path out = root / fmt::format("{}_replay_{}", rec.name, i);
    bench::ChildRun run =
        bench::run_child({AGENTCO_BINARY, "replay", rec.folder.string(), "--out", out.string(), "--verify", "--strict"},
                         env);
    f.wall.push_back(run.wall_s);
    f.cpu.push_back(run.cpu_s);
    f.rss_mb.push_back(run.peak_rss_kb / 1024.0);
    if (auto n = number_before(run.err, R"(replay: (\d+) model calls and)")) f.calls = *n;
    if (auto n = number_before(run.err, R"(and (\d+) processes answered from the recording)")) f.processes = *n;
    if (auto n = number_before(run.err, R"((\d+) live calls)")) f.live = *n;
    if (run.exit_code == 0 && run.err.find("verify: files and git trees are identical") != std::string::npos) {
      ++f.identical;
    } else {
      ++f.failed;
      if (f.first_failure.empty()) f.first_failure = fmt::format("exit {}: {}", run.exit_code, run.err.substr(0, 3000));
    }
    std::error_code ec;
    fs::remove_all(out, ec);
  }
  return f;
}

void print_row(const Recording& rec, const ReplayFigures& f, long network) {
  const double replay_s = bench::median(f.wall);
  const std::string verify =
      f.failed == 0 ? "identical" : fmt::format("{} of {} differ or failed", f.failed, f.failed + f.identical);
  const std::string net = network < 0 ? "-" : std::to_string(network);
  fmt::print("{:<16} {:>8.2f} {:>9.3f} {:>7.2f}% {:>7.3f} {:>8.1f} {:>5}/{:<4} {:>5}/{:<4} {:>4} {:>4}  {}\n", rec.name,
             rec.run.wall_s, replay_s, 100 * replay_s / rec.run.wall_s, bench::median(f.cpu), bench::median(f.rss_mb),
             f.calls, rec.calls, f.processes, rec.processes, f.live, net, verify);
  if (!f.first_failure.empty()) fmt::print("  first failure: {}\n", f.first_failure);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {3, 6, 12};
  int replays = 5, mock_latency_ms = 0;
  double ttft_ms = 500, tps = 50;
  bool keep = false, snake = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "replay-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--sizes") sizes = bench::int_list(next());
    else if (a == "--replays") replays = std::max(1, std::stoi(next()));
    else if (a == "--ttft-ms") ttft_ms = std::stod(next());
    else if (a == "--tokens-per-second") tps = std::stod(next());
    else if (a == "--mock-latency-ms") mock_latency_ms = std::stoi(next());
    else if (a == "--no-snake") snake = false;
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr,
                   "usage: replay-bench [--sizes 3,6,12] [--replays 5] [--ttft-ms 500] [--tokens-per-second 50] "
                   "[--mock-latency-ms 0] [--no-snake] [--keep]\n");
      return 2;
    }
  }
  const fs::path root = bench::fresh_dir("replay_bench");
  fs::create_directories(root / "home");
  const std::vector<std::string> env = {"HOME=" + (root / "home").string()};
  fmt::print("replay bench: fake server latency {:.0f} ms to first token, {:.0f} tokens/s; {} replays each "
             "(`agentco replay DIR --out NEW --verify --strict`, median); load {}\n",
             ttft_ms, tps, replays, bench::load_average());
  std::vector<double> resolve;
  for (int i = 0; i < 3; ++i)
    resolve.push_back(bench::run_child({"/usr/bin/env", "python3", "-c", "import sys; print(sys.executable)"}).wall_s);
  fmt::print("python3 -c 'import sys; print(sys.executable)' (once by every run that starts a Python process; a replay starts none): {:.3f} s\n",
             bench::median(resolve));
  fmt::print("{:<16} {:>8} {:>9} {:>8} {:>7} {:>8} {:>10} {:>10} {:>4} {:>4}  {}\n", "run", "orig_s", "replay_s",
             "ratio", "cpu_s", "peak_MB", "calls", "procs", "live", "net", "verify");
  int status = 0;
  for (int size : sizes) {
    const auto files = testing::scripted_project(size);
    testing::ScriptOptions options;
    options.ttft_ms = ttft_ms;
    options.tokens_per_second = tps;
    testing::FakeLlmServer server(testing::scripted_project_script(files, options).dump());
    const std::string name = fmt::format("{}-file project", files.size());
    Recording rec = record(name,
                           {AGENTCO_BINARY, "run", "--no-user-config", "--warehouse",
                            (root / fmt::format("w{}", files.size())).string(), "--llm-base-url", server.base_url(),
                            "--model", "fake-model", "-q", fmt::format("a project of {} files", files.size())},
                           env);
    if (!rec.failure.empty()) {
      fmt::print("{:<16} {}\n", name, rec.failure);
      status = 1;
      continue;
    }
    const std::size_t before = server.chat_requests();
    ReplayFigures f = replay(rec, root, replays, env);
    const long network = static_cast<long>(server.chat_requests() - before);
    print_row(rec, f, network);
    if (f.failed || network) status = 1;
  }
  if (snake) {
    std::vector<std::string> snake_env = env;
    snake_env.push_back(fmt::format("AGENTCO_MOCK_LATENCY_MS={}", mock_latency_ms));
    const std::string name = mock_latency_ms ? fmt::format("mock snake {}ms", mock_latency_ms) : "mock snake";
    Recording rec = record(name,
                           {AGENTCO_BINARY, "run", "--llm", "mock", "--no-user-config", "--warehouse",
                            (root / "snake").string(), "-q", "write a cli snake game"},
                           snake_env);
    if (!rec.failure.empty()) {
      fmt::print("{:<16} {}\n", name, rec.failure);
      status = 1;
    } else {
      ReplayFigures f = replay(rec, root, replays, env);
      print_row(rec, f, -1);  // no server: the mock model is in the binary
      if (f.failed) status = 1;
    }
  }
  fmt::print("orig_s and replay_s: process wall time; cpu_s, peak_MB: the replay process (wait4); "
             "calls/procs: answered from the recording / in the trace; net: requests the fake server got during "
             "the replays. Load at the end: {}\n",
             bench::load_average());
  if (!keep) {
    std::error_code ec;
    fs::remove_all(root, ec);
  } else {
    fmt::print("runs kept in {}\n", root.string());
  }
  return status;
}
