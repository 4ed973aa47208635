// A read-only view of a warehouse folder for the web viewer.
//
// A run is a folder directly under the warehouse holding run.jsonl (meta.json appears when
// the run ends). Runs are named by their folder name; a name is only ever matched against
// the warehouse's own directory listing, and a folder whose real path leaves the warehouse
// (a symlink out) is not a run. Nothing here writes.
//
// Summaries are computed incrementally: each run's trace is scanned once and then only its
// new bytes, with an index of line offsets so that pages of records are read straight from
// the file. Not thread-safe: the server uses one thread.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco::web {

// Drops the heavy fields of a trace record (prompts, file contents, configs, long model
// replies) and says how big they were, so that a page can load a long run quickly.
nlohmann::json compact_record(const nlohmann::json& record);

// A record's seq, or 0 when it has none or it is not an unsigned number.
std::uint64_t record_seq(const nlohmann::json& record);

// Complete, checksummed records in `bytes` from `offset` on; `offset` moves past the last
// complete line consumed. A line that fails its checksum is skipped and counted in `bad`.
std::vector<nlohmann::json> parse_trace_lines(std::string_view bytes, std::size_t& offset, std::size_t* bad = nullptr);

class WarehouseView {
 public:
  // `running_window_s`: a run without run_end whose trace changed this recently is running.
  explicit WarehouseView(std::filesystem::path root, double running_window_s = 120.0);

  const std::filesystem::path& root() const { return root_; }

  // The folder of run `id`, or nullopt when `id` is not the name of a run folder directly
  // under the warehouse (so "..", "a/b", "%2e", absolute paths and symlinks out are not).
  std::optional<std::filesystem::path> find_run(std::string_view id) const;

  // Summaries of every run, refreshed from disk: [{id, idea, name, sop, model, provider,
  // status ("running", "finished", "stopped" or "damaged": a trace with no valid record,
  // a bad checksum or a gap in seq; `detail` says which line), reason, detail, damaged_lines, started_at, ended_at, duration_s, cost_usd, tokens, calls,
  // files, lines_of_code, commits, verdict, records, bytes, modified}].
  nlohmann::json list_runs();

  // One run's summary plus its roles ([{name, profile}] from the SOP in run_start, else the
  // roles seen) and the meta.json object (null while running). nullopt for an unknown id.
  std::optional<nlohmann::json> run_summary(std::string_view id);

  // Records with seq >= from (at most `limit`), compacted when asked. nullopt: unknown id.
  std::optional<nlohmann::json> records(std::string_view id, std::uint64_t from, std::size_t limit, bool compact);

 private:
  struct RunState {
    std::uintmax_t scanned = 0;  // bytes of run.jsonl consumed
    std::filesystem::file_time_type trace_mtime{};
    std::filesystem::file_time_type meta_mtime{};
    std::vector<std::uintmax_t> line_offsets;  // offset of record i (seq i+1 when gap-free)
    std::vector<std::uint64_t> line_seqs;
    std::size_t lines = 0;       // complete lines scanned, valid or not
    std::size_t bad_lines = 0;   // lines that failed their checksum or broke the seq order
    std::string damage;          // the first such problem, e.g. "line 12: seq 14 follows seq 12"
    nlohmann::json summary = nlohmann::json::object();  // accumulated from the trace
    nlohmann::json meta;     // meta.json or null
    std::vector<std::string> roles_seen;
    std::set<std::string> files_written;
    std::map<std::string, std::string> profiles;  // name -> profile
    nlohmann::json sop_roles = nlohmann::json::array();
    bool ended = false;
  };

  RunState* refresh(const std::string& id, const std::filesystem::path& folder);
  void absorb(RunState& state, const nlohmann::json& record);
  static void note_damage(RunState& state, std::string problem);
  nlohmann::json public_summary(const std::string& id, const RunState& state) const;

  std::filesystem::path root_;
  double running_window_s_;
  std::map<std::string, RunState> runs_;
};

}  // namespace agentco::web
