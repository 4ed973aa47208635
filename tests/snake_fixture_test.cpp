// The MetaGPT snake run, replayed through our pipeline: `agentco run "write a cli snake
// game" --llm-base-url http://127.0.0.1:PORT/v1` against the fake-llm-server program
// scripted with the real model replies of MetaGPT's cache (rsp_cache.json entries 200-212:
// PRD, design, task list, game.py, two review/rewrite rounds, main.py, two more). The run
// must turn that real output into the same PRD, design, task list and code in the
// warehouse. What MetaGPT's run did not produce (QA's tests, the manual, the code summary,
// the last reviews) is answered with plain scripted replies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/metagpt_snake_chain.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

// The replies of rsp_cache.json in file order (the fake server indexes them the same way).
std::vector<std::string> cached_replies(const fs::path& file) {
  std::vector<std::string> out;
  auto table = nlohmann::ordered_json::parse(testing::slurp(file), nullptr, false);
  if (!table.is_object()) return out;
  for (const auto& [prompt, reply] : table.items()) out.push_back(reply.is_string() ? reply.get<std::string>() : reply.dump());
  return out;
}

// The JSON between [CONTENT] and [/CONTENT].
json content_of(const std::string& reply) {
  const auto open = reply.find("[CONTENT]");
  const auto close = reply.rfind("[/CONTENT]");
  if (open == std::string::npos || close == std::string::npos) return json();
  return json::parse(reply.substr(open + 9, close - open - 9), nullptr, false);
}

// The body of the reply's fenced block (```python or ```Code), with a final newline.
std::string fenced_body(const std::string& reply) {
  const auto open = reply.find("```");
  const auto start = reply.find('\n', open);
  const auto close = reply.rfind("```");
  if (open == std::string::npos || start == std::string::npos || close <= start) return {};
  std::string body = reply.substr(start + 1, close - start - 1);
  if (!body.empty() && body.back() != '\n') body += '\n';
  return body;
}

using testing::snake_script;

TEST(SnakeFixture, TheRealMetaGptRepliesBecomeThePrdDesignTasksAndCodeInTheWarehouse) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  const fs::path cache = fixtures / "metagpt" / "rsp_cache.json";
  ASSERT_TRUE(fs::is_regular_file(cache));
  const auto replies = cached_replies(cache);
  ASSERT_GT(replies.size(), 212u);

  RunSandbox sandbox("snake");
  testing::spill(sandbox.file("snake.yaml"), "run:\n  code_review_rounds: 3\n  test_rounds: 1\n");
  FakeServerProcess server(sandbox.root() / "server", {snake_script(), cache.string(), false});
  ASSERT_TRUE(server.ok());
  const std::vector<std::string> args = {"run",          "--no-user-config",  "--warehouse",
                                         sandbox.warehouse().string(), "--config", sandbox.file("snake.yaml").string(),
                                         "write a cli snake game",     "--llm-base-url", server.base_url()};
  AgentcoRun run = sandbox.collect(testing::run_process(sandbox.options(args, {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");
  EXPECT_TRUE(run.folder.filename().string().starts_with("cli_snake_game_")) << run.folder;

  // The three documents are the fixture's JSON, field by field.
  const std::pair<const char*, int> documents[] = {
      {"docs/prd.json", 200}, {"docs/system_design.json", 201}, {"docs/tasks.json", 202}};
  for (const auto& [path, index] : documents) {
    const json expected = content_of(replies[static_cast<std::size_t>(index)]);
    ASSERT_TRUE(expected.is_object()) << index;
    const json written = json::parse(testing::slurp(run.folder / path), nullptr, false);
    ASSERT_TRUE(written.is_object()) << path;
    for (const auto& [key, value] : expected.items()) EXPECT_EQ(written.value(key, json()), value) << path << ": " << key;
    EXPECT_TRUE(fs::is_regular_file(fs::path(run.folder / path).replace_extension(".md"))) << path;
  }

  // The code is what MetaGPT's last rewrite of each file said.
  EXPECT_EQ(testing::slurp(run.folder / "game.py"), fenced_body(replies[207]));
  EXPECT_EQ(testing::slurp(run.folder / "main.py"), fenced_body(replies[212]));
  EXPECT_NE(testing::slurp(run.folder / "game.py").find("self.body = [start_pos]"), std::string::npos);

  // Each fixture reply was asked for exactly once, in MetaGPT's order.
  std::vector<int> order;
  for (const auto& entry : server.requests())
    if (entry.value("target", "") == "/v1/chat/completions" && entry.value("rule_index", -1) <= 12)
      order.push_back(entry.value("rule_index", -1));
  std::vector<int> game, main_py;
  for (int i : order) (i >= 3 && i <= 7 ? game : main_py).push_back(i);
  EXPECT_EQ(game, (std::vector<int>{3, 4, 5, 6, 7}));
  EXPECT_EQ(main_py, (std::vector<int>{0, 1, 2, 8, 9, 10, 11, 12}));

  // The reviews say LBTM twice for each file, then LGTM; each rewrite is its own commit.
  std::map<std::string, std::vector<std::string>> verdicts;
  for (const auto& r : run.of_type("review")) verdicts[r.value("file", "")].push_back(r.value("verdict", ""));
  const std::vector<std::string> expected_verdicts = {"LBTM", "LBTM", "LGTM"};
  EXPECT_EQ(verdicts["game.py"], expected_verdicts);
  EXPECT_EQ(verdicts["main.py"], expected_verdicts);
  int rewrites = 0;
  for (const auto& r : run.of_type("commit"))
    rewrites += r.value("message", "").starts_with("RewriteCode: ");
  EXPECT_EQ(rewrites, 4);
  EXPECT_EQ(run.meta["outcome"].value("status", ""), "finished");
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
