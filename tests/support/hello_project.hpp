// A one-file "hello" project as a fake model server hands it out: its PRD, design and task
// list, and hello_rules(), a fake-llm-server rule list that answers every call of the
// software_company SOP for it (matched by action or prompt, whatever the model).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace agentco::testing {

inline nlohmann::json hello_tasks() {
  using nlohmann::json;
  return {{"Required packages", json::array()},
          {"Required Other language third-party packages", json::array()},
          {"Logic Analysis", json::array({json::array({"main.py", "Prints hello."})})},
          {"Task list", {"main.py"}},
          {"Full API spec", ""},
          {"Shared Knowledge", ""},
          {"Anything UNCLEAR", ""}};
}

inline nlohmann::json hello_design() {
  return {{"Implementation approach", "Plain Python."},
          {"File list", {"main.py"}},
          {"Data structures and interfaces", "classDiagram\n    class Main"},
          {"Program call flow", "sequenceDiagram\n    participant M as Main"},
          {"Anything UNCLEAR", ""}};
}

inline nlohmann::json hello_prd() {
  using nlohmann::json;
  return {{"Language", "en_us"},
          {"Programming Language", "Python"},
          {"Original Requirements", "hi"},
          {"Project Name", "hello"},
          {"Product Goals", {"greet"}},
          {"User Stories", {"As a user, I am greeted"}},
          {"Competitive Analysis", {"echo"}},
          {"Competitive Quadrant Chart", "quadrantChart\n    title Greeters\n    echo: [0.3, 0.6]"},
          {"Requirement Analysis", ""},
          {"Requirement Pool", json::array({json::array({"P0", "greet"})})},
          {"UI Design draft", ""},
          {"Anything UNCLEAR", ""}};
}

inline nlohmann::json hello_rules() {
  using nlohmann::json;
  auto content = [](const json& j) { return "[CONTENT]\n" + j.dump() + "\n[/CONTENT]"; };
  auto rule = [](const json& match, const std::string& reply) {
    return json{{"match", match}, {"reply", reply}};
  };
  return json::array({
      rule({{"action", "WritePRD"}}, content(hello_prd())),
      rule({{"action", "WriteDesign"}}, content(hello_design())),
      rule({{"action", "WriteTasks"}}, content(hello_tasks())),
      rule({{"action", "WriteManual"}}, "# hello\n"),
      rule({{"regex", "Decide what to do"}},
           content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "-"}})),
      rule({{"regex", "Summarize the project"}},
           content({{"Summary", "prints hello"}, {"TODOs", json::array()}})),
      rule({{"regex", "Review main\\.py"}}, "## Code Review Result\nLGTM"),
      rule({{"action", "WriteCode"}}, "```python\nprint('hello')\n```"),
      rule({{"action", "WriteTest"}},
           "```python\nimport unittest\n\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n"
           "        self.assertTrue(True)\n```"),
  });
}

}  // namespace agentco::testing
