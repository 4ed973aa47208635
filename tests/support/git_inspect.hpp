// Reading a project's git history in tests: a file as HEAD holds it, the commits HEAD
// reaches. Each call opens the repository on its own (libgit2 init/shutdown around it).
#pragma once
#include <git2.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace agentco::testing {

// The text of `path` in HEAD, or nothing.
inline std::optional<std::string> head_text(const std::filesystem::path& folder, const std::string& path) {
  git_libgit2_init();
  std::optional<std::string> text;
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, folder.c_str()) == 0) {
    git_object* object = nullptr;
    if (git_revparse_single(&object, repo, ("HEAD:" + path).c_str()) == 0) {
      if (git_object_type(object) == GIT_OBJECT_BLOB) {
        auto* blob = reinterpret_cast<git_blob*>(object);
        text.emplace(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
      }
      git_object_free(object);
    }
    git_repository_free(repo);
  }
  git_libgit2_shutdown();
  return text;
}

// The ids of every commit reachable from HEAD.
inline std::set<std::string> head_commits(const std::filesystem::path& folder) {
  git_libgit2_init();
  std::set<std::string> ids;
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, folder.c_str()) == 0) {
    git_revwalk* walk = nullptr;
    if (git_revwalk_new(&walk, repo) == 0 && git_revwalk_push_head(walk) == 0) {
      git_oid oid;
      while (git_revwalk_next(&oid, walk) == 0) ids.insert(git_oid_tostr_s(&oid));
    }
    git_revwalk_free(walk);
    git_repository_free(repo);
  }
  git_libgit2_shutdown();
  return ids;
}

struct CommitLine {
  std::string author;
  std::string message;  // the summary line
};

// Every commit reachable from HEAD, newest first: author name and summary.
inline std::vector<CommitLine> git_log(const std::filesystem::path& folder) {
  git_libgit2_init();
  std::vector<CommitLine> out;
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, folder.c_str()) == 0) {
    git_revwalk* walk = nullptr;
    if (git_revwalk_new(&walk, repo) == 0 && git_revwalk_push_head(walk) == 0) {
      git_oid oid;
      while (git_revwalk_next(&oid, walk) == 0) {
        git_commit* commit = nullptr;
        if (git_commit_lookup(&commit, repo, &oid) != 0) continue;
        const git_signature* author = git_commit_author(commit);
        const char* summary = git_commit_summary(commit);
        out.push_back({author && author->name ? author->name : "", summary ? summary : ""});
        git_commit_free(commit);
      }
    }
    git_revwalk_free(walk);
    git_repository_free(repo);
  }
  git_libgit2_shutdown();
  return out;
}

}  // namespace agentco::testing
