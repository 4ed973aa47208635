// Workspace: the project folder in the warehouse (files + git history).
// Every write goes through safe_project_path() and opens the file without following
// symbolic links; nothing is ever written outside root(). Not thread-safe.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "environment/git_repo.hpp"

namespace agentco {

struct WrittenFile {
  std::string path;    // normalized, relative to root
  std::string sha256;  // of the content written
  std::size_t bytes = 0;
};

class Workspace {
 public:
  // Creates `root` (and parents) if needed and opens or initialises its git repository.
  static Result<std::unique_ptr<Workspace>> open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }

  // Writes `content` to the (untrusted) relative path, creating parent folders.
  Result<WrittenFile> write(std::string_view proposed_path, std::string_view content);
  // Reads a file below root; error when missing or unsafe.
  Result<std::string> read(std::string_view relative_path) const;
  bool exists(std::string_view relative_path) const;

  // Commits the given relative paths; author is the role name, email "<slug>@agentco.local".
  Result<std::string> commit(const std::vector<std::string>& paths, const std::string& role,
                             const std::string& message);
  std::vector<CommitInfo> log() const;

  // Renames the project folder (same parent) and reopens the repository there.
  Status rename_root(const std::filesystem::path& new_root);

 private:
  explicit Workspace(std::filesystem::path root, std::unique_ptr<GitRepo> repo);
  std::filesystem::path root_;
  std::unique_ptr<GitRepo> repo_;
};

}  // namespace agentco
