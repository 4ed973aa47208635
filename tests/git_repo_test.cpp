#include "environment/git_repo.hpp"

#include <git2.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace agentco {
namespace {

namespace fs = std::filesystem;

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The files in HEAD's tree, read back with libgit2 directly (independent of GitRepo::log()).
std::vector<std::string> files_in_head(const fs::path& root) {
  std::vector<std::string> files;
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, root.c_str()) != 0) return files;
  git_object* tree = nullptr;
  if (git_revparse_single(&tree, repo, "HEAD^{tree}") == 0) {
    git_tree_walk(
        reinterpret_cast<git_tree*>(tree), GIT_TREEWALK_PRE,
        [](const char* folder, const git_tree_entry* entry, void* out) {
          if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
            static_cast<std::vector<std::string>*>(out)->push_back(std::string(folder) +
                                                                   git_tree_entry_name(entry));
          }
          return 0;
        },
        &files);
    git_object_free(tree);
  }
  git_repository_free(repo);
  std::sort(files.begin(), files.end());
  return files;
}

class GitRepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    base_ = fs::temp_directory_path() /
            ("agentco_git_repo_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    root_ = base_ / "project";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  std::unique_ptr<GitRepo> open_repo() {
    auto repo = GitRepo::open_or_init(root_);
    EXPECT_TRUE(repo.ok()) << repo.error().message;
    return repo.ok() ? std::move(repo).value() : nullptr;
  }

  std::string commit(GitRepo& repo, const std::vector<std::string>& paths, const std::string& author,
                     const std::string& message) {
    auto id = repo.commit(paths, author, author + "@agentco.local", message);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? id.value() : std::string();
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(GitRepoTest, InitCreatesTheFolderAndARepositoryOnBranchMain) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  EXPECT_TRUE(fs::is_directory(root_ / ".git"));
  EXPECT_EQ(read_text(root_ / ".git" / "HEAD"), "ref: refs/heads/main\n");
  EXPECT_EQ(repo->root(), root_);
}

TEST_F(GitRepoTest, ANewRepositoryHasAnEmptyLog) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  EXPECT_TRUE(repo->log().empty());
}

TEST_F(GitRepoTest, CommitRecordsAuthorEmailMessageTreeAndTime) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "README.md", "# hello\n");
  const auto before =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string id = commit(*repo, {"README.md"}, "Architect", "Add the readme\n");
  ASSERT_EQ(id.size(), 40u);

  auto log = repo->log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, id);
  EXPECT_EQ(log[0].tree_id.size(), 40u);
  EXPECT_EQ(log[0].author, "Architect");
  EXPECT_EQ(log[0].email, "Architect@agentco.local");
  EXPECT_EQ(log[0].message, "Add the readme\n");
  EXPECT_GE(log[0].time, before - 1);
  EXPECT_LE(log[0].time, before + 60);
  EXPECT_EQ(files_in_head(root_), std::vector<std::string>{"README.md"});
  EXPECT_EQ(read_text(root_ / ".git" / "refs" / "heads" / "main"), id + "\n");
}

TEST_F(GitRepoTest, LogListsCommitsNewestFirstWithTheirAuthors) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  std::vector<std::string> ids;
  const std::vector<std::string> authors = {"Product Manager", "Architect", "Engineer", "QA Engineer"};
  for (std::size_t i = 0; i < authors.size(); ++i) {
    write_text(root_ / ("file" + std::to_string(i) + ".txt"), "content " + std::to_string(i));
    ids.push_back(
        commit(*repo, {"file" + std::to_string(i) + ".txt"}, authors[i], "step " + std::to_string(i)));
  }
  auto log = repo->log();
  ASSERT_EQ(log.size(), authors.size());
  for (std::size_t i = 0; i < authors.size(); ++i) {
    const std::size_t expected = authors.size() - 1 - i;
    EXPECT_EQ(log[i].id, ids[expected]);
    EXPECT_EQ(log[i].author, authors[expected]);
    EXPECT_EQ(log[i].message, "step " + std::to_string(expected));
  }
  EXPECT_EQ(files_in_head(root_),
            (std::vector<std::string>{"file0.txt", "file1.txt", "file2.txt", "file3.txt"}));
}

TEST_F(GitRepoTest, CommitStagesOnlyTheNamedPaths) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "a.txt", "a");
  write_text(root_ / "b.txt", "b");
  commit(*repo, {"a.txt"}, "Engineer", "only a");
  EXPECT_EQ(files_in_head(root_), std::vector<std::string>{"a.txt"});
}

TEST_F(GitRepoTest, APathMissingOnDiskIsStagedAsDeleted) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "a.txt", "a");
  write_text(root_ / "src" / "b.txt", "b");
  commit(*repo, {"a.txt", "src/b.txt"}, "Engineer", "two files");
  ASSERT_EQ(files_in_head(root_), (std::vector<std::string>{"a.txt", "src/b.txt"}));

  fs::remove(root_ / "a.txt");
  commit(*repo, {"a.txt"}, "Engineer", "remove a");
  EXPECT_EQ(files_in_head(root_), std::vector<std::string>{"src/b.txt"});
  EXPECT_EQ(repo->log().size(), 2u);
}

TEST_F(GitRepoTest, DeletingAPathThatWasNeverCommittedIsHarmless) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "a.txt", "a");
  commit(*repo, {"a.txt", "never_existed.txt"}, "Engineer", "one real file");
  EXPECT_EQ(files_in_head(root_), std::vector<std::string>{"a.txt"});
}

TEST_F(GitRepoTest, AFolderPathStagesEverythingBelowItAndAVanishedFolderIsRemoved) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "src" / "a.cpp", "a");
  write_text(root_ / "src" / "deep" / "b.cpp", "b");
  commit(*repo, {"src"}, "Engineer", "the src folder");
  EXPECT_EQ(files_in_head(root_), (std::vector<std::string>{"src/a.cpp", "src/deep/b.cpp"}));

  fs::remove_all(root_ / "src");
  commit(*repo, {"src"}, "Engineer", "drop src");
  EXPECT_TRUE(files_in_head(root_).empty());
}

TEST_F(GitRepoTest, CommittingWithNothingChangedStillMakesACommit) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  write_text(root_ / "a.txt", "a");
  std::string first = commit(*repo, {"a.txt"}, "Engineer", "first");
  std::string second = commit(*repo, {"a.txt"}, "Engineer", "again");
  EXPECT_NE(first, second);
  auto log = repo->log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].tree_id, log[1].tree_id);
}

TEST_F(GitRepoTest, ReopeningAnExistingRepositoryKeepsItsHistory) {
  std::string first;
  {
    auto repo = open_repo();
    ASSERT_TRUE(repo);
    write_text(root_ / "a.txt", "a");
    first = commit(*repo, {"a.txt"}, "Architect", "first");
  }
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  auto log = repo->log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, first);

  write_text(root_ / "b.txt", "b");
  std::string second = commit(*repo, {"b.txt"}, "Engineer", "second");
  log = repo->log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].id, second);
  EXPECT_EQ(log[1].id, first);
  EXPECT_EQ(files_in_head(root_), (std::vector<std::string>{"a.txt", "b.txt"}));
}

TEST_F(GitRepoTest, AProjectInsideAnotherRepositoryGetsItsOwnRepository) {
  auto outer = GitRepo::open_or_init(base_);
  ASSERT_TRUE(outer.ok()) << outer.error().message;
  auto inner = open_repo();
  ASSERT_TRUE(inner);
  EXPECT_TRUE(fs::is_directory(root_ / ".git"));
  write_text(root_ / "a.txt", "a");
  commit(*inner, {"a.txt"}, "Engineer", "inner");
  EXPECT_TRUE(outer.value()->log().empty());
}

TEST_F(GitRepoTest, StagingAPathOutsideTheRepositoryIsAGitError) {
  auto repo = open_repo();
  ASSERT_TRUE(repo);
  auto id = repo->commit({"/etc/hostname"}, "Engineer", "e@agentco.local", "outside");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "git");
  EXPECT_NE(id.error().message.find("cannot stage /etc/hostname: "), std::string::npos) << id.error().message;
}

}  // namespace
}  // namespace agentco
