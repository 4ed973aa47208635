// The reading model (tests/support/reading_model.hpp) against the real binary, through the
// fake server program: it answers each request only from what the prompt shows, so a run
// ends with a project whose tests pass and whose program starts only when every step is
// shown what it needs. Designs of 3, 6, 12 and 24 files; each run has one file whose first
// version lacks a design method (the review must catch it) and one with a slip that only
// running shows (QA's triage and the engineer's fix must repair it). Then: prompts with a
// part missing give visibly wrong answers, and the in-process provider answers the same.
#include "tests/support/reading_model.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/reading_runs.hpp"
#include "tests/support/prompt_checks.hpp"
#include "tests/support/reading_provider.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

using testing::kReaderScript;
using testing::messages_of;
using testing::python;

class ReadingModelRun : public ::testing::TestWithParam<int> {
 protected:
  ReadingModelRun() : sandbox_("reading_model") {}
  AgentcoRun run() {
    FakeServerProcess server(sandbox_.root() / "server",
                             FakeServerProcess::Options{kReaderScript, "", false});
    EXPECT_TRUE(server.ok());
    return sandbox_.run(server.base_url(),
                        "write a cli inventory tool with " + std::to_string(GetParam()) + " files", {"-q"});
  }
  RunSandbox sandbox_;
};

// One test per size, so that CTest (one process per test) runs each project once.
TEST_P(ReadingModelRun, EndsWithPassingTestsAStartingProgramAndAnLbtmCaughtAndFixed) {
  const AgentcoRun r = run();
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  testing::expect_work_kept(r, "idle");
  EXPECT_EQ(r.meta["verdict"].value("decision", ""), "passed") << r.meta.dump(2);

  // The design's files, all written: main.py and N-1 modules.
  std::set<std::string> sources;
  for (const auto& entry : fs::directory_iterator(r.folder))
    if (entry.path().extension() == ".py") sources.insert(entry.path().filename().string());
  EXPECT_EQ(sources.size(), static_cast<std::size_t>(GetParam())) << r.meta.dump(2);
  ASSERT_TRUE(sources.count("main.py"));

  // Run as a user would, outside agentco: every test file, then the program.
  std::size_t test_files = 0;
  for (const auto& entry : fs::directory_iterator(r.folder / "tests")) {
    if (entry.path().extension() != ".py") continue;
    ++test_files;
    const auto result =
        python(r.folder, {"-m", "unittest", "-v", "tests/" + entry.path().filename().string()});
    EXPECT_EQ(result.exit_code, 0) << entry.path() << "\n" << result.err;
  }
  EXPECT_EQ(test_files, sources.size());
  const auto program = python(r.folder, {"main.py"});
  EXPECT_EQ(program.exit_code, 0) << program.err;
  EXPECT_NE(program.out.find("describe: "), std::string::npos) << program.out;

  // The review catches the missing method: a file first judged LBTM is LGTM in a later round.
  std::map<std::string, std::vector<std::string>> verdicts;
  for (const auto& review : r.of_type("review"))
    verdicts[review.value("file", "")].push_back(review.value("verdict", ""));
  int caught_and_fixed = 0;
  for (const auto& [file, list] : verdicts)
    if (list.size() >= 2 && list.front() == "LBTM" && list.back() == "LGTM") ++caught_and_fixed;
  EXPECT_GE(caught_and_fixed, 1) << json(verdicts).dump();
  // QA's first round fails on the slip, the engineer fixes it, the second round passes.
  bool fixed = false;
  for (const auto& start : r.of_type("action_start")) fixed = fixed || start.value("action", "") == "FixCode";
  EXPECT_TRUE(fixed) << "no FixCode ran";
  EXPECT_EQ(r.meta["verdict"].value("rounds", 0), 2) << r.meta.dump(2);

  // Every request is a step the model recognizes, and shows its file as last written.
  std::map<std::string, int> steps;
  for (const auto& request : r.of_type("llm_request")) {
    const auto step = testing::reading_step(messages_of(request));
    EXPECT_NE(step, "unknown") << testing::user_prompt(request);
    ++steps[step];
  }
  for (const char* step : {"prd", "design", "tasks", "code", "review", "rewrite", "summary", "manual",
                           "tests", "triage", "fix_code"})
    EXPECT_GE(steps[step], 1) << step << " never asked: " << json(steps).dump();
  EXPECT_EQ(steps["code"], GetParam());
  const auto checked = testing::expect_prompts_show_their_files(r);
  EXPECT_GE(checked.at("review"), GetParam());

  // Requests about one file show the design only as it concerns that file, so their size does
  // not grow with the project: at 24 files the whole design alone is over 5,000 bytes.
  for (const auto& request : r.of_type("llm_request")) {
    const json hints = request.value("hints", json::object());
    const std::string kind = hints.value("kind", "");
    if (kind != "code" && kind != "review" && kind != "test") continue;
    const std::string prompt = testing::user_prompt(request);
    const std::string file = hints.value("file", "");
    EXPECT_LT(prompt.size(), 7000u) << kind << " of " << file << ":\n" << prompt;
    if (GetParam() >= 12)
      EXPECT_TRUE(testing::has(prompt, "%% only what concerns " + file)) << kind << " of " << file << ":\n" << prompt;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, ReadingModelRun, ::testing::Values(3, 6, 12, 24),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param);
                         });

// ---- Prompts with a part missing: the reading model fails visibly ------------------------------

// The prompts of one real run, by step (the first of each), kept for the tests below.
class ReadingModelMissingContext : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RunSandbox box("reading_missing");
    FakeServerProcess server(box.root() / "server", FakeServerProcess::Options{kReaderScript, "", false});
    ASSERT_TRUE(server.ok());
    const auto r = box.run(server.base_url(), "write a cli inventory tool with 3 files", {"-q"});
    ASSERT_EQ(r.process.exit_code, 0) << r.describe();
    for (const auto& request : r.of_type("llm_request")) {
      const auto messages = messages_of(request);
      const auto step = testing::reading_step(messages);
      // For code, keep a module that imports another (its prompt shows a dependency).
      if (step == "code" &&
          testing::user_prompt(request).find("(none: this file imports") != std::string::npos)
        continue;
      if (!prompts().count(step)) prompts()[step] = messages;
    }
  }
  static std::map<std::string, std::vector<ChatMessage>>& prompts() {
    static std::map<std::string, std::vector<ChatMessage>> all;
    return all;
  }
  // The prompt of `step` with `from`..`to` (exclusive; to "" = the next "\n## ") cut out.
  static std::vector<ChatMessage> without(const std::string& step, const std::string& from,
                                          const std::string& to) {
    auto messages = prompts().at(step);
    auto& text = messages.back().content;
    const auto a = text.find(from);
    EXPECT_NE(a, std::string::npos) << from << " not in\n" << text;
    if (a == std::string::npos) return messages;
    auto b = text.find(to.empty() ? "\n## " : to, a + from.size());
    if (b == std::string::npos) b = text.size();
    text.erase(a, b - a);
    return messages;
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

TEST_F(ReadingModelMissingContext, EveryStepOfTheRunIsKept) {
  for (const char* step :
       {"prd", "design", "tasks", "code", "review", "summary", "manual", "tests", "triage", "fix_code"})
    EXPECT_TRUE(prompts().count(step)) << step;
}

TEST_F(ReadingModelMissingContext, AReviewShownEveryFileAsJsonInsteadOfItsOwnSaysLbtm) {
  // The bug this issue began with: the review showed a JSON dump of every file.
  auto messages = prompts().at("review");
  auto& text = messages.back().content;
  const auto at = text.find("## Code to review: ");
  ASSERT_NE(at, std::string::npos);
  const auto end = text.find("\n## Task", at);
  const auto heading_end = text.find('\n', at);
  text.replace(heading_end + 1, end - heading_end - 1,
               "{\"main.py\": \"import sys\", \"store.py\": \"class Store: ...\"}\n");
  const auto reply = testing::reading_reply(messages);
  EXPECT_TRUE(has(reply, "LBTM")) << reply;
  EXPECT_TRUE(has(reply, "does not show the Python code")) << reply;
  // The untouched prompt passes or names what the design gives and the code lacks.
  const auto original = testing::reading_reply(prompts().at("review"));
  EXPECT_TRUE(has(original, "## Code Review Result")) << original;
}

TEST_F(ReadingModelMissingContext, CodeWithoutTheDesignRaisesNotImplementedError) {
  const auto reply = testing::reading_reply(without("code", "## The system design", "## Your file"));
  EXPECT_TRUE(has(reply, "NotImplementedError")) << reply;
  EXPECT_TRUE(has(reply, "does not show")) << reply;
  const auto shown = testing::reading_reply(prompts().at("code"));
  EXPECT_FALSE(has(shown, "NotImplementedError")) << shown;
}

TEST_F(ReadingModelMissingContext, CodeNotShownTheFilesItUsesCannotUseThem) {
  // The class diagram stays, but neither the imported files nor the file list that says
  // where the classes it uses live: it cannot import them.
  auto messages = without("code", "#### File list", "#### Data structures");
  auto& text = messages.back().content;
  const auto deps = text.find("### The files it imports, as written");
  ASSERT_NE(deps, std::string::npos);
  text.erase(deps, text.find("\n## Task", deps) - deps);
  const auto reply = testing::reading_reply(messages);
  EXPECT_TRUE(has(reply, "NotImplementedError(\"reading model: the prompt does not show ")) << reply;
  EXPECT_FALSE(has(reply, "\nfrom ")) << "imports a file the prompt does not show:\n" << reply;
  EXPECT_TRUE(has(testing::reading_reply(prompts().at("code")), "\nfrom "))
      << "the full prompt shows an import";
}

TEST_F(ReadingModelMissingContext, TestsWithoutTheSourceFail) {
  auto messages = prompts().at("tests");
  auto& text = messages.back().content;
  const auto at = text.find("## Source file ");
  ASSERT_NE(at, std::string::npos);
  const auto fence = text.find("```", at);
  const auto fence_end = text.find("\n```", fence + 3);
  text.erase(fence, fence_end + 4 - fence);
  const auto reply = testing::reading_reply(messages);
  EXPECT_TRUE(has(reply, "self.fail(")) << reply;
}

TEST_F(ReadingModelMissingContext, TriageWithoutTheOutputGivesUpAndFixWithoutItChangesNothing) {
  const auto triage = testing::reading_reply(without("triage", "## What QA's run printed", ""));
  EXPECT_TRUE(has(triage, "give_up")) << triage;
  EXPECT_TRUE(has(testing::reading_reply(prompts().at("triage")), "fix_code"));

  // Without the output (and the design), the fix can only return the code it was shown.
  auto messages = without("fix_code", "## What QA's run printed", "## Task");
  auto& text = messages.back().content;
  text.erase(text.find("## The system design"), text.find("## Your file") - text.find("## The system design"));
  const auto fix = testing::reading_reply(messages);
  const auto current = text.substr(text.find("## Current code of"));
  EXPECT_TRUE(has(fix, "reslt")) << "repaired what the prompt does not show:\n" << fix;
  EXPECT_FALSE(has(testing::reading_reply(prompts().at("fix_code")), "reslt"));
  (void)current;
}

TEST_F(ReadingModelMissingContext, ThePrdWithoutTheRequirementSaysSo) {
  const auto reply = testing::reading_reply(without("prd", "### The user's requirement", "## Task"));
  EXPECT_TRUE(has(reply, "the prompt shows no requirement")) << reply;
}

TEST_F(ReadingModelMissingContext, TheInProcessProviderAnswersAsTheServerDoes) {
  testing::ReadingProvider provider;
  ChatRequest request;
  request.messages = prompts().at("review");
  request.hints = {{"kind", "code"}, {"file", "nothing.py"}};  // hints are never read
  std::optional<Result<ChatResult>> result;
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { result = co_await provider.chat(request); },
      boost::asio::detached);
  io.run();
  ASSERT_TRUE(result && *result);
  EXPECT_EQ((*result)->text, testing::reading_reply(prompts().at("review")));
  EXPECT_EQ(provider.calls(), 1u);
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
