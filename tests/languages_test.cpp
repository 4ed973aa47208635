// Projects in other languages, end to end with the built-in mock model: "... in C++"
// gives a CMake project that QA builds, tests with CTest and runs; "... in JavaScript" gives
// a Node project tested with node:test and run with node. When the toolchain is missing,
// the run says so plainly (a trace warning, the verdict's notes, a line on the terminal).
#include <gtest/gtest.h>

#include <string>

#include "environment/process_runner.hpp"
#include "tests/support/floor_run.hpp"

namespace {

using namespace agentco::testing::floor;

FloorRun run_mock(const TempDir& dir, const std::string& idea, const std::string& path = "") {
  RunOptions options;
  options.args = {"--llm", "mock"};
  options.idea = idea;
  options.path = path;
  return run_agentco(dir, options);
}

std::vector<std::string> warnings(const FloorRun& run) {
  std::vector<std::string> out;
  for (const auto& w : run.of_type("warning")) out.push_back(w.value("message", ""));
  return out;
}

TEST(LanguagesTest, ACppIdeaGivesACMakeProjectThatQaBuildsTestsAndRuns) {
  if (!agentco::program_available("cmake") || !agentco::program_available("g++")) {
    GTEST_SKIP() << "cmake or g++ is not installed";
  }
  TempDir dir;
  FloorRun run = run_mock(dir, "write a snake game in C++");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  for (const char* file : {"CMakeLists.txt", "game.hpp", "game.cpp", "main.cpp", "tests/game_test.cpp", "README.md"}) {
    EXPECT_TRUE(fs::exists(run.folder / file)) << file;
  }
  EXPECT_FALSE(fs::exists(run.folder / "tests" / "main_test.cpp")) << "main() gets no test file of its own";
  ASSERT_TRUE(run.meta.contains("verdict") && run.meta["verdict"].is_object()) << run.meta.dump(2);
  const json& verdict = run.meta["verdict"];
  EXPECT_EQ(verdict.value("language", ""), "cpp") << verdict.dump(2);
  EXPECT_EQ(verdict.value("tests_failed", -1), 0) << verdict.dump(2) << read_all(run.folder / "test_outputs/build.txt");
  EXPECT_GE(verdict.value("tests_passed", 0), 1) << verdict.dump(2);
  EXPECT_EQ(verdict.value("program", ""), "exited") << verdict.dump(2);
  json program = run.execution("program");
  EXPECT_NE(program.value("stdout", "").find("agentco mock project"), std::string::npos) << program.dump(2);
  // The static check compiled each C++ file.
  bool checked = false;
  for (const auto& r : run.of_type("review"))
    if (r.value("static_tool", "").find("g++") != std::string::npos) checked = true;
  EXPECT_TRUE(checked);
}

TEST(LanguagesTest, AJavaScriptIdeaGivesANodeProjectThatQaTestsAndRuns) {
  if (!agentco::program_available("node")) GTEST_SKIP() << "node is not installed";
  TempDir dir;
  FloorRun run = run_mock(dir, "write a snake game in JavaScript");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  for (const char* file : {"utils.js", "config.js", "game.js", "main.js", "tests/game.test.js", "package.json"}) {
    EXPECT_TRUE(fs::exists(run.folder / file)) << file;
  }
  ASSERT_TRUE(run.meta.contains("verdict") && run.meta["verdict"].is_object()) << run.meta.dump(2);
  const json& verdict = run.meta["verdict"];
  EXPECT_EQ(verdict.value("language", ""), "javascript") << verdict.dump(2);
  EXPECT_EQ(verdict.value("tests_failed", -1), 0) << verdict.dump(2);
  EXPECT_EQ(verdict.value("tests_passed", 0), 4) << verdict.dump(2);
  EXPECT_EQ(verdict.value("program", ""), "exited") << verdict.dump(2);
  bool checked = false;
  for (const auto& r : run.of_type("review"))
    if (r.value("static_tool", "") == "node --check") checked = true;
  EXPECT_TRUE(checked);
}

TEST(LanguagesTest, AMissingToolchainIsSaidPlainlyAndTheRunStillEnds) {
  TempDir dir;
  fs::path empty_bin = dir.path() / "bin";
  fs::create_directories(empty_bin);
  // No node, cmake, g++, python3 or bwrap in PATH.
  FloorRun js = run_mock(dir, "write a snake game in JavaScript", empty_bin.string());
  ASSERT_EQ(js.process.exit_code, 0) << js.describe();
  bool warned = false;
  for (const auto& w : warnings(js))
    if (w.find("node is not installed") != std::string::npos) warned = true;
  EXPECT_TRUE(warned) << js.describe();
  ASSERT_TRUE(js.meta.contains("verdict") && js.meta["verdict"].is_object()) << js.meta.dump(2);
  EXPECT_EQ(js.meta["verdict"].value("decision", ""), "not_run") << js.meta.dump(2);
  EXPECT_NE(js.meta["verdict"]["notes"].dump().find("node is not installed"), std::string::npos);
  EXPECT_NE(js.process.stderr_text.find("QA: "), std::string::npos) << js.describe();
  EXPECT_NE(js.process.stderr_text.find("node is not installed"), std::string::npos) << js.describe();

  TempDir dir2;
  FloorRun cpp = run_mock(dir2, "write a snake game in C++", empty_bin.string());
  ASSERT_EQ(cpp.process.exit_code, 0) << cpp.describe();
  warned = false;
  for (const auto& w : warnings(cpp))
    if (w.find("is not installed: the C++ project was not built") != std::string::npos) warned = true;
  EXPECT_TRUE(warned) << cpp.describe();
}

}  // namespace
