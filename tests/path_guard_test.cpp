#include "environment/path_guard.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace agentco {
namespace {

namespace fs = std::filesystem;

class PathGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    base_ = fs::temp_directory_path() /
            ("agentco_path_guard_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    root_ = base_ / "project";
    outside_ = base_ / "outside";
    fs::create_directories(root_);
    fs::create_directories(outside_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  void expect_refused(std::string_view proposed, std::string_view reason_part = {}) {
    auto result = safe_project_path(root_, proposed);
    ASSERT_FALSE(result.ok()) << "accepted \"" << proposed << "\" as \"" << result.value() << "\"";
    EXPECT_EQ(result.error().code, "path");
    if (!reason_part.empty()) {
      EXPECT_NE(result.error().message.find(reason_part), std::string::npos) << result.error().message;
    }
  }

  void expect_accepted(std::string_view proposed, std::string_view normalized) {
    auto result = safe_project_path(root_, proposed);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.value(), normalized);
  }

  fs::path base_;
  fs::path root_;
  fs::path outside_;
};

TEST_F(PathGuardTest, NormalizesDotComponentsAndRepeatedSlashes) {
  expect_accepted("./src//a.py", "src/a.py");
  expect_accepted("a/./b/", "a/b");
  expect_accepted("main.cpp", "main.cpp");
}

TEST_F(PathGuardTest, AcceptsPathsThatDoNotExistYet) {
  expect_accepted("new/deep/folder/file.txt", "new/deep/folder/file.txt");
}

TEST_F(PathGuardTest, AcceptsNamesThatMerelyContainDots) {
  expect_accepted("a..b.txt", "a..b.txt");
  expect_accepted("..hidden", "..hidden");
  expect_accepted(".env.example", ".env.example");
}

TEST_F(PathGuardTest, RefusesEmptyNames) {
  expect_refused("", "empty");
  expect_refused(".", "empty");
  expect_refused("./", "empty");
  expect_refused("././/", "empty");
}

TEST_F(PathGuardTest, RefusesAbsolutePaths) {
  expect_refused("/etc/passwd", "absolute");
  expect_refused("//tmp/x", "absolute");
}

TEST_F(PathGuardTest, RefusesHomeFolderNames) {
  expect_refused("~", "~");
  expect_refused("~/notes.txt", "~");
  expect_refused("~root/.bashrc", "~");
}

TEST_F(PathGuardTest, RefusesAnyParentComponent) {
  expect_refused("..", "..");
  expect_refused("../evil.txt", "..");
  expect_refused("src/../../evil.txt", "..");
  expect_refused("src/..", "..");
}

TEST_F(PathGuardTest, RefusesNulAndControlCharacters) {
  expect_refused(std::string("a\0b.txt", 7), "NUL");
  expect_refused("a\nb.txt", "control");
  expect_refused("tab\there", "control");
  expect_refused("del\x7f", "control");
}

TEST_F(PathGuardTest, RefusesBackslashes) {
  expect_refused("src\\main.cpp", "backslash");
  expect_refused("..\\evil", "backslash");
}

TEST_F(PathGuardTest, RefusesAComponentLongerThan255Bytes) {
  expect_accepted(std::string(255, 'a'), std::string(255, 'a'));
  expect_refused(std::string(256, 'a'), "255");
  expect_refused("dir/" + std::string(300, 'b') + "/x", "255");
}

TEST_F(PathGuardTest, RefusesAWholePathLongerThan4096Bytes) {
  std::string path;
  while (path.size() + 101 <= 4096) path += std::string(100, 'c') + "/";
  path += std::string(4096 - path.size(), 'd');
  ASSERT_EQ(path.size(), 4096u);
  EXPECT_TRUE(safe_project_path(root_, path).ok());
  expect_refused(path + "e", "4096");
}

TEST_F(PathGuardTest, RefusesWindowsDeviceNamesWithOrWithoutExtension) {
  for (const char* name : {"con.txt", "CON", "LPT1", "lpt9.log", "prn", "Aux.c", "nul", "NUL.tar.gz", "com1",
                           "COM9.txt", "src/con.h", "con /x", "con .txt"}) {
    expect_refused(name, "device");
  }
}

TEST_F(PathGuardTest, AcceptsNamesThatOnlyResembleDeviceNames) {
  for (const char* name :
       {"console.txt", "com10", "lpt0", "lpt.txt", "auxiliary.c", "connect/x.py", "null"}) {
    EXPECT_TRUE(safe_project_path(root_, name).ok()) << name;
  }
}

TEST_F(PathGuardTest, RefusesAnythingInsideGit) {
  expect_refused(".git/config", ".git");
  expect_refused(".git", ".git");
  expect_refused("./.git/hooks/pre-commit", ".git");
  expect_refused("vendor/.GIT/config", ".git");
}

TEST_F(PathGuardTest, AcceptsGitRelatedFilesOutsideGit) {
  expect_accepted(".gitignore", ".gitignore");
  expect_accepted(".github/workflows/ci.yml", ".github/workflows/ci.yml");
}

TEST_F(PathGuardTest, RefusesTheRunsOwnFilesAtTheTop) {
  expect_refused("run.jsonl", "run's own");
  expect_refused("./meta.json", "run's own");
  expect_refused("RUN.JSONL", "run's own");
}

TEST_F(PathGuardTest, AcceptsTheRunsFileNamesInsideSubfolders) {
  expect_accepted("docs/run.jsonl", "docs/run.jsonl");
  expect_accepted("data/meta.json", "data/meta.json");
}

TEST_F(PathGuardTest, RefusesASymlinkedFolderPointingOutside) {
  fs::create_directory_symlink(outside_, root_ / "link");
  expect_refused("link/evil.txt", "symbolic link");
  expect_refused("link", "symbolic link");
}

TEST_F(PathGuardTest, RefusesASymlinkedFolderEvenWhenItPointsInside) {
  fs::create_directories(root_ / "real");
  fs::create_directory_symlink(root_ / "real", root_ / "alias");
  expect_refused("alias/file.txt", "symbolic link");
}

TEST_F(PathGuardTest, RefusesASymlinkedFile) {
  std::ofstream(outside_ / "secret.txt") << "secret";
  fs::create_symlink(outside_ / "secret.txt", root_ / "notes.txt");
  expect_refused("notes.txt", "symbolic link");
}

TEST_F(PathGuardTest, RefusesADanglingSymlink) {
  fs::create_symlink(outside_ / "not_there.txt", root_ / "dangling.txt");
  expect_refused("dangling.txt", "symbolic link");
}

TEST_F(PathGuardTest, AcceptsExistingPlainFilesAndFolders) {
  fs::create_directories(root_ / "src");
  std::ofstream(root_ / "src" / "main.cpp") << "int main() {}";
  expect_accepted("src/main.cpp", "src/main.cpp");
}

TEST_F(PathGuardTest, AcceptsUnicodeNames) {
  expect_accepted("文档/说明.md", "文档/说明.md");
  expect_accepted("café.txt", "café.txt");
  expect_accepted("rocket 🚀.txt", "rocket 🚀.txt");
}

TEST_F(PathGuardTest, RefusalMessageNamesTheValueAndTheReason) {
  auto result = safe_project_path(root_, "../escape.txt");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("\"../escape.txt\""), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("\"..\" is not allowed"), std::string::npos)
      << result.error().message;
}

TEST_F(PathGuardTest, RefusalMessageEscapesControlCharactersAndCutsLongValues) {
  auto control = safe_project_path(root_, "bad\nname");
  ASSERT_FALSE(control.ok());
  EXPECT_NE(control.error().message.find("bad\\x0aname"), std::string::npos) << control.error().message;
  EXPECT_EQ(control.error().message.find('\n'), std::string::npos);

  auto long_name = safe_project_path(root_, std::string(5000, 'z'));
  ASSERT_FALSE(long_name.ok());
  EXPECT_LT(long_name.error().message.size(), 300u);
}

}  // namespace
}  // namespace agentco
