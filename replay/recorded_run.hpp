// A finished (or interrupted) run as its trace tells it: the run_start record, and every
// model call and process with its outcome, in the order they completed. Replay, resume and
// fork are built on it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "environment/process_runner.hpp"
#include "llm/provider.hpp"

namespace agentco {

struct RecordedCall {
  std::uint64_t seq = 0;  // seq of the llm_response / llm_error record
  long call_id = 0;
  std::string role, action, request_hash;
  bool ok = true;
  ChatResult result;  // when ok
  Error error;        // when not
};

struct RecordedProcess {
  std::uint64_t seq = 0;
  nlohmann::json key;  // process_key(): argv, cwd, stdin with the folder as $PROJECT
  ProcessResult result;
};

// The result of a call of an MCP server's tool (a tool_result record with a server, and the
// arguments of its tool_call record).
struct RecordedToolResult {
  std::uint64_t seq = 0;
  std::string role, tool, server;
  nlohmann::json arguments;  // parsed; null when they were not JSON
  std::string text;
  bool is_error = false;
  nlohmann::json structured;
};

struct RecordedEvent {
  enum class Kind { call, process } kind;
  std::size_t index;  // into calls or processes
  std::uint64_t seq;
};

struct RecordedRun {
  std::filesystem::path trace_file;
  std::filesystem::path folder;  // the folder holding the trace
  nlohmann::json run_start;
  std::optional<nlohmann::json> run_end;
  std::vector<RecordedCall> calls;
  std::vector<RecordedProcess> processes;
  std::vector<RecordedEvent> events;  // completion order
  // The MCP servers' tool lists (mcp_server records, with their seq) and their tools' results.
  std::vector<nlohmann::json> mcp_servers;
  std::vector<RecordedToolResult> tool_results;
  std::vector<std::string> warnings;  // from reading the trace (e.g. a torn last record)
  bool renamed = false;  // the folder took the PRD's project name (a project_renamed record)
  // Every run_start after the first: a later run (`run --project-path`) that developed the
  // same folder further and appended to its trace. Its seq, or 0 when there is none.
  std::uint64_t later_run_start_seq = 0;
  std::size_t run_starts = 0;
  // Every version of every file the run wrote: path (relative) -> sha256 of each content.
  std::map<std::string, std::set<std::string>> written;
  std::uint64_t last_seq = 0;
  std::size_t valid_bytes = 0;
  std::size_t record_count = 0;
};

// Reads `dir_or_trace` (a project folder holding run.jsonl, or the trace file itself).
// Errors name the file: missing, unreadable, corrupt before its last line, a newer schema,
// no run_start, a member of the wrong type (naming the line and the member).
Result<RecordedRun> read_recorded_run(const std::filesystem::path& dir_or_trace);

}  // namespace agentco
