// Overhead: what the framework itself costs in a full software_company run with the mock
// model at zero latency. Each figure comes from a fresh child process (so peak RSS is the
// run's own), wired as app/run_command.cpp wires a run:
//   with QA   - the run as a user gets it: static checks, tests and the program run in
//               child processes (python3);
//   no exec   - PATH without python3: the same run, but no process is started, so what is
//               left is agentco's own work (model calls, JSON, files, git, trace);
//   binary    - `agentco run --llm mock` itself, wall and CPU including its children.
// Then, in the no-exec child, the parts are timed again on their own: sealing the trace's
// records (JSON + CRC), writing the files and making the commits (libgit2).
// Usage: overhead-bench [--runs N]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "bench/support/measure.hpp"
#include "sop/prompt_library.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "environment/message_bus.hpp"
#include "actions/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "llm/mock_provider.hpp"
#include "roles/team.hpp"
#include "sop/sop.hpp"
#include "trace/trace.hpp"

namespace fs = std::filesystem;
using namespace agentco;

namespace {

constexpr const char* kIdea = "write a cli snake game";

using bench::cpu_of;
using bench::fresh_dir;
using bench::median;
using bench::seconds;
using bench::usage;

// One run in this process; prints one JSON line of figures.
int child_run(bool no_exec) {
  if (no_exec) {
    fs::path empty = fresh_dir("nopath");
    ::setenv("PATH", empty.c_str(), 1);
  }
  spdlog::set_level(spdlog::level::err);
  const double cpu_start = bench::process_cpu_now();
  const auto wall_start = std::chrono::steady_clock::now();

  Config config;
  config.llm.api_type = "mock";
  config.llm.model = "mock";
  config.pricing["mock"] = ModelPrice{0.0, 0.0};
  config.run.render_diagrams = false;  // the company's overhead, not mmdc's browser (seconds per diagram)
  PromptLibrary prompts;
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop("software_company", registry, prompts);
  if (!sop) {
    std::fprintf(stderr, "%s\n", sop.error().message.c_str());
    return 2;
  }
  fs::path base = fresh_dir("overhead");
  auto workspace = Workspace::open(base / "cli_snake_game");
  if (!workspace) return 2;
  Workspace& ws = **workspace;
  auto trace_writer = TraceWriter::open(ws.root() / "run.jsonl");
  if (!trace_writer) return 2;
  TraceWriter& trace = **trace_writer;
  trace.append("run_start", {{"schema_version", kTraceSchemaVersion}, {"idea", kIdea}, {"sop", sop->name},
                             {"config", config.to_json(true)}});
  CostLedger ledger(config.pricing, config.run.investment);
  LlmGateway gateway(std::make_shared<MockProvider>(), ledger, &trace);
  MessageBus bus;
  boost::asio::io_context io;
  RunContext run(io.get_executor(), config, kIdea, bus, ws, trace, gateway, prompts);
  gateway.watch_stop(&run.stop);
  std::vector<std::string> first;
  if (auto w = run.write_file("User", ".gitignore", "run.jsonl\nmeta.json\n__pycache__/\n")) first.push_back(w->path);
  if (auto w = run.write_file("User", "docs/requirement.txt", std::string(kIdea) + "\n")) first.push_back(w->path);
  (void)run.commit("User", "UserRequirement: docs/requirement.txt", first);
  RunOutcome outcome = run_team(io, run, *sop, registry, iso_timestamp_now());

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double own_cpu = bench::process_cpu_now() - cpu_start;
  const rusage self = usage(RUSAGE_SELF);
  const rusage children = usage(RUSAGE_CHILDREN);

  auto contents = read_trace(trace.path());
  std::size_t records = contents ? contents->records.size() : 0;
  std::size_t commits = ws.log().size();
  long calls = ledger.total().calls;

  // The parts on their own.
  double t0 = bench::process_cpu_now();
  std::size_t trace_bytes = 0;
  if (contents) {
    for (const auto& r : contents->records) {
      nlohmann::json copy = r;
      copy.erase("crc");
      trace_bytes += seal_trace_record(copy).size() + 1;
    }
  }
  double seal_cpu = bench::process_cpu_now() - t0;

  // Same files, same commit pattern, into a fresh repository.
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::recursive_directory_iterator(ws.root())) {
    auto rel = fs::relative(entry.path(), ws.root()).string();
    if (!entry.is_regular_file() || rel.starts_with(".git/") || rel == "run.jsonl") continue;
    std::string text;
    read_file(entry.path().string(), text);
    files.emplace_back(rel, std::move(text));
  }
  auto replica = Workspace::open(base / "replica");
  double write_cpu = 0, commit_cpu = 0;
  std::size_t replica_commits = 0;
  if (replica) {
    const std::size_t groups = std::max<std::size_t>(1, commits);
    std::size_t per_commit = std::max<std::size_t>(1, (files.size() + groups - 1) / groups);
    std::vector<std::string> batch;
    for (std::size_t i = 0; i < files.size(); ++i) {
      double a = bench::process_cpu_now();
      auto w = (*replica)->write(files[i].first, files[i].second);
      write_cpu += bench::process_cpu_now() - a;
      if (w) batch.push_back(w->path);
      if (batch.size() >= per_commit || i + 1 == files.size()) {
        double b = bench::process_cpu_now();
        (void)(*replica)->commit(batch, "Bench", "bench commit");
        commit_cpu += bench::process_cpu_now() - b;
        ++replica_commits;
        batch.clear();
      }
    }
  }
  std::error_code ec;
  fs::remove_all(base, ec);

  nlohmann::json out = {{"wall_s", wall},
                        {"own_cpu_s", own_cpu},
                        {"self_user_s", seconds(self.ru_utime)},
                        {"self_sys_s", seconds(self.ru_stime)},
                        {"children_cpu_s", cpu_of(children)},
                        {"peak_rss_kb", self.ru_maxrss},
                        {"records", records},
                        {"trace_bytes", trace_bytes},
                        {"commits", commits},
                        {"files", files.size()},
                        {"model_calls", calls},
                        {"outcome", outcome.reason},
                        {"seal_cpu_s", seal_cpu},
                        {"write_cpu_s", write_cpu},
                        {"commit_cpu_s", commit_cpu},
                        {"replica_commits", replica_commits}};
  std::printf("%s\n", out.dump().c_str());
  return outcome.exit_code;
}

// The child's figures (its last stdout line, a JSON object) beside what wait4 measured.
struct ChildResult {
  nlohmann::json figures;
  bench::ChildRun run;
};

ChildResult spawn(const std::vector<std::string>& argv) {
  ChildResult r;
  r.run = bench::run_child(argv);
  auto last = r.run.out.find_last_of('{');
  if (last != std::string::npos) r.figures = nlohmann::json::parse(r.run.out.substr(last), nullptr, false);
  if (!r.figures.is_object() && !r.run.err.empty()) std::fprintf(stderr, "%s", r.run.err.c_str());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--child") return child_run(std::string(argv[2]) == "noexec");
  int runs = 5;
  if (argc >= 3 && std::string(argv[1]) == "--runs") runs = std::max(1, std::atoi(argv[2]));
  const std::string self = fs::canonical("/proc/self/exe").string();

  std::printf("overhead: software_company, mock model, zero latency; median of %d runs each\n\n", runs);
  std::printf("%-10s %8s %9s %9s %9s %9s %8s %8s %6s\n", "variant", "wall ms", "own cpu", "user ms", "sys ms",
              "children", "peak MB", "records", "commits");
  nlohmann::json noexec_sample;
  for (const char* variant : {"withqa", "noexec"}) {
    std::vector<double> wall, own, user, sys, kids, rss;
    nlohmann::json sample;
    for (int i = 0; i < runs; ++i) {
      ChildResult r = spawn({self, "--child", variant});
      if (!r.figures.is_object()) {
        std::fprintf(stderr, "child run failed (exit %d)\n", r.run.exit_code);
        return 1;
      }
      sample = r.figures;
      wall.push_back(r.figures["wall_s"].get<double>() * 1000);
      own.push_back(r.figures["own_cpu_s"].get<double>() * 1000);
      user.push_back(r.figures["self_user_s"].get<double>() * 1000);
      sys.push_back(r.figures["self_sys_s"].get<double>() * 1000);
      kids.push_back(r.figures["children_cpu_s"].get<double>() * 1000);
      rss.push_back(r.figures["peak_rss_kb"].get<double>() / 1024);
    }
    std::printf("%-10s %8.1f %9.1f %9.1f %9.1f %9.1f %8.1f %8zu %6zu\n", variant, median(wall), median(own),
                median(user), median(sys), median(kids), median(rss), sample["records"].get<std::size_t>(),
                sample["commits"].get<std::size_t>());
    long calls = sample["model_calls"].get<long>();
    std::printf("%-10s per model call (%ld calls): wall %.2f ms, own cpu %.2f ms; outcome %s\n", "", calls,
                median(wall) / calls, median(own) / calls, sample["outcome"].get<std::string>().c_str());
    if (std::string(variant) == "noexec") noexec_sample = sample;
  }
  std::printf("\nparts (no exec run, timed again on their own, cpu ms):\n");
  std::printf("  seal %zu trace records (JSON + CRC, %zu bytes): %.2f\n", noexec_sample["records"].get<std::size_t>(),
              noexec_sample["trace_bytes"].get<std::size_t>(), noexec_sample["seal_cpu_s"].get<double>() * 1000);
  std::printf("  write %zu files: %.2f\n", noexec_sample["files"].get<std::size_t>(),
              noexec_sample["write_cpu_s"].get<double>() * 1000);
  std::printf("  %zu libgit2 commits of those files: %.2f\n", noexec_sample["replica_commits"].get<std::size_t>(),
              noexec_sample["commit_cpu_s"].get<double>() * 1000);

  // The binary as a user runs it (process start, config, everything).
  fs::path warehouse = fresh_dir("overhead_bin");
  std::vector<double> wall, cpu, rss;
  for (int i = 0; i < runs; ++i) {
    ChildResult r = spawn({AGENTCO_BINARY, "run", "--llm", "mock", "-q", "--warehouse", warehouse.string(), kIdea});
    wall.push_back(r.run.wall_s * 1000);
    cpu.push_back(r.run.cpu_s * 1000);
    rss.push_back(r.run.peak_rss_kb / 1024.0);
  }
  std::error_code ec;
  fs::remove_all(warehouse, ec);
  std::printf("\nbinary `agentco run --llm mock`: wall %.1f ms, cpu incl. children %.1f ms, peak RSS %.1f MB\n",
              median(wall), median(cpu), median(rss));
  return 0;
}
