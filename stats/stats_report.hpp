// Renders RunStats for people (aligned tables) and programs (JSON, CSV).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/run_stats.hpp"

namespace agentco {

struct TableStyle {
  bool color = false;       // ANSI bold headers/totals, green/red verdicts
  bool roles = true;        // a per-role table under the runs table, one per run
};

// The runs table (one row per run, then a totals row when there are several runs), and
// per-role tables. Columns align by display width (CJK counts two).
std::string render_stats_table(const std::vector<RunStats>& runs, const TableStyle& style);

// One line per run and per role: run,role,calls,... with a header line; RFC 4180 quoting.
std::string render_stats_csv(const std::vector<RunStats>& runs);

// {"runs": [to_json(run)...], "total": {calls, prompt_tokens, completion_tokens, cached_tokens,
//  prefix_share, cost_usd, wall_s, files, lines_of_code}}
nlohmann::json render_stats_json(const std::vector<RunStats>& runs);

// Terminal columns a UTF-8 string takes.
std::size_t display_width(const std::string& text);

}  // namespace agentco
