// Runs an experiment: every planned run as a child `agentco run` process (isolated: the
// process journal and signal handling are process-wide), `jobs` at a time, each into its own
// project folder inside the experiment folder (the children's warehouse). After each run its
// figures are read with the stats library and results.csv/.json and summary.md rewritten.
// A budget stops launching once the spend of the finished runs reaches it; each child gets
// what is left as its own --investment. SIGINT/SIGTERM: see research/supervisor.hpp; the
// runs it stops are marked "stopped".
#pragma once
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "research/experiment.hpp"
#include "research/results_writer.hpp"
#include "stats/quality.hpp"

namespace agentco {

struct ExperimentOptions {
  std::vector<PlannedRun> plan;
  ExperimentInfo info;  // prompts_file, variants, prompts, repeats, jobs, budget_usd, folder
  std::string program = "/proc/self/exe";
  std::vector<std::string>
      run_flags;  // after `run`: --config, --llm, ... (not --warehouse/--name/--sop/--investment)
  double investment_usd = -1;  // the user's per-run --investment (< 0: config's)
  double run_timeout_s = 0;    // > 0: a run still going after this long is stopped (status "timed_out")
  // Each run's project is measured (stats/quality.hpp) unless measure_quality is false.
  bool measure_quality = true;
  QualityOptions quality;
  std::FILE* progress = stderr;
  bool tty = false;
};

struct ExperimentResult {
  std::vector<RunRow> rows;  // in plan order, launched runs only
  ExperimentInfo info;
  int stop_signal = 0;
  bool budget_reached = false;
};

// The argv of one child (argv[0] = "agentco").
std::vector<std::string> child_argv(const ExperimentOptions& options, const PlannedRun& run,
                                    double investment_usd);

ExperimentResult run_experiment(const ExperimentOptions& options);

// The folder a run reported (stdout's last line), else the one inside `warehouse` named after
// it; empty when it made none.
std::filesystem::path find_run_folder(const std::filesystem::path& stdout_file,
                                      const std::filesystem::path& warehouse, const std::string& run_name);

// Why a run did not finish, from its stderr: its "run failed: ..." / "run stopped ..." line,
// else the last line.
std::string failure_line(const std::filesystem::path& stderr_file);

}  // namespace agentco
