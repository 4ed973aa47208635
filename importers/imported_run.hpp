// ImportedRun: where every importer writes. It owns the new project folder (a Workspace
// with git) and its trace (a TraceWriter), and stamps each record with "at", the time the
// source tool logged the event (the trace's own "ts" is the time of the import).
// Not thread-safe.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "environment/workspace.hpp"
#include "importers/importer.hpp"
#include "trace/trace.hpp"

namespace agentco {

class ImportedRun {
 public:
  // request.out when given (it must not exist or be empty), else
  // <warehouse>/<slug of name>_<stamp> (with -2, -3 ... when taken).
  static Result<std::unique_ptr<ImportedRun>> create(const ImportRequest& request, const std::string& name,
                                                     const std::string& stamp);

  const std::filesystem::path& root() const { return workspace_->root(); }

  // Appends a record; `at` (ISO 8601 UTC) is added when not empty. Returns the seq.
  std::uint64_t append(std::string_view type, nlohmann::json fields, const std::string& at);

  // Writes the file into the folder and a file_write record. A path the workspace refuses
  // becomes a path_refused record and a warning.
  bool write_file(const std::string& role, const std::string& path, const std::string& content, const std::string& at);

  // Commits the paths (when any) and writes a commit record.
  void commit(const std::string& role, const std::string& message, const std::vector<std::string>& paths,
              const std::string& at);

  // A warning record, kept for the report.
  void warn(const std::string& message, const std::string& at = "");

  // Writes meta.json (pretty) and commits nothing (run.jsonl and meta.json are git-ignored).
  Status write_meta(const nlohmann::json& meta);

  ImportReport report() const;

 private:
  ImportedRun(std::unique_ptr<Workspace> workspace, std::unique_ptr<TraceWriter> trace);
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<TraceWriter> trace_;
  std::vector<std::string> warnings_;
};

// "YYYY-MM-DDTHH:MM:SS.000Z" from calendar fields; empty when they are out of range.
std::string iso_time(int year, int month, int day, int hour, int minute, int second);

}  // namespace agentco
