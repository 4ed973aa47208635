#include "environment/git_repo.hpp"
#include "environment/git_handles.hpp"

#include <git2.h>
#include <sys/stat.h>

#include <mutex>
#include <stdexcept>

namespace agentco {
namespace {

using namespace agentco::git;  // the owning libgit2 handles

// libgit2 keeps global state (TLS, caches); it is initialised once and deliberately never
// shut down, so that GitRepo objects may live until static destruction.
void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string last_git_message() {
  const git_error* e = git_error_last();
  return (e && e->message) ? e->message : "unknown libgit2 error";
}

Error git_error(const std::string& what) { return make_error("git", what + ": " + last_git_message()); }

git_repository* raw(void* repo) { return static_cast<git_repository*>(repo); }

std::string oid_hex(const git_oid* oid) {
  char buffer[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buffer, sizeof buffer, oid);
  return buffer;
}

}  // namespace

GitRepo::GitRepo(std::filesystem::path root, void* repo) : root_(std::move(root)), repo_(repo) {}

GitRepo::~GitRepo() { git_repository_free(raw(repo_)); }

Result<std::unique_ptr<GitRepo>> GitRepo::open_or_init(const std::filesystem::path& root) {
  ensure_libgit2();
  git_repository* repo = nullptr;
  // NO_SEARCH: a project folder inside some other repository must get its own history.
  int rc = git_repository_open_ext(&repo, root.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc == GIT_ENOTFOUND) {
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = "main";
    rc = git_repository_init_ext(&repo, root.c_str(), &options);
    if (rc < 0) return git_error("cannot create a git repository in " + root.string());
  } else if (rc < 0) {
    return git_error("cannot open the git repository in " + root.string());
  }
  RepositoryPtr owned(repo);
  if (git_repository_is_bare(repo)) {
    return make_error("git", root.string() + " is a bare git repository, not a project folder");
  }
  return std::unique_ptr<GitRepo>(new GitRepo(root, owned.release()));
}

Result<std::string> GitRepo::commit(const std::vector<std::string>& paths, const std::string& author,
                                    const std::string& email, const std::string& message) {
  git_repository* repo = raw(repo_);
  git_index* index_raw = nullptr;
  if (git_repository_index(&index_raw, repo) < 0) return git_error("cannot read the git index");
  IndexPtr index(index_raw);
  // Another process (the user's git) may have changed the index since we last looked.
  if (git_index_read(index.get(), 0) < 0) return git_error("cannot read the git index");

  for (const auto& path : paths) {
    struct stat info {};
    const bool on_disk = ::lstat((root_ / path).c_str(), &info) == 0;
    int rc = 0;
    if (on_disk && S_ISDIR(info.st_mode)) {
      char* spec = const_cast<char*>(path.c_str());
      git_strarray pathspec{&spec, 1};
      rc = git_index_add_all(index.get(), &pathspec, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr);
    } else if (on_disk) {
      rc = git_index_add_bypath(index.get(), path.c_str());
    } else {
      // A vanished folder leaves entries below it; a vanished file leaves exactly one.
      rc = git_index_remove_bypath(index.get(), path.c_str());
      if (rc == 0) rc = git_index_remove_directory(index.get(), path.c_str(), 0);
    }
    if (rc < 0) return git_error("cannot stage " + path);
  }
  if (git_index_write(index.get()) < 0) return git_error("cannot write the git index");

  git_oid tree_id;
  if (git_index_write_tree(&tree_id, index.get()) < 0) return git_error("cannot write the tree");
  git_tree* tree_raw = nullptr;
  if (git_tree_lookup(&tree_raw, repo, &tree_id) < 0) return git_error("cannot read the new tree");
  TreePtr tree(tree_raw);

  git_signature* signature_raw = nullptr;
  if (git_signature_now(&signature_raw, author.c_str(), email.c_str()) < 0) {
    return git_error("cannot make a signature for \"" + author + "\" <" + email + ">");
  }
  SignaturePtr signature(signature_raw);

  CommitPtr parent;
  git_oid parent_id;
  int rc = git_reference_name_to_id(&parent_id, repo, "HEAD");
  if (rc == 0) {
    git_commit* parent_raw = nullptr;
    if (git_commit_lookup(&parent_raw, repo, &parent_id) < 0) return git_error("cannot read HEAD");
    parent.reset(parent_raw);
  } else if (rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH) {
    return git_error("cannot resolve HEAD");
  }

  git_oid commit_id;
  const git_commit* parents[1] = {parent.get()};
  if (git_commit_create(&commit_id, repo, "HEAD", signature.get(), signature.get(), nullptr, message.c_str(),
                        tree.get(), parent ? 1 : 0, parents) < 0) {
    return git_error("cannot commit");
  }
  return oid_hex(&commit_id);
}

std::vector<CommitInfo> GitRepo::log() const {
  git_repository* repo = raw(repo_);
  std::vector<CommitInfo> out;
  if (git_repository_head_unborn(repo) == 1) return out;
  git_revwalk* walk_raw = nullptr;
  if (git_revwalk_new(&walk_raw, repo) < 0) throw std::runtime_error("git: " + last_git_message());
  RevwalkPtr walk(walk_raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  int rc = git_revwalk_push_head(walk.get());
  if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return out;
  if (rc < 0) throw std::runtime_error("git: cannot walk HEAD: " + last_git_message());

  git_oid id;
  while ((rc = git_revwalk_next(&id, walk.get())) == 0) {
    git_commit* commit_raw = nullptr;
    if (git_commit_lookup(&commit_raw, repo, &id) < 0) {
      throw std::runtime_error("git: cannot read commit " + oid_hex(&id) + ": " + last_git_message());
    }
    CommitPtr commit(commit_raw);
    CommitInfo info;
    info.id = oid_hex(&id);
    info.tree_id = oid_hex(git_commit_tree_id(commit.get()));
    const git_signature* author = git_commit_author(commit.get());
    info.author = author->name ? author->name : "";
    info.email = author->email ? author->email : "";
    const char* message = git_commit_message(commit.get());
    info.message = message ? message : "";
    info.time = static_cast<std::int64_t>(git_commit_time(commit.get()));
    out.push_back(std::move(info));
  }
  if (rc != GIT_ITEROVER) throw std::runtime_error("git: cannot walk history: " + last_git_message());
  return out;
}

}  // namespace agentco
