// SRDD quality (stats/quality.hpp): placeholders as ChatDev counts them, the lexical
// consistency, a project measured (its program run in a copy, in the sandbox), and
// `agentco quality` through the binary on ChatDev's own projects (../shared/fixtures, imported).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "llm/embeddings.hpp"
#include "stats/quality.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/fixtures.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::slurp;
using testing::spill;

bool has(const std::vector<std::string>& found, const std::string& text) {
  for (const auto& f : found)
    if (f == text) return true;
  return false;
}

TEST(Placeholders, TodosNotImplementedAndEmptyBodiesCountButAbstractAndRealBodiesDoNot) {
  const std::string code = R"(from abc import ABC, abstractmethod


class Shape(ABC):
    @abstractmethod
    def area(self) -> float:
        pass


class Square(Shape):
    def area(self) -> float:
        """The area."""
        pass

    def grow(self):
        ...

    def shrink(self): pass

    def draw(self):
        # TODO: draw it
        raise NotImplementedError

    def name(self) -> str:
        return "square"  # not a TODOs list


class Empty(Exception):
    pass
)";
  const auto found = find_placeholders("shape.py", code);
  EXPECT_TRUE(has(found, "11: area() has only `pass` for a body")) << ::testing::PrintToString(found);
  EXPECT_TRUE(has(found, "15: grow() has only `...` for a body")) << ::testing::PrintToString(found);
  EXPECT_TRUE(has(found, "18: shrink() has only `pass` for a body")) << ::testing::PrintToString(found);
  EXPECT_TRUE(has(found, "21: TODO")) << ::testing::PrintToString(found);
  EXPECT_TRUE(has(found, "22: NotImplementedError")) << ::testing::PrintToString(found);
  EXPECT_EQ(found.size(), 5u) << ::testing::PrintToString(found);  // not the abstract area(), name() or Empty
  EXPECT_TRUE(find_placeholders("app.js", "function f() {\n  return 1;\n}\n").empty());
  EXPECT_EQ(find_placeholders("app.js", "// FIXME later\n"), std::vector<std::string>{"1: FIXME"});
}

TEST(LexicalSimilarity, SplitsIdentifiersAndIgnoresCommonWords) {
  EXPECT_NEAR(lexical_similarity("a snake game", "snake game"), 1.0, 1e-9);
  EXPECT_NEAR(lexical_similarity("a snake game", "def tax_report(): return invoice"), 0.0, 1e-9);
  // snakeGame and snake_game are the words snake and game.
  EXPECT_GT(lexical_similarity("write a snake game", "class SnakeGame:\n    def move_snake(self): ..."), 0.7);
  EXPECT_NEAR(lexical_similarity("", "anything"), 0.0, 1e-9);
}

class QualityOfAProject : public ::testing::Test {
 protected:
  QualityOfAProject() : dir_("quality") { fs::create_directories(root()); }
  fs::path root() const { return dir_.path() / "project"; }
  Quality measure(const std::string& requirement = "add numbers") {
    QualityOptions options;
    options.deadline = std::chrono::milliseconds(1500);
    auto q = measure_quality(root(), requirement, options);
    EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
    return q.ok() ? *q : Quality{};
  }
  testing::RunTempDir dir_;
};

TEST_F(QualityOfAProject, AWholeProgramThatExitsScoresItsConsistency) {
  spill(root() / "main.py", "from adder import add_numbers\nprint(add_numbers([2, 3]))\nopen('out.txt', 'w').write('x')\n");
  spill(root() / "adder.py", "def add_numbers(numbers):\n    return sum(numbers)\n");
  spill(root() / "tests" / "test_adder.py", "def test():\n    pass\n");  // tests are not the program
  const Quality q = measure();
  EXPECT_EQ(q.code_files, 2);
  EXPECT_EQ(q.completeness, 1);
  EXPECT_EQ(q.executability, 1) << q.execution;
  EXPECT_EQ(q.execution, "exited 0");
  EXPECT_EQ(q.entry, "main.py");
  EXPECT_EQ(q.consistency_method, "lexical");
  EXPECT_GT(q.consistency, 0.3);
  EXPECT_DOUBLE_EQ(q.quality, q.consistency);
  EXPECT_FALSE(fs::exists(root() / "out.txt")) << "the program ran in the project folder";
}

TEST_F(QualityOfAProject, APlaceholderOrACrashScoresZero) {
  spill(root() / "main.py", "def add(a, b):\n    # TODO\n    return a + b\n\nprint(totl)\n");
  const Quality q = measure();
  EXPECT_EQ(q.completeness, 0);
  EXPECT_EQ(q.placeholders, std::vector<std::string>{"main.py:2: TODO"});
  EXPECT_EQ(q.executability, 0);
  EXPECT_EQ(q.execution, "exit 1: NameError: name 'totl' is not defined") << q.execution;
  EXPECT_EQ(q.quality, 0);
}

// What a program prints and what its files are called are untrusted bytes: the results are
// valid UTF-8, so that JSON and tables can hold them.
TEST_F(QualityOfAProject, BytesThatAreNotUtf8InTheOutputOrAFileNameAreReplaced) {
  spill(root() / "main.py", "import sys\nsys.stderr.buffer.write(b'caf\\xe9 Error\\n')\nsys.exit(1)\n");
  spill(root() / "caf\xe9.py", "# TODO\n");
  const Quality q = measure("caf\xe9 app");
  EXPECT_EQ(q.execution, "exit 1: caf\xEF\xBF\xBD Error") << q.execution;
  ASSERT_EQ(q.placeholders.size(), 1u);
  EXPECT_EQ(q.placeholders[0], "caf\xEF\xBF\xBD.py:1: TODO");
  EXPECT_NO_THROW((void)to_json(q).dump());
}

TEST_F(QualityOfAProject, AProgramWaitingForInputAtTheDeadlineRuns) {
  spill(root() / "app" / "main.py", "name = input('your name? ')\nprint('hello', name)\n");
  const Quality q = measure();
  EXPECT_EQ(q.entry, "app/main.py");
  EXPECT_EQ(q.executability, 1) << q.execution;
  EXPECT_EQ(q.execution, "still running at the 1.5 s deadline");
}

TEST_F(QualityOfAProject, NoSourceOrNoEntryPointIsSaid) {
  spill(root() / "README.md", "# nothing here\n");
  Quality q = measure();
  EXPECT_EQ(q.code_files, 0);
  EXPECT_EQ(q.completeness, 0);
  EXPECT_TRUE(q.execution.starts_with("no entry point")) << q.execution;
  spill(root() / "lib.py", "def f():\n    return 1\n");
  q = measure();
  EXPECT_EQ(q.completeness, 1);
  EXPECT_EQ(q.executability, 0);
  EXPECT_TRUE(q.execution.starts_with("no entry point")) << q.execution;
}

TEST(Embeddings, RepliesAreCheckedBeforeTheyAreTrusted) {
  auto ok = parse_embeddings(R"({"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0.5]}]})", 2);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)[0], (std::vector<double>{1, 0.5}));  // put in index order
  EXPECT_EQ((*ok)[1], (std::vector<double>{0, 1}));
  const std::pair<const char*, const char*> bad[] = {
      {"<html>busy</html>", "the reply is not a JSON object"},
      {R"({"object":"list"})", "no \"data\" list"},
      {R"({"data":[{"embedding":[1]}]})", "1 vectors for 2 texts"},
      {R"({"data":[{"embedding":[1]},{"embedding":["x"]}]})", "data[1].embedding holds a non-number"},
      {R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]})", "data[1] repeats index 0"},
      {R"({"data":[{"index":7,"embedding":[1]},{"embedding":[1]}]})", "data[0].index is not one of 0..1"},
      {R"({"data":[{"embedding":[1]},{"embedding":[1,2]}]})", "the vectors differ in length (1 and 2)"},
  };
  for (const auto& [body, message] : bad) {
    auto parsed = parse_embeddings(body, 2);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_NE(parsed.error().message.find(message), std::string::npos) << parsed.error().message;
  }
}

#ifdef AGENTCO_FAKE_SERVER

// Consistency from the configured server's embeddings (the fake server's /v1/embeddings), and
// lexical, said so, when the server cannot be reached.
TEST(QualityCommand, ConsistencyUsesTheServersEmbeddingsWhenAModelIsNamed) {
  testing::RunSandbox sandbox("quality_embeddings");
  testing::FakeServerProcess server(sandbox.root() / "server", {.script = "rules:\n  - reply: unused\n"});
  ASSERT_TRUE(server.ok());
  const fs::path project = sandbox.root() / "adder";
  spill(project / "main.py", "def add_numbers(numbers):\n    return sum(numbers)\n\nprint(add_numbers([2, 3]))\n");
  spill(sandbox.file("emb.yaml"), "llm:\n  embedding_model: nomic-embed-text\n");
  const std::vector<std::string> base = {"quality", project.string(), "--requirement", "add numbers", "--format", "json",
                                         "--no-user-config", "--config", sandbox.file("emb.yaml").string()};
  auto args = base;
  args.insert(args.end(), {"--llm-base-url", server.base_url()});
  const auto result = testing::run_process(sandbox.options(args, {}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json measured = json::parse(result.out).at(0);
  EXPECT_EQ(measured["consistency_method"], "embeddings nomic-embed-text") << measured;
  EXPECT_GT(measured["consistency"].get<double>(), 0.3) << measured;
  bool asked = false;
  for (const auto& entry : server.requests())
    if (entry.value("target", "") == "/v1/embeddings")
      asked = entry["body"]["model"] == "nomic-embed-text" && entry["body"]["input"][0] == "add numbers";
  EXPECT_TRUE(asked);

  args = base;
  args.insert(args.end(), {"--llm-base-url", "http://127.0.0.1:1/v1"});
  const auto unreachable = testing::run_process(sandbox.options(args, {}));
  ASSERT_EQ(unreachable.exit_code, 0) << unreachable.err;
  EXPECT_EQ(json::parse(unreachable.out).at(0)["consistency_method"], "lexical");
  EXPECT_NE(unreachable.err.find("embeddings failed"), std::string::npos) << unreachable.err;
  EXPECT_NE(unreachable.err.find("lexical instead"), std::string::npos) << unreachable.err;
}

// ChatDev's own projects, imported from their logs, measured through the binary: the defects
// the logs' code really has are found (a NameError at start, `pass` bodies).
TEST(QualityCommand, FindsTheDefectsOfImportedChatDevProjects) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  const fs::path logs = fixtures / "chatdev-logs";
  testing::RunSandbox sandbox("quality_chatdev");
  for (const char* run : {"MarbelGameV1_ModelBest1024_20231026183909", "Tetris_zhuoyundu_20240115181403"}) {
    const auto imported = testing::run_process(sandbox.options(
        {"import", "chatdev", (logs / run).string(), "--warehouse", sandbox.warehouse().string()}, {}));
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
  const auto result = testing::run_process(
      sandbox.options({"quality", sandbox.warehouse().string(), "--format", "json", "--deadline", "2"}, {}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json runs = json::parse(result.out);
  ASSERT_EQ(runs.size(), 2u) << result.out;
  for (const auto& r : runs) {
    EXPECT_EQ(r["consistency_method"], "lexical");
    if (r["run"].get<std::string>().starts_with("marbelgame")) {
      EXPECT_EQ(r["executability"], 0.0);
      EXPECT_NE(r["execution"].get<std::string>().find("NameError: name 'player' is not defined"), std::string::npos) << r;
      EXPECT_EQ(r["completeness"], 1.0);
      EXPECT_GT(r["code_files"].get<long>(), 0);
    } else {
      EXPECT_EQ(r["completeness"], 0.0) << r;
      EXPECT_NE(r["placeholders"].dump().find("tetris_shapes.py:20: get_coordinates() has only `pass` for a body"),
                std::string::npos)
          << r;
    }
    EXPECT_EQ(r["quality"], 0.0);
  }
  // `stats --quality` puts the same figures beside the runs' own (one table for every tool).
  const auto stats = testing::run_process(
      sandbox.options({"stats", sandbox.warehouse().string(), "--quality", "--deadline", "2", "--format", "json"}, {}));
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json listed = json::parse(stats.out)["runs"];
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& run : listed) {
    EXPECT_EQ(run["source"], "chatdev");
    ASSERT_TRUE(run.contains("quality")) << run.dump();
    EXPECT_EQ(run["quality"]["executability"], 0.0);
    EXPECT_EQ(run["quality"]["consistency_method"], "lexical");
  }
  const auto csv = testing::run_process(
      sandbox.options({"stats", sandbox.warehouse().string(), "--quality", "--deadline", "2", "--format", "csv"}, {}));
  EXPECT_NE(csv.out.find(",completeness,executability,consistency,consistency_method,quality\n"), std::string::npos)
      << csv.out;

  // A folder without a trace needs the requirement.
  const auto bare = testing::run_process(sandbox.options({"quality", sandbox.root().string()}, {}));
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_NE(bare.err.find("give --requirement"), std::string::npos) << bare.err;
}

#endif  // AGENTCO_FAKE_SERVER

}  // namespace
}  // namespace agentco
