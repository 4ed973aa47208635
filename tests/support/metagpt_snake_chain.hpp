// MetaGPT's snake run as a fake-server script: the real model replies of rsp_cache.json
// entries 200-212 (PRD, design, task list, game.py, two review/rewrite rounds, main.py, two
// more), in MetaGPT's order, and plain replies for what that run did not produce (QA's tests,
// the manual, the code summary, the last reviews). Used by tests/snake_fixture_test.cpp and
// bench/prompt_bench.cpp; the server needs the cache as its fixtures file, and the run
// `run.code_review_rounds: 3`.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace agentco::testing {

// The chain's entries in rsp_cache.json (file order, 0-based); their keys are MetaGPT's own
// prompts for the same steps.
inline constexpr int kSnakeChainFirst = 200;
inline constexpr int kSnakeChainLast = 212;

namespace snake_detail {
using json = nlohmann::json;
inline json fixture_rule(const json& match, int index, int times = 0) {
  json r = {{"match", match}, {"reply_fixture", index}};
  if (times > 0) r["times"] = times;
  return r;
}

inline json plain_rule(const json& match, const std::string& reply) {
  return {{"match", match}, {"reply", reply}};
}

inline constexpr const char* kTestGame =
    "```python\nimport unittest\n\nfrom game import Game, Snake\n\n\nclass TestGame(unittest.TestCase):\n"
    "    def test_a_new_game_has_no_score(self):\n        self.assertEqual(Game().score, 0)\n\n"
    "    def test_a_snake_keeps_its_direction(self):\n        self.assertEqual(Snake((0, 0), 1, "
    "'up').direction, 'up')\n\n\n"
    "if __name__ == '__main__':\n    unittest.main()\n```";
inline constexpr const char* kTestMain =
    "```python\nimport unittest\n\nimport main\n\n\nclass TestMain(unittest.TestCase):\n"
    "    def test_main_is_callable(self):\n        self.assertTrue(callable(main.main))\n\n\n"
    "if __name__ == '__main__':\n    unittest.main()\n```";

}  // namespace snake_detail

// MetaGPT's chain for each file: write, review (LBTM), rewrite, review (LBTM), rewrite; our
// third review (run.code_review_rounds: 3) finds nothing more.
inline std::string snake_script() {
  using namespace snake_detail;
  json rules = json::array();
  rules.push_back(fixture_rule({{"action", "WritePRD"}}, 200));
  rules.push_back(fixture_rule({{"action", "WriteDesign"}}, 201));
  rules.push_back(fixture_rule({{"action", "WriteTasks"}}, 202));
  rules.push_back(fixture_rule({{"regex", "Write the complete code of game\\.py"}}, 203));
  rules.push_back(fixture_rule({{"regex", "Review game\\.py"}}, 204, 1));
  rules.push_back(fixture_rule({{"regex", "Rewrite game\\.py"}}, 205, 1));
  rules.push_back(fixture_rule({{"regex", "Review game\\.py"}}, 206, 1));
  rules.push_back(fixture_rule({{"regex", "Rewrite game\\.py"}}, 207, 1));
  rules.push_back(fixture_rule({{"regex", "Write the complete code of main\\.py"}}, 208));
  rules.push_back(fixture_rule({{"regex", "Review main\\.py"}}, 209, 1));
  rules.push_back(fixture_rule({{"regex", "Rewrite main\\.py"}}, 210, 1));
  rules.push_back(fixture_rule({{"regex", "Review main\\.py"}}, 211, 1));
  rules.push_back(fixture_rule({{"regex", "Rewrite main\\.py"}}, 212, 1));
  // What the fixture cannot answer.
  rules.push_back(plain_rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  rules.push_back(plain_rule(
      {{"action", "WriteManual"}},
      "# cli_snake_game\n\nA snake game for the terminal.\n\n## Run\n\n```sh\npython3 main.py\n```\n"));
  rules.push_back(
      plain_rule({{"regex", "Summarize the project"}},
                 "[CONTENT]\n{\"Summary\": \"game.py holds Game and Snake; main.py runs the loop.\", "
                 "\"TODOs\": []}\n[/CONTENT]"));
  rules.push_back(plain_rule({{"regex", "Write tests/test_game\\.py"}}, kTestGame));
  rules.push_back(plain_rule({{"regex", "Write tests/test_main\\.py"}}, kTestMain));
  rules.push_back(
      plain_rule({{"regex", "Decide what to do about the failures"}},
                 "[CONTENT]\n{\"Decision\": \"give_up\", \"File\": \"\", \"Reason\": \"the fixture's "
                 "code is a skeleton\"}\n[/CONTENT]"));
  return json{{"rules", rules}}.dump();
}

}  // namespace agentco::testing
