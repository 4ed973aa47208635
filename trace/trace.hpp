// run.jsonl: the append-only trace of a run (see trace/SCHEMA.md).
//
// One JSON object a line. Every record carries "seq" (1, 2, ...), "ts" (ISO 8601 UTC),
// "type", its own fields, and last "crc": the CRC-32 (8 hex digits) of the line's bytes
// before `,"crc":...` with a closing '}' appended. A reader trusts a line only when its
// checksum matches; a torn last line (crash mid-write) is dropped with a warning.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace agentco {

inline constexpr int kTraceSchemaVersion = 1;

// Serializes a record (which must be a JSON object without "crc") to one line with its
// checksum, without the trailing newline. Throws std::invalid_argument for anything else.
std::string seal_trace_record(const nlohmann::json& record);
// The same for a JSON object already in text (valid UTF-8, without "crc").
std::string seal_trace_text(std::string_view object_text);

// Parses one line and verifies its checksum. Error code "trace" on bad JSON, missing or
// wrong crc.
Result<nlohmann::json> open_trace_record(std::string_view line);

// A record could not be written (disk full, I/O error). The trace holds every record before
// it, whole; the writer refuses all later records, so that the trace never has a gap.
class TraceWriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends records, each flushed to the OS as soon as it is written. Not thread-safe.
class TraceWriter {
 public:
  // Opens `file` for appending (creating it); when it already holds records, numbering
  // continues after the last valid one (a torn tail is truncated away first).
  static Result<std::unique_ptr<TraceWriter>> open(const std::filesystem::path& file);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Adds seq, ts and type to `fields` (an object; anything else is wrapped as {"value": ...}),
  // seals and writes it. Returns the seq. When the line cannot be written (disk full), the
  // file is cut back to where it was and TraceWriteError is thrown, then and for every later
  // record.
  std::uint64_t append(std::string_view type, nlohmann::json fields);
  // The same, for a record whose other fields are JSON text already: `members` is the inside
  // of an object ("\"a\":1,\"b\":[2]"; no seq, ts, type or crc), as another process's trace
  // holds them. Nothing is parsed: merging a partition's trace costs a copy, not a parse.
  std::uint64_t append_members(std::string_view type, std::string_view members);
  // Several such records (type, members) with one write: all of them, or none on failure.
  std::uint64_t append_members(const std::vector<std::pair<std::string, std::string>>& records);
  std::uint64_t last_seq() const { return seq_; }
  // Why the trace stopped taking records, or "" while it takes them.
  const std::string& failure() const { return failure_; }
  const std::filesystem::path& path() const { return path_; }
  // The folder holding the open file was renamed: messages name the file where it is now.
  void renamed_to(std::filesystem::path path) { path_ = std::move(path); }

 private:
  TraceWriter(std::filesystem::path path, std::FILE* file, std::uint64_t seq);
  // Writes whole lines whose last record is `seq`, or nothing (the file cut back) and throws.
  std::uint64_t write_line(std::uint64_t seq, const std::string& line);
  static std::string sealed_members(std::uint64_t seq, std::string_view type, std::string_view members);
  std::filesystem::path path_;
  std::FILE* file_;
  std::uint64_t seq_;
  std::string failure_;
};

struct TraceContents {
  std::vector<nlohmann::json> records;
  std::vector<std::string> warnings;  // e.g. "dropped a torn last record at line 57"
  std::size_t valid_bytes = 0;        // length of the prefix holding only valid records
};

// Reads a whole trace. A bad last line is dropped with a warning; a bad line before the
// last, or a seq that does not follow its predecessor by one (a line deleted, repeated or
// swapped), is an error naming the line; a run_start whose schema_version is newer than
// kTraceSchemaVersion is an error saying which version this binary reads.
Result<TraceContents> read_trace(const std::filesystem::path& file);

}  // namespace agentco
