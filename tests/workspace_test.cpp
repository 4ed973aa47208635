#include "environment/workspace.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace agentco {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) ++n;
  return n;
}

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    base_ = fs::temp_directory_path() /
            ("agentco_workspace_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    root_ = base_ / "warehouse" / "project";
    outside_ = base_ / "outside";
    fs::create_directories(outside_);
    auto workspace = Workspace::open(root_);
    ASSERT_TRUE(workspace.ok()) << workspace.error().message;
    workspace_ = std::move(workspace).value();
  }
  void TearDown() override {
    workspace_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  void expect_write_refused(std::string_view path) {
    auto written = workspace_->write(path, "evil");
    ASSERT_FALSE(written.ok()) << "wrote " << path;
    EXPECT_EQ(written.error().code, "path") << written.error().message;
  }

  fs::path base_;
  fs::path root_;
  fs::path outside_;
  std::unique_ptr<Workspace> workspace_;
};

TEST_F(WorkspaceTest, OpenCreatesTheFolderAndItsRepository) {
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE(fs::is_directory(root_ / ".git"));
  EXPECT_EQ(workspace_->root(), root_);
  EXPECT_TRUE(workspace_->log().empty());
}

TEST_F(WorkspaceTest, WriteThenReadReturnsTheContentWithItsHashAndSize) {
  auto written = workspace_->write("./notes//hello.txt", "hello\n");
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(written->path, "notes/hello.txt");
  EXPECT_EQ(written->bytes, 6u);
  EXPECT_EQ(written->sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");

  auto content = workspace_->read("notes/hello.txt");
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(content.value(), "hello\n");
  EXPECT_EQ(read_text(root_ / "notes" / "hello.txt"), "hello\n");
}

TEST_F(WorkspaceTest, WriteCreatesParentFoldersAndPlainFiles) {
  ASSERT_TRUE(workspace_->write("src/game/snake/board.py", "x = 1\n").ok());
  EXPECT_TRUE(fs::is_directory(root_ / "src" / "game" / "snake"));
  struct stat info {};
  ASSERT_EQ(::stat((root_ / "src/game/snake/board.py").c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777 & ~0644, 0u);
}

TEST_F(WorkspaceTest, WriteReplacesTheWholeOldContent) {
  ASSERT_TRUE(workspace_->write("a.txt", "a much longer first version\n").ok());
  ASSERT_TRUE(workspace_->write("a.txt", "short\n").ok());
  EXPECT_EQ(workspace_->read("a.txt").value(), "short\n");
}

TEST_F(WorkspaceTest, WriteKeepsBinaryAndEmptyContent) {
  const std::string binary("\0\x01\xff\n\r", 5);
  ASSERT_TRUE(workspace_->write("blob.bin", binary).ok());
  EXPECT_EQ(workspace_->read("blob.bin").value(), binary);
  auto empty = workspace_->write("empty.txt", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->bytes, 0u);
  EXPECT_EQ(empty->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(WorkspaceTest, WriteAcceptsUnicodeNames) {
  ASSERT_TRUE(workspace_->write("文档/说明.md", "# 说明\n").ok());
  EXPECT_EQ(read_text(root_ / "文档" / "说明.md"), "# 说明\n");
}

TEST_F(WorkspaceTest, RefusedWritesLeaveNothingOutsideTheRoot) {
  fs::create_directory_symlink(outside_, root_ / "out");
  std::ofstream(outside_ / "target.txt") << "original";
  fs::create_symlink(outside_ / "target.txt", root_ / "linked.txt");

  expect_write_refused("../escape.txt");
  expect_write_refused("/tmp/escape.txt");
  expect_write_refused("out/evil.txt");
  expect_write_refused("out/new/evil.txt");
  expect_write_refused("linked.txt");
  expect_write_refused(".git/config");
  expect_write_refused("run.jsonl");

  EXPECT_FALSE(fs::exists(root_.parent_path() / "escape.txt"));
  EXPECT_FALSE(fs::exists(outside_ / "evil.txt"));
  EXPECT_FALSE(fs::exists(outside_ / "new"));
  EXPECT_EQ(read_text(outside_ / "target.txt"), "original");
  EXPECT_EQ(count_entries(outside_), 1u);
}

TEST_F(WorkspaceTest, WriteRefusesAFileWithOtherHardLinks) {
  std::ofstream(outside_ / "shared.txt") << "original";
  fs::create_hard_link(outside_ / "shared.txt", root_ / "shared.txt");
  expect_write_refused("shared.txt");
  EXPECT_EQ(read_text(outside_ / "shared.txt"), "original");
}

TEST_F(WorkspaceTest, WriteRefusesAFifoWithoutBlocking) {
  ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0644), 0);
  expect_write_refused("pipe");
}

TEST_F(WorkspaceTest, WriteRefusesWhenAParentIsAFile) {
  ASSERT_TRUE(workspace_->write("src", "a file, not a folder").ok());
  auto written = workspace_->write("src/main.cpp", "int main() {}");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find("not a folder"), std::string::npos) << written.error().message;
}

TEST_F(WorkspaceTest, WriteRefusesAFolderAsTheTarget) {
  ASSERT_TRUE(workspace_->write("src/main.cpp", "int main() {}").ok());
  auto written = workspace_->write("src", "x");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, "path") << written.error().message;
  EXPECT_TRUE(fs::is_directory(root_ / "src"));
}

TEST_F(WorkspaceTest, ReadOfAMissingFileIsAnError) {
  auto content = workspace_->read("missing.txt");
  ASSERT_FALSE(content.ok());
  EXPECT_NE(content.error().message.find("missing.txt"), std::string::npos) << content.error().message;
}

TEST_F(WorkspaceTest, ReadRefusesSymlinksAndUnsafePaths) {
  std::ofstream(outside_ / "secret.txt") << "secret";
  fs::create_symlink(outside_ / "secret.txt", root_ / "secret.txt");
  auto linked = workspace_->read("secret.txt");
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().code, "path");
  auto escaped = workspace_->read("../outside/secret.txt");
  ASSERT_FALSE(escaped.ok());
  EXPECT_EQ(escaped.error().code, "path");
}

TEST_F(WorkspaceTest, ExistsSeesWrittenFilesAndNeverUnsafeOnes) {
  ASSERT_TRUE(workspace_->write("src/a.py", "pass\n").ok());
  EXPECT_TRUE(workspace_->exists("src/a.py"));
  EXPECT_TRUE(workspace_->exists("./src"));
  EXPECT_FALSE(workspace_->exists("src/b.py"));
  EXPECT_FALSE(workspace_->exists("../outside"));
  EXPECT_FALSE(workspace_->exists(".git/HEAD"));
}

TEST_F(WorkspaceTest, CommitUsesTheRoleAsAuthorAndASlugEmail) {
  ASSERT_TRUE(workspace_->write("docs/prd.md", "# PRD\n").ok());
  auto id = workspace_->commit({"./docs/prd.md"}, "Product Manager", "Write the PRD");
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto log = workspace_->log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, id.value());
  EXPECT_EQ(log[0].author, "Product Manager");
  EXPECT_EQ(log[0].email, "product_manager@agentco.local");
  EXPECT_EQ(log[0].message, "Write the PRD");
}

TEST_F(WorkspaceTest, CommitRefusesUnsafePaths) {
  auto id = workspace_->commit({"../outside"}, "Engineer", "escape");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "path");
  EXPECT_TRUE(workspace_->log().empty());
}

TEST_F(WorkspaceTest, RenameRootKeepsHistoryAndFurtherCommitsWork) {
  ASSERT_TRUE(workspace_->write("a.txt", "a").ok());
  auto first = workspace_->commit({"a.txt"}, "Architect", "first");
  ASSERT_TRUE(first.ok()) << first.error().message;

  const fs::path renamed = root_.parent_path() / "snake_game";
  auto status = workspace_->rename_root(renamed);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(workspace_->root(), renamed);
  EXPECT_FALSE(fs::exists(root_));
  EXPECT_EQ(workspace_->read("a.txt").value(), "a");

  ASSERT_TRUE(workspace_->write("b.txt", "b").ok());
  EXPECT_TRUE(fs::exists(renamed / "b.txt"));
  auto second = workspace_->commit({"b.txt"}, "Engineer", "second");
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto log = workspace_->log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].id, second.value());
  EXPECT_EQ(log[1].id, first.value());
}

TEST_F(WorkspaceTest, RenameRootRefusesAnExistingTarget) {
  const fs::path taken = root_.parent_path() / "taken";
  fs::create_directories(taken);
  auto status = workspace_->rename_root(taken);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(workspace_->root(), root_);
  EXPECT_TRUE(fs::is_directory(root_ / ".git"));
}

TEST_F(WorkspaceTest, ReopeningAWorkspaceKeepsItsFilesAndHistory) {
  ASSERT_TRUE(workspace_->write("a.txt", "a").ok());
  ASSERT_TRUE(workspace_->commit({"a.txt"}, "Engineer", "first").ok());
  workspace_.reset();
  auto reopened = Workspace::open(root_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(reopened.value()->read("a.txt").value(), "a");
  EXPECT_EQ(reopened.value()->log().size(), 1u);
}

}  // namespace
}  // namespace agentco
