// Owning handles for libgit2 objects: each frees itself with its own git_*_free.
// Shared by the writer (git_repo.cpp) and the viewer's reader (web/git_reader.cpp).
#pragma once
#include <memory>

#include <git2.h>

namespace agentco::git {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using RepositoryPtr = Owned<git_repository, git_repository_free>;
using IndexPtr = Owned<git_index, git_index_free>;
using ObjectPtr = Owned<git_object, git_object_free>;
using CommitPtr = Owned<git_commit, git_commit_free>;
using TreePtr = Owned<git_tree, git_tree_free>;
using EntryPtr = Owned<git_tree_entry, git_tree_entry_free>;
using BlobPtr = Owned<git_blob, git_blob_free>;
using DiffPtr = Owned<git_diff, git_diff_free>;
using PatchPtr = Owned<git_patch, git_patch_free>;
using SignaturePtr = Owned<git_signature, git_signature_free>;
using RevwalkPtr = Owned<git_revwalk, git_revwalk_free>;

}  // namespace agentco::git
