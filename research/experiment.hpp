// What an experiment (`agentco bench`) is made of: every prompt × every SOP variant × K
// repeats, each a run with its own name, and the row of figures each run leaves.
// Pure data and pure functions; the process supervision is research/supervisor.hpp.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "research/prompt_list.hpp"
#include "stats/quality.hpp"
#include "stats/run_stats.hpp"

namespace agentco {

struct Variant {
  std::string name;  // short and unique within the experiment ("software_company", "fast")
  std::string sop;   // what `run --sop` gets; empty: the configured default
};

// Names variants after their SOPs (a file's stem, or the built-in name), `-2`, `-3` ... for
// repeats. No SOPs given: one variant for the configured default SOP `default_sop`.
std::vector<Variant> make_variants(const std::vector<std::string>& sops, const std::string& default_sop);

struct PlannedRun {
  int index = 0;  // 0-based position in the plan
  Prompt prompt;
  Variant variant;
  int repeat = 1;        // 1..K
  std::string run_name;  // `run --name`: unique within the experiment, e.g. p001_fast_r1_mystic_maze
};

// Prompt-major order: p1×v1×r1, p1×v1×r2, ..., p1×v2×r1, ..., p2×v1×r1, ...
std::vector<PlannedRun> plan_experiment(const std::vector<Prompt>& prompts,
                                        const std::vector<Variant>& variants, int repeats);

// One run's row of results.
struct RunRow {
  PlannedRun run;
  // "finished" (exit 0), "failed" (any other exit), "stopped" (bench was interrupted),
  // "timed_out" (stopped at --run-timeout)
  std::string status;
  int exit_code = -1;            // the child's exit code, 128+N when killed by signal N
  std::filesystem::path folder;  // the run's project folder; empty when it made none
  bool has_figures = false;      // its trace was read
  std::string outcome;           // run_end's reason ("idle", "budget", "error", ...) or "unfinished"
  std::string verdict;           // executability: "passed", "failed", "not_run", ... or ""
  double cost_usd = 0;
  long prompt_tokens = 0, completion_tokens = 0;
  long calls = 0;
  double wall_s = 0;  // the run's own wall time (its trace), else the process's
  long files = 0, lines = 0;
  long review_rounds = 0, test_rounds = 0;
  std::string error;  // why the run failed: its last error line, or why no figures
  std::optional<Quality> quality;  // SRDD quality (stats/quality.hpp), when it was measured

  bool finished() const { return status == "finished"; }
  bool executable() const { return verdict == "passed"; }
};

// Copies the figures of `stats` into `row` (has_figures = true).
void fill_from_stats(RunRow& row, const RunStats& stats);

}  // namespace agentco
