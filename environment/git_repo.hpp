// The project folder's git history, written with libgit2.
// One GitRepo per project folder; not thread-safe (the run uses it from one thread).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentco {

struct CommitInfo {
  std::string id;       // full hex commit id
  std::string tree_id;  // full hex tree id
  std::string author;   // author name (the role)
  std::string email;
  std::string message;
  std::int64_t time = 0;  // seconds since the epoch
};

class GitRepo {
 public:
  // Opens the repository at `root`, or creates it (branch "main") when there is none.
  static Result<std::unique_ptr<GitRepo>> open_or_init(const std::filesystem::path& root);
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // Stages exactly `paths` (relative to root, as they are on disk now; a path missing on disk
  // is staged as deleted, a folder with everything below it) and commits on HEAD with the
  // role as author and committer.
  // Returns the new commit id. Committing with nothing changed still makes a commit.
  Result<std::string> commit(const std::vector<std::string>& paths, const std::string& author,
                             const std::string& email, const std::string& message);

  // History of HEAD, newest first (empty for a repository without commits). Throws
  // std::runtime_error only when the repository itself is damaged.
  std::vector<CommitInfo> log() const;

  const std::filesystem::path& root() const { return root_; }

 private:
  GitRepo(std::filesystem::path root, void* repo);
  std::filesystem::path root_;
  void* repo_;  // git_repository*, kept opaque so that git2.h stays out of headers
};

}  // namespace agentco
