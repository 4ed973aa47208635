#include "web/git_reader.hpp"
#include "environment/git_handles.hpp"

#include <git2.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace agentco::web {
namespace {

using nlohmann::json;

using namespace agentco::git;  // the owning libgit2 handles

struct Buf {
  git_buf buf = {nullptr, 0, 0};
  ~Buf() { git_buf_dispose(&buf); }
};

Error not_found(const std::string& what) { return make_error("not_found", what + " not found"); }

std::string oid_hex(const git_oid* oid) {
  char buffer[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buffer, sizeof buffer, oid);
  return buffer;
}

Result<RepositoryPtr> open_repo(const std::filesystem::path& dir) {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0) {
    return not_found("repository");
  }
  return RepositoryPtr(repo);
}

bool valid_commit_name(const std::string& name) {
  if (name == "HEAD") return true;
  if (name.size() < 4 || name.size() > GIT_OID_HEXSZ) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<CommitPtr> find_commit(git_repository* repo, const std::string& name) {
  if (!valid_commit_name(name)) return not_found("commit");
  git_object* object = nullptr;
  if (git_revparse_single(&object, repo, name.c_str()) < 0) return not_found("commit");
  ObjectPtr owned(object);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) < 0) return not_found("commit");
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

Result<TreePtr> commit_tree(git_commit* commit) {
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) return not_found("tree");
  return TreePtr(tree);
}

std::string text_or_empty(const char* s) { return s ? s : ""; }

const char* status_name(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED: return "added";
    case GIT_DELTA_DELETED: return "deleted";
    case GIT_DELTA_MODIFIED: return "modified";
    case GIT_DELTA_RENAMED: return "renamed";
    case GIT_DELTA_COPIED: return "copied";
    case GIT_DELTA_TYPECHANGE: return "typechange";
    default: return "unmodified";
  }
}

// The diff of `commit` against its first parent, or against nothing for a root commit.
Result<DiffPtr> diff_of(git_repository* repo, git_commit* commit) {
  auto tree = commit_tree(commit);
  if (!tree) return tree.error();
  TreePtr parent_tree;
  if (git_commit_parentcount(commit) > 0) {
    git_commit* parent = nullptr;
    if (git_commit_parent(&parent, commit, 0) < 0) return not_found("parent commit");
    CommitPtr owned(parent);
    auto pt = commit_tree(parent);
    if (!pt) return pt.error();
    parent_tree = std::move(pt.value());
  }
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  options.context_lines = 3;
  git_diff* diff = nullptr;
  if (git_diff_tree_to_tree(&diff, repo, parent_tree.get(), tree->get(), &options) < 0) {
    return make_error("git", "cannot compute the diff");
  }
  DiffPtr owned(diff);
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  git_diff_find_similar(diff, &find);
  return owned;
}

json commit_json(git_commit* commit) {
  const git_signature* author = git_commit_author(commit);
  json parents = json::array();
  for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) parents.push_back(oid_hex(git_commit_parent_id(commit, i)));
  std::string id = oid_hex(git_commit_id(commit));
  return {{"id", id},
          {"short", id.substr(0, 8)},
          {"author", author ? text_or_empty(author->name) : ""},
          {"email", author ? text_or_empty(author->email) : ""},
          {"message", text_or_empty(git_commit_message(commit))},
          {"time", static_cast<std::int64_t>(git_commit_time(commit))},
          {"parents", parents}};
}

}  // namespace

Result<json> read_git_log(const std::filesystem::path& repo_dir) {
  auto repo = open_repo(repo_dir);
  if (!repo) return repo.error();
  json out = json::array();
  if (git_repository_head_unborn(repo->get()) == 1) return out;
  git_revwalk* walk_raw = nullptr;
  if (git_revwalk_new(&walk_raw, repo->get()) < 0) return make_error("git", "cannot walk the history");
  RevwalkPtr walk(walk_raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push_head(walk.get()) < 0) return out;
  git_oid id;
  while (git_revwalk_next(&id, walk.get()) == 0) {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo->get(), &id) < 0) continue;
    CommitPtr commit(raw);
    json entry = commit_json(commit.get());
    auto diff = diff_of(repo->get(), commit.get());
    entry["files"] = diff ? git_diff_num_deltas(diff->get()) : 0;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<json> read_git_tree(const std::filesystem::path& repo_dir, const std::string& commit_name) {
  auto repo = open_repo(repo_dir);
  if (!repo) return repo.error();
  auto commit = find_commit(repo->get(), commit_name);
  if (!commit) return commit.error();
  auto tree = commit_tree(commit->get());
  if (!tree) return tree.error();
  struct Walk {
    git_repository* repo;
    json files = json::array();
  } state{repo->get()};
  auto visit = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
    auto* s = static_cast<Walk*>(payload);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
    git_blob* blob = nullptr;
    std::int64_t size = -1;
    if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry)) == 0) {
      size = static_cast<std::int64_t>(git_blob_rawsize(blob));
      git_blob_free(blob);
    }
    s->files.push_back({{"path", std::string(root) + git_tree_entry_name(entry)}, {"size", size}});
    return 0;
  };
  git_tree_walk(tree->get(), GIT_TREEWALK_PRE, visit, &state);
  std::sort(state.files.begin(), state.files.end(),
            [](const json& a, const json& b) { return a["path"].get<std::string>() < b["path"].get<std::string>(); });
  return json{{"commit", oid_hex(git_commit_id(commit->get()))}, {"files", std::move(state.files)}};
}

Result<std::string> read_git_file(const std::filesystem::path& repo_dir, const std::string& commit_name,
                             const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return not_found("file");
  auto repo = open_repo(repo_dir);
  if (!repo) return repo.error();
  auto commit = find_commit(repo->get(), commit_name);
  if (!commit) return commit.error();
  auto tree = commit_tree(commit->get());
  if (!tree) return tree.error();
  git_tree_entry* entry_raw = nullptr;
  if (git_tree_entry_bypath(&entry_raw, tree->get(), path.c_str()) < 0) return not_found("file");
  EntryPtr entry(entry_raw);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return not_found("file");
  git_blob* blob_raw = nullptr;
  if (git_blob_lookup(&blob_raw, repo->get(), git_tree_entry_id(entry.get())) < 0) return not_found("file");
  BlobPtr blob(blob_raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

Result<json> read_git_diff(const std::filesystem::path& repo_dir, const std::string& commit_name,
                      std::size_t max_patch_bytes) {
  auto repo = open_repo(repo_dir);
  if (!repo) return repo.error();
  auto commit = find_commit(repo->get(), commit_name);
  if (!commit) return commit.error();
  auto diff = diff_of(repo->get(), commit->get());
  if (!diff) return diff.error();
  json files = json::array();
  const std::size_t deltas = git_diff_num_deltas(diff->get());
  for (std::size_t i = 0; i < deltas; ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff->get(), i);
    json file = {{"path", text_or_empty(delta->new_file.path)},
                 {"old_path", text_or_empty(delta->old_file.path)},
                 {"status", status_name(delta->status)},
                 {"binary", (delta->flags & GIT_DIFF_FLAG_BINARY) != 0},
                 {"additions", 0},
                 {"deletions", 0},
                 {"patch", ""}};
    git_patch* patch_raw = nullptr;
    if (git_patch_from_diff(&patch_raw, diff->get(), i) == 0 && patch_raw) {
      PatchPtr patch(patch_raw);
      std::size_t context = 0, additions = 0, deletions = 0;
      git_patch_line_stats(&context, &additions, &deletions, patch.get());
      file["additions"] = additions;
      file["deletions"] = deletions;
      Buf text;
      if (git_patch_to_buf(&text.buf, patch.get()) == 0 && text.buf.ptr) {
        std::string body(text.buf.ptr, text.buf.size);
        if (body.size() > max_patch_bytes) {
          body.resize(max_patch_bytes);
          file["truncated"] = true;
        }
        file["patch"] = std::move(body);
      }
    }
    files.push_back(std::move(file));
  }
  json out = commit_json(commit->get());
  out["commit"] = out["id"];
  out["files"] = std::move(files);
  return out;
}

}  // namespace agentco::web
