// `agentco stats <dirs or traces...> [--format table|json|csv] [--quality]`: figures of
// recorded runs, with their projects' SRDD quality on request.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "app/command_registry.hpp"
#include "stats/quality.hpp"
#include "stats/run_stats.hpp"
#include "stats/stats_report.hpp"

namespace agentco {
namespace {

struct StatsOptions {
  std::vector<std::string> paths;
  std::string format = "table";
  bool summary = false;
  bool quality = false;
  double deadline_s = 5;
};

int stats_command(const StatsOptions& options) {
  std::vector<RunStats> runs;
  int status = 0;
  for (const auto& path : options.paths) {
    auto found = find_runs(path);
    if (!found) {
      std::fprintf(stderr, "agentco stats: %s\n", found.error().message.c_str());
      status = 1;
      continue;
    }
    for (const auto& dir : *found) {
      auto stats = compute_run_stats(dir);
      if (!stats) {
        std::fprintf(stderr, "agentco stats: %s: %s\n", dir.string().c_str(), stats.error().message.c_str());
        status = 1;
        continue;
      }
      for (const auto& w : stats->warnings) std::fprintf(stderr, "warning: %s: %s\n", stats->name.c_str(), w.c_str());
      if (options.quality) {
        QualityOptions measure;  // lexical consistency: `agentco quality --config` reaches an embeddings server
        measure.deadline = std::chrono::milliseconds(static_cast<long long>(options.deadline_s * 1000));
        if (auto q = measure_quality(stats->dir, stats->idea, measure)) stats->quality = std::move(*q);
        else std::fprintf(stderr, "agentco stats: %s: quality: %s\n", dir.string().c_str(), q.error().message.c_str());
      }
      runs.push_back(std::move(*stats));
    }
  }
  if (runs.empty()) return status ? status : 1;
  std::string out;
  if (options.format == "json") {
    out = render_stats_json(runs).dump(2) + "\n";
  } else if (options.format == "csv") {
    out = render_stats_csv(runs);
  } else {
    TableStyle style;
    style.color = isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
    style.roles = !options.summary;
    out = render_stats_table(runs, style);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return status;
}

const bool stats_registered = register_command(30, [](CLI::App& app) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "stats", "Figures of recorded runs per run and per role: calls, tokens, cost, latency, time, messages, rounds, code");
  cmd->add_option("runs", o->paths,
                  "Project folders, run.jsonl files, or warehouses (every run folder inside is listed)")
      ->required();
  cmd->add_option("--format", o->format, "table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_flag("--summary", o->summary, "Only the runs table, without the per-role tables");
  cmd->add_flag("--quality", o->quality,
                "Also measure each run's project (completeness, executability, lexical consistency, quality), "
                "as `agentco quality` does");
  cmd->add_option("--deadline", o->deadline_s, "With --quality: seconds each program may run (default 5)")
      ->check(CLI::Range(0.1, 600.0));
  return Command{cmd, [o] { return stats_command(*o); }};
});

}  // namespace
}  // namespace agentco
