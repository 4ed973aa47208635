#include "actions/code_plan.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actions/structured_output.hpp"
#include "support/fixtures.hpp"

namespace agentco {
namespace {

using nlohmann::json;
using Indices = std::vector<std::size_t>;

// Logic Analysis rows as arrays (a braced list of string pairs would make a JSON object).
json rows(std::initializer_list<std::vector<std::string>> list) {
  json out = json::array();
  for (const auto& row : list) out.push_back(row);
  return out;
}

json tasks_with(json task_list, json logic_analysis) {
  return {{"Task list", std::move(task_list)}, {"Logic Analysis", std::move(logic_analysis)}};
}

std::vector<std::string> paths_of(const CodePlan& plan) {
  std::vector<std::string> out;
  for (const auto& f : plan.files) out.push_back(f.path);
  return out;
}

TEST(CodePlanTest, AFileDependsOnAnEarlierFileItsAnalysisImports) {
  json tasks = tasks_with({"game.py", "main.py"}, rows({{"game.py", "Contains the Game class"},
                                                         {"main.py", "Contains main(); from game import Game"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(paths_of(plan), (std::vector<std::string>{"game.py", "main.py"}));
  EXPECT_TRUE(plan.files[0].deps.empty());
  EXPECT_EQ(plan.files[1].deps, Indices{0});
  EXPECT_NE(plan.files[1].analysis.find("from game import Game"), std::string::npos);
}

TEST(CodePlanTest, AFileMentionedByItsFullNameOrUnderAFolderCountsAsADependency) {
  json tasks = tasks_with({"src/utils.py", "src/config.py", "src/app.py"},
                          rows({{"src/utils.py", "Helpers."},
                                {"src/config.py", "Reads settings using utils.py"},
                                {"src/app.py", "Uses src/config and nothing else"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_EQ(plan.files[1].deps, Indices{0});
  EXPECT_EQ(plan.files[2].deps, Indices{1});
}

TEST(CodePlanTest, OnlyFilesEarlierInTheTaskListCountAsDependencies) {
  // main.py comes first, so its mention of game is not a dependency: the task list's
  // order wins and the plan cannot have a cycle.
  json tasks = tasks_with({"main.py", "game.py"}, rows({{"main.py", "from game import Game"},
                                                         {"game.py", "The Game class, started by main"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(paths_of(plan), (std::vector<std::string>{"main.py", "game.py"}));
  EXPECT_TRUE(plan.files[0].deps.empty());
  EXPECT_EQ(plan.files[1].deps, Indices{0});
}

TEST(CodePlanTest, NamesMatchOnlyAsWholeWords) {
  json tasks = tasks_with({"game.py", "ui.py", "main.py"},
                          rows({{"game.py", "Game rules"},
                                {"ui.py", "Draws the gameplay screen; keeps a game_state and an endgame flag"},
                                {"main.py", "Starts the guide loop; imports ui"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_TRUE(plan.files[1].deps.empty()) << "gameplay, game_state or endgame matched game";
  EXPECT_EQ(plan.files[2].deps, Indices{1}) << "guide matched ui, or ui was missed";
}

TEST(CodePlanTest, AFileCanDependOnSeveralEarlierFilesInTaskListOrder) {
  json tasks = tasks_with({"utils.py", "config.py", "game.py", "main.py"},
                          rows({{"utils.py", "Helpers"},
                                {"config.py", "Settings"},
                                {"game.py", "imports config and utils"},
                                {"main.py", "imports game"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(plan.files.size(), 4u);
  EXPECT_EQ(plan.files[2].deps, (Indices{0, 1}));
  EXPECT_EQ(plan.files[3].deps, Indices{2});
}

TEST(CodePlanTest, AnalysisRowsWithSeveralColumnsAreJoined) {
  json tasks = tasks_with({"db.py", "api.py"}, rows({{"db.py", "Storage"}, {"api.py", "Routes", "uses db for storage"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  ASSERT_EQ(plan.files.size(), 2u);
  EXPECT_NE(plan.files[1].analysis.find("Routes"), std::string::npos);
  EXPECT_NE(plan.files[1].analysis.find("uses db"), std::string::npos);
  EXPECT_EQ(plan.files[1].deps, Indices{0});
}

TEST(CodePlanTest, FallsBackToTheDesignsFileListWhenThereIsNoTaskList) {
  json design = {{"File list", {"main.py", "game.py"}}};
  CodePlan plan = make_code_plan(json::object(), design, nullptr);

  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{"main.py", "game.py"}));
  for (const auto& f : plan.files) {
    EXPECT_TRUE(f.analysis.empty());
    EXPECT_TRUE(f.deps.empty());
  }
}

TEST(CodePlanTest, AnEmptyTaskListAlsoFallsBackToTheDesignsFileList) {
  json tasks = tasks_with(json::array(), rows({{"game.py", "Game"}, {"main.py", "imports game"}}));
  json design = {{"File list", {"game.py", "main.py"}}};
  CodePlan plan = make_code_plan(tasks, design, nullptr);

  ASSERT_EQ(paths_of(plan), (std::vector<std::string>{"game.py", "main.py"}));
  EXPECT_EQ(plan.files[1].deps, Indices{0}) << "the analysis still applies to the design's files";
}

TEST(CodePlanTest, FallsBackToTheLogicAnalysisOrderWhenNoListNamesTheFiles) {
  json tasks = {{"Logic Analysis", rows({{"model.py", "Data"}, {"view.py", "Shows the model"}})}};
  CodePlan plan = make_code_plan(tasks, json::object(), nullptr);

  ASSERT_EQ(paths_of(plan), (std::vector<std::string>{"model.py", "view.py"}));
  EXPECT_EQ(plan.files[1].deps, Indices{0});
}

TEST(CodePlanTest, NothingToPlanGivesAnEmptyPlan) {
  EXPECT_TRUE(make_code_plan(nullptr, nullptr, nullptr).files.empty());
  EXPECT_TRUE(make_code_plan(json::object(), json::object(), json::object()).files.empty());
  EXPECT_TRUE(make_code_plan(json::array(), "not a design", 42).files.empty());
}

TEST(CodePlanTest, AFileListedTwiceIsPlannedOnce) {
  json tasks = tasks_with({"game.py", "main.py", "game.py"}, rows({{"game.py", "Game"}, {"main.py", "imports game"}}));
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{"game.py", "main.py"}));
  EXPECT_EQ(plan.files[1].deps, Indices{0});
}

TEST(CodePlanTest, IgnoresTaskListItemsThatAreNotText) {
  json tasks = tasks_with({"game.py", 42, nullptr, json::array({"x"}), "main.py"}, json::array());
  CodePlan plan = make_code_plan(tasks, nullptr, nullptr);

  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{"game.py", "main.py"}));
}

TEST(CodePlanTest, TheLanguageComesFromThePrdAndDefaultsToPython) {
  EXPECT_EQ(make_code_plan(nullptr, nullptr, nullptr).language, "Python");
  EXPECT_EQ(make_code_plan(nullptr, nullptr, json{{"Programming Language", ""}}).language, "Python");
  EXPECT_EQ(make_code_plan(nullptr, nullptr, json{{"Programming Language", "C++"}}).language, "C++");
}

TEST(CodePlanTest, LanguageKeyReadsLanguageNamesAndFileExtensions) {
  EXPECT_EQ(language_key("Python"), "python");
  EXPECT_EQ(language_key("game.py"), "python");
  EXPECT_EQ(language_key("src/pkg/game.py"), "python");
  EXPECT_EQ(language_key("C++"), "cpp");
  EXPECT_EQ(language_key("cpp"), "cpp");
  EXPECT_EQ(language_key("board.hpp"), "cpp");
  EXPECT_EQ(language_key("board.cc"), "cpp");
  EXPECT_EQ(language_key("board.h"), "cpp");
  EXPECT_EQ(language_key("JavaScript"), "javascript");
  EXPECT_EQ(language_key("Node.js"), "javascript");
  EXPECT_EQ(language_key("app.mjs"), "javascript");
  EXPECT_EQ(language_key("TypeScript"), "typescript");
  EXPECT_EQ(language_key("app.ts"), "typescript");
  EXPECT_EQ(language_key("Go"), "go");
  EXPECT_EQ(language_key("main.go"), "go");
  EXPECT_EQ(language_key("Rust"), "rust");
  EXPECT_EQ(language_key("lib.rs"), "rust");
  EXPECT_EQ(language_key("Java"), "java");
  EXPECT_EQ(language_key("Main.java"), "java");
  EXPECT_EQ(language_key(""), "python");
  EXPECT_EQ(language_key("Haskell"), "haskell");
}

TEST(CodePlanTest, ThePythonInterfaceKeepsImportsSignaturesAndConstantsOnly) {
  const std::string source =
      "\"\"\"The game.\"\"\"\n"
      "import os\n"
      "from config import Config\n"
      "\n"
      "MAX_SCORE = 10\n"
      "counter = 0\n"
      "\n"
      "\n"
      "class Game:\n"
      "    \"\"\"Holds the board.\"\"\"\n"
      "    SIZE = 3\n"
      "\n"
      "    def __init__(self, size: int = 3) -> None:\n"
      "        import random\n"
      "        self.cells = [0] * size\n"
      "\n"
      "    async def load(self, path: str) -> None:\n"
      "        pass\n"
      "\n"
      "\n"
      "def main() -> int:\n"
      "    return Game().run()\n"
      "\n"
      "\n"
      "if __name__ == \"__main__\":\n"
      "    raise SystemExit(main())\n";

  EXPECT_EQ(source_interface("game.py", source),
            "import os\n"
            "from config import Config\n"
            "MAX_SCORE = 10\n"
            "class Game:\n"
            "    def __init__(self, size: int = 3) -> None:\n"
            "    async def load(self, path: str) -> None:\n"
            "def main() -> int:\n");
}

TEST(CodePlanTest, ThePythonInterfaceOfAHugeFileIsCapped) {
  std::string source;
  for (int i = 0; i < 2000; ++i) source += "def function_number_" + std::to_string(i) + "() -> int:\n    return 0\n";
  std::string interface = source_interface("big.py", source);

  EXPECT_GT(interface.size(), 3000u);
  EXPECT_LT(interface.size(), 4100u);
  EXPECT_TRUE(interface.starts_with("def function_number_0() -> int:\n"));
}

TEST(CodePlanTest, OtherLanguagesGiveTheSourceUpToTheCap) {
  const std::string small = "#pragma once\nint add(int a, int b);\n";
  EXPECT_EQ(source_interface("math.hpp", small), small);

  std::string big(10000, 'x');
  EXPECT_EQ(source_interface("big.js", big), std::string(4000, 'x'));
}

TEST(CodePlanTest, MentionsFileMatchesTheNameOrStemAsAWholeWordOnly) {
  EXPECT_TRUE(mentions_file("from game import Game", "game.py"));
  EXPECT_TRUE(mentions_file("see game.py for the rules", "src/game.py"));
  EXPECT_TRUE(mentions_file("uses src/game", "src/game.py"));
  EXPECT_FALSE(mentions_file("the gameplay loop", "game.py"));
  EXPECT_FALSE(mentions_file("keeps a game_state", "game.py"));
  EXPECT_FALSE(mentions_file("an endgame", "game.py"));
  EXPECT_FALSE(mentions_file("", "game.py"));
}

TEST(CodePlanTest, TestPathForNamesTheTestFileByLanguageConvention) {
  EXPECT_EQ(test_path_for("game.py"), "tests/test_game.py");
  EXPECT_EQ(test_path_for("src/game.py"), "tests/test_game.py");
  EXPECT_EQ(test_path_for("app.js"), "tests/app.test.js");
  EXPECT_EQ(test_path_for("board.cpp"), "tests/board_test.cpp");
  EXPECT_EQ(test_path_for("main.go"), "tests/test_main.go");
  // Two sources with one stem get two test files, named after their folders.
  const std::vector<std::string> sources = {"a/models.py", "b/models.py", "app.py", "docs/models.md"};
  EXPECT_EQ(test_path_for("a/models.py", sources), "tests/test_a_models.py");
  EXPECT_EQ(test_path_for("b/models.py", sources), "tests/test_b_models.py");
  EXPECT_EQ(test_path_for("app.py", sources), "tests/test_app.py");
  EXPECT_EQ(test_path_for("my-app/v2/models.py", {"my-app/v2/models.py", "models.py"}), "tests/test_my_app_v2_models.py");
  EXPECT_EQ(test_path_for("models.py", {"my-app/v2/models.py", "models.py"}), "tests/test_models.py");
}

// MetaGPT's own cached reply of WriteTasks for a snake game (rsp_cache.json, entry 202).
TEST(CodePlanTest, ARealMetaGptTaskListMakesMainDependOnGame) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  std::ifstream in(fixtures / "metagpt" / "rsp_cache.json");
  ASSERT_TRUE(in) << "cannot open " << (fixtures / "metagpt" / "rsp_cache.json");
  auto cache = nlohmann::ordered_json::parse(in);
  ASSERT_TRUE(cache.is_object());
  ASSERT_GT(cache.size(), 202u);
  auto entry = std::next(cache.begin(), 202);
  ASSERT_TRUE(entry.value().is_string());
  const std::string reply = entry.value().get<std::string>();
  ASSERT_NE(reply.find("[CONTENT]"), std::string::npos);

  auto tasks = extract_structured(reply, OutputSchema{});
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  CodePlan plan = make_code_plan(tasks->value, nullptr, nullptr);

  ASSERT_EQ(paths_of(plan), (std::vector<std::string>{"game.py", "main.py"}));
  EXPECT_TRUE(plan.files[0].deps.empty());
  EXPECT_EQ(plan.files[1].deps, Indices{0});
  EXPECT_EQ(plan.language, "Python");
}

}  // namespace
}  // namespace agentco
