// Figures of a recorded run, per role and in total, computed from its trace (run.jsonl)
// and meta.json. Works the same on agentco runs and on runs imported from other tools
// (`agentco import`). Pure functions of the files read; thread-safe.
//
//   auto stats = agentco::compute_run_stats("warehouse/snake_20261127_161258");
//   if (stats) std::cout << agentco::to_json(*stats).dump(2);
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "stats/quality.hpp"

namespace agentco {

struct RoleStats {
  std::string role;             // "total" for the totals row
  long calls = 0;               // model requests (answered or failed)
  long failed_calls = 0;        // llm_error records
  long prompt_tokens = 0;
  long completion_tokens = 0;
  long cached_tokens = 0;       // prompt tokens the server reported as served from its cache
  long request_tokens = 0;      // prompt tokens of its requests, estimated (stats/prefix_share.hpp)
  long prefix_tokens = 0;       // of those, the prefix an earlier request of the run began with
  double cost_usd = 0;
  double latency_p50_s = 0;     // model latency over answered calls (0 when none)
  double latency_p95_s = 0;
  double working_s = 0;         // time between its action_start and action_end records
  double waiting_s = 0;         // wall time minus working time
  long messages_sent = 0;
  long messages_received = 0;
  long review_rounds = 0;       // review records it wrote
  long test_rounds = 0;         // distinct test rounds (execution records) it ran
  long files_written = 0;       // file_write records it made
  long tool_calls = 0;          // tool_result records (its tools' calls, answered)
  long tool_errors = 0;         // of those, the ones that came back as errors
  std::map<std::string, long> tools;  // calls per tool (an MCP server's as SERVER__TOOL)

  double prefix_share() const;  // prefix_tokens / request_tokens (0 without requests)
};

struct RunStats {
  std::filesystem::path dir;    // the project folder (parent of the trace)
  std::filesystem::path trace;  // run.jsonl
  std::string name;             // folder name
  std::string source;           // "agentco", or the tool a run was imported from ("chatdev", ...)
  std::string idea;
  std::string started_at;       // ISO 8601 UTC (from run_start)
  std::string outcome;          // run_end reason ("idle", "budget", ...) or "unfinished"
  double wall_s = 0;
  long files = 0;               // distinct files written
  long lines_of_code = 0;       // non-blank lines of source files (final content), tests excluded
  long test_fix_rounds = 0;     // test rounds after the first (each one followed a fix)
  std::string verdict;          // executability: "passed", "failed", "not_run", ... or "" when unknown
  RoleStats total;
  std::vector<RoleStats> roles; // in order of first appearance
  std::vector<std::string> warnings;  // from reading the trace (torn last record, ...)
  std::optional<Quality> quality;     // SRDD quality, when asked for (`stats --quality`)
};

// Reads `run_dir_or_trace` (a project folder holding run.jsonl, or a run.jsonl path) and
// its meta.json when present. Errors: missing or unreadable trace, bad checksum before the
// last line, a newer schema version.
Result<RunStats> compute_run_stats(const std::filesystem::path& run_dir_or_trace);

// The same from records already read (tests, the web viewer). `meta` may be null.
RunStats compute_run_stats(const std::vector<nlohmann::json>& records, const nlohmann::json& meta);

// The run folders below `path`: itself when it is a run (or a trace file), else every
// direct sub-folder holding a run.jsonl (a warehouse), sorted by name. Error when none.
Result<std::vector<std::filesystem::path>> find_runs(const std::filesystem::path& path);

nlohmann::json to_json(const RoleStats& stats);
nlohmann::json to_json(const RunStats& stats);

}  // namespace agentco
