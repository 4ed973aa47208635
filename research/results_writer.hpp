// The files an experiment leaves in its folder, rewritten after every finished run (each
// written to a temporary file and renamed, so a crash leaves the previous complete version):
// - results.csv: one row per run (RFC 4180), columns as results_columns() lists them;
// - results.json: {"experiment": {...}, "runs": [{column: value, ...}, ...]};
// - summary.md: per variant, counts (runs, finished, executable) and mean/median/min/max of
//   cost, tokens, wall time, files, lines, review and test rounds over the runs with figures,
//   the SRDD quality figures with 95 % CIs; with two variants or more, the variants side by
//   side (research/comparison.hpp) and charts/{cost,wall,quality}.svg.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "research/experiment.hpp"

namespace agentco {

struct ExperimentInfo {
  std::string prompts_file;
  std::vector<Variant> variants;
  int prompts = 0, repeats = 1, jobs = 1;
  int planned = 0;                   // runs in the plan
  int launched = 0;                  // runs started so far
  double budget_usd = -1;            // < 0: none
  std::string started_at, ended_at;  // ISO 8601; ended_at empty while running
  std::string stopped;               // "", "interrupted" or "budget": why runs were left out
  std::filesystem::path folder;
};

const std::vector<std::string>& results_columns();

nlohmann::json row_to_json(const RunRow& row);
std::string render_results_csv(const std::vector<RunRow>& rows);
nlohmann::json render_results_json(const std::vector<RunRow>& rows, const ExperimentInfo& info);
std::string render_summary_md(const std::vector<RunRow>& rows, const ExperimentInfo& info);

// Writes the three files into info.folder. Error names the file that could not be written.
Status write_results(const std::vector<RunRow>& rows, const ExperimentInfo& info);

}  // namespace agentco
