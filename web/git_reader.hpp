// Read-only views of a project folder's git history for the web viewer: the log, the tree
// and a file's bytes at a commit, and a commit's diff against its first parent.
//
// Commits are named by hex id (4 to 40 digits) or "HEAD"; nothing else (no ranges, no
// "rev:path" forms) is accepted, and paths are looked up inside git trees, never on disk,
// so no request can reach a file outside the repository. Errors say "not found" without
// naming folders. Each call opens the repository itself: safe beside a run that is still
// committing. Not thread-safe per call site only in the sense that libgit2 is initialised
// once; calls may run from any one thread.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco::web {

// Newest first: [{id, short, author, email, message, time, parents, files}] where files is
// how many paths the commit changed. An empty array for a folder without commits.
Result<nlohmann::json> read_git_log(const std::filesystem::path& repo_dir);

// Every file in the commit's tree: {commit, files: [{path, size}]} sorted by path.
Result<nlohmann::json> read_git_tree(const std::filesystem::path& repo_dir, const std::string& commit);

// A file's bytes at a commit. Error code "not_found" when the commit or path does not exist.
Result<std::string> read_git_file(const std::filesystem::path& repo_dir, const std::string& commit,
                             const std::string& path);

// The commit against its first parent (or the empty tree):
// {commit, author, message, time, files: [{path, old_path, status, additions, deletions,
//  binary, patch}]}; each patch is capped at `max_patch_bytes` (then "truncated": true).
Result<nlohmann::json> read_git_diff(const std::filesystem::path& repo_dir, const std::string& commit,
                                std::size_t max_patch_bytes = 512 * 1024);

}  // namespace agentco::web
