// Files in a run folder that the run's trace does not account for: a user's own notes, a
// file edited after the run stopped. `resume` rebuilds a run in a fresh folder from its trace;
// before it deletes the old folder it carries these across, so that no user file is lost.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "replay/recorded_run.hpp"

namespace agentco {

struct ForeignFiles {
  std::vector<std::string> moved;      // now in the rebuilt folder, at the same relative path
  std::vector<std::string> conflicts;  // left where they were: the rebuilt folder has another file there
};

// Moves every file under `from` that `run` did not write into `into` at the same relative
// path. A file is the run's when its content is one the trace recorded for that path (any
// version), or when `into` already holds the same bytes there. The trace, meta.json and .git
// are the run's own and stay. When `into` holds a different file at that path, the file is
// a conflict and stays in `from`. Symbolic links are moved as links, never followed.
Result<ForeignFiles> keep_foreign_files(const std::filesystem::path& from, const std::filesystem::path& into,
                                        const RecordedRun& run);

// "a, b, c and 2 more": names for a message.
std::string list_for_message(const std::vector<std::string>& names, std::size_t shown = 5);

}  // namespace agentco
