// run.file_design through the real binary and the reading model (fake-llm-server `read: true`):
// which design the prompts about one file show, chosen by the config or, with "auto", by the
// model's price of cached prompt tokens, said once in the trace; both ways the project passes
// QA, and the whole design is the same prefix of every file's prompt; in a small context
// window the whole design is the first thing a file's prompt gives up.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/prompt_checks.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::has;
using testing::RunSandbox;

class FileDesignRun : public ::testing::Test {
 protected:
  FileDesignRun() : sandbox_("file_design") {}

  // A 12-file project for `model`, with run.file_design given through the environment.
  AgentcoRun run(const std::string& model, const std::string& file_design, std::vector<std::string> env = {}) {
    if (!server_) {
      server_ = std::make_unique<FakeServerProcess>(sandbox_.root() / "server",
                                                    FakeServerProcess::Options{"rules:\n  - read: true\n", "", false});
      EXPECT_TRUE(server_->ok());
    }
    const std::vector<std::string> args = {"run",     "--no-user-config", "--warehouse", sandbox_.warehouse().string(),
                                           "--llm-base-url", server_->base_url(), "--model", model, "-q",
                                           "write a cli inventory tool with 12 files"};
    if (!file_design.empty()) env.push_back("AGENTCO_RUN_FILE_DESIGN=" + file_design);
    return sandbox_.collect(testing::run_process(sandbox_.options(args, env)));
  }

  // The requests about one file (code, review, rewrite, tests, fix).
  static std::vector<json> file_requests(const AgentcoRun& run) {
    std::vector<json> out;
    for (const auto& r : run.of_type("llm_request")) {
      const std::string kind = r.value("hints", json::object()).value("kind", "");
      if (kind == "code" || kind == "review" || kind == "rewrite" || kind == "test" || kind == "fix") out.push_back(r);
    }
    return out;
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(FileDesignRun, AutoShowsTheWholeDesignWhereCachedTokensCostAQuarterAndTheExcerptWhereTheyCostHalf) {
  // deepseek-chat: cached prompt tokens at 26% of the prompt price.
  const AgentcoRun whole = run("deepseek-chat", "");
  ASSERT_EQ(whole.process.exit_code, 0) << whole.describe();
  EXPECT_EQ(whole.meta["verdict"].value("decision", ""), "passed") << whole.meta.dump(2);
  auto said = whole.of_type("file_design");
  ASSERT_EQ(said.size(), 1u) << "said once per model";
  EXPECT_EQ(said[0].value("design", ""), "whole");
  EXPECT_TRUE(has(said[0].value("why", ""), "pricing.deepseek-chat prices cached prompt tokens at 26%"))
      << said[0].dump();
  std::string design_part;
  for (const auto& r : file_requests(whole)) {
    const std::string prompt = testing::user_prompt(r);
    EXPECT_FALSE(has(prompt, "%% only what concerns")) << prompt;
    // Every file's prompt shows the same whole design: the class diagram of all twelve files.
    const auto at = prompt.find("## The system design\n");
    ASSERT_NE(at, std::string::npos) << prompt;
    const std::string design = prompt.substr(at, prompt.find("\n## ", at + 1) - at);
    if (design_part.empty()) design_part = design;
    EXPECT_EQ(design, design_part);
  }
  EXPECT_GE(std::count(design_part.begin(), design_part.end(), '{'), 11) << design_part;

  // gpt-4o-mini: cached prompt tokens at half price.
  const AgentcoRun excerpt = run("gpt-4o-mini", "");
  ASSERT_EQ(excerpt.process.exit_code, 0) << excerpt.describe();
  EXPECT_EQ(excerpt.meta["verdict"].value("decision", ""), "passed") << excerpt.meta.dump(2);
  said = excerpt.of_type("file_design");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].value("design", ""), "excerpt");
  EXPECT_TRUE(has(said[0].value("why", ""), "pricing.gpt-4o-mini prices cached prompt tokens at 50%")) << said[0].dump();
  for (const auto& r : file_requests(excerpt)) {
    const std::string file = r["hints"].value("file", "");
    EXPECT_TRUE(has(testing::user_prompt(r), "%% only what concerns " + file)) << testing::user_prompt(r);
  }
}

TEST_F(FileDesignRun, TheConfigWinsOverThePriceAndAnUnpricedModelGetsTheExcerpt) {
  const AgentcoRun whole = run("fake-model", "whole");
  ASSERT_EQ(whole.process.exit_code, 0) << whole.describe();
  EXPECT_EQ(whole.meta["verdict"].value("decision", ""), "passed") << whole.meta.dump(2);
  ASSERT_EQ(whole.of_type("file_design").size(), 1u);
  EXPECT_EQ(whole.of_type("file_design")[0].value("why", ""), "run.file_design: whole");
  for (const auto& r : file_requests(whole)) EXPECT_FALSE(has(testing::user_prompt(r), "%% only what concerns"));

  const AgentcoRun unpriced = run("fake-model", "");
  ASSERT_EQ(unpriced.process.exit_code, 0) << unpriced.describe();
  ASSERT_EQ(unpriced.of_type("file_design").size(), 1u);
  EXPECT_EQ(unpriced.of_type("file_design")[0].value("design", ""), "excerpt");
  EXPECT_TRUE(has(unpriced.of_type("file_design")[0].value("why", ""), "model 'fake-model' has no pricing: entry"));

  // A value that is no mode stops before any call, naming the key.
  const AgentcoRun wrong = run("fake-model", "partial");
  EXPECT_EQ(wrong.process.exit_code, 2) << wrong.describe();
  EXPECT_TRUE(has(wrong.process.err, "run.file_design")) << wrong.process.err;
  EXPECT_TRUE(has(wrong.process.err, "must be one of auto|excerpt|whole")) << wrong.process.err;
}

TEST_F(FileDesignRun, InASmallWindowAFilesPromptGivesUpTheWholeDesignFirst) {
  const AgentcoRun run = this->run("fake-model", "whole", {"AGENTCO_LLM_CONTEXT_WINDOW=3600"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(run.meta["verdict"].value("decision", ""), "passed") << run.meta.dump(2);
  int design_drops = 0;
  for (const auto& drop : run.of_type("context_drop")) {
    if (drop.value("dropped", "") != "design: whole -> as it concerns the file") continue;
    ++design_drops;
    EXPECT_LT(drop.value("tokens_after", 0L), drop.value("tokens_before", 0L)) << drop.dump();
  }
  EXPECT_GE(design_drops, 1) << "the whole design of twelve files does not fit 3,600 tokens in every file's prompt";
  bool excerpt_sent = false;
  for (const auto& r : file_requests(run)) excerpt_sent = excerpt_sent || has(testing::user_prompt(r), "%% only what concerns");
  EXPECT_TRUE(excerpt_sent);
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
