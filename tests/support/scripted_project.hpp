// Scripted Python projects of 3, 6 and 12 files with a known dependency graph, and the
// fake-llm-server script that answers every model call of a whole software_company run on
// them (PRD, design, tasks, code, LGTM reviews, summary, manual, tests, a give-up triage).
// Used by schedule-bench, replay-bench and tests/replay_fake_server_test.cpp.
//
// Files whose dependencies are written are coded concurrently: the 3-file project has two
// independent leaves, the 6-file one two leaves and then two files on them, the 12-file one
// four leaves, four mids, two uppers, app and main. Every module defines value_<stem>()
// returning one plus what it imports; each has a unittest that passes.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco::testing {

struct ScriptedFile {
  std::string stem;               // <stem>.py
  std::vector<std::string> deps;  // stems it imports
};

// The project of `size` files (3, 6 or 12; smaller sizes round up to the next of these).
inline std::vector<ScriptedFile> scripted_project(int size) {
  if (size <= 3) return {{"alpha", {}}, {"beta", {}}, {"main", {"alpha", "beta"}}};
  if (size <= 6) {
    return {{"utils", {}},
            {"config", {}},
            {"model", {"utils", "config"}},
            {"view", {"utils"}},
            {"controller", {"model", "view"}},
            {"main", {"controller"}}};
  }
  return {{"leaf1", {}},           {"leaf2", {}},           {"leaf3", {}},           {"leaf4", {}},
          {"mid1", {"leaf1", "leaf2"}}, {"mid2", {"leaf2", "leaf3"}}, {"mid3", {"leaf3", "leaf4"}},
          {"mid4", {"leaf1", "leaf4"}}, {"upper1", {"mid1", "mid2"}}, {"upper2", {"mid3", "mid4"}},
          {"app", {"upper1", "upper2"}}, {"main", {"app"}}};
}

inline std::string scripted_fenced(const std::string& code) { return "```python\n" + code + "```"; }
inline std::string scripted_content(const nlohmann::json& j) { return "[CONTENT]\n" + j.dump(2) + "\n[/CONTENT]"; }
inline nlohmann::json scripted_rule(const nlohmann::json& match, const std::string& reply) {
  return {{"match", match}, {"reply", reply}};
}

inline std::string scripted_module_code(const ScriptedFile& f) {
  std::string code = "\"\"\"" + f.stem + ": one module of the scripted project.\"\"\"\n";
  for (const auto& d : f.deps) code += "from " + d + " import value_" + d + "\n";
  code += "\n\ndef value_" + f.stem + "():\n    \"\"\"Return this module's value: one plus its imports' values.\"\"\"\n";
  code += "    total = 1\n";
  for (const auto& d : f.deps) code += "    total += value_" + d + "()\n";
  code += "    return total\n";
  if (f.stem == "main") code += "\n\nif __name__ == \"__main__\":\n    print(value_main())\n";
  return code;
}

inline std::string scripted_test_code(const ScriptedFile& f) {
  return "import unittest\n\nfrom " + f.stem + " import value_" + f.stem + "\n\n\nclass Test" + f.stem +
         "(unittest.TestCase):\n    def test_value_is_positive(self):\n        self.assertGreater(value_" + f.stem +
         "(), 0)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
}

struct ScriptOptions {
  double ttft_ms = 0;            // latency of every reply: time to first token ...
  double tokens_per_second = 0;  // ... and streaming speed (0 and 0: no latency)
  // Rules put before the project's own (so they win while they last), e.g. a fault with `times: 1`.
  nlohmann::json first_rules = nlohmann::json::array();
  // Per file stem, a latency of its own for its code call ({first_token_ms, tokens_per_second}).
  std::map<std::string, nlohmann::json> code_latency;
};

// The fake-llm-server script (as JSON, which its YAML reader accepts) for a run on `files`.
inline nlohmann::json scripted_project_script(const std::vector<ScriptedFile>& files, const ScriptOptions& options = {}) {
  using json = nlohmann::json;
  std::vector<std::string> names;
  json logic = json::array();
  for (const auto& f : files) {
    names.push_back(f.stem + ".py");
    std::string text = "Defines value_" + f.stem + "() returning one plus the values it imports.";
    if (f.deps.empty()) text += " Imports nothing of the project.";
    for (const auto& d : f.deps) text += " Imports from " + d + ".py.";
    logic.push_back(json::array({f.stem + ".py", text}));
  }
  json prd = {{"Language", "en_us"},
              {"Programming Language", "Python"},
              {"Original Requirements", "a scripted project"},
              {"Project Name", "bench_project"},
              {"Product Goals", {"Compute a value from modules"}},
              {"User Stories", {"As a user, I want the program to print a value"}},
              {"Competitive Analysis", {"none: a bench"}},
              {"Competitive Quadrant Chart",
               "quadrantChart\n    title Bench\n    x-axis Low --> High\n    y-axis Low --> High\n    quadrant-1 A\n"
               "    quadrant-2 B\n    quadrant-3 C\n    quadrant-4 D\n    Ours: [0.5, 0.6]"},
              {"Requirement Analysis", "Modules add their imports' values."},
              {"Requirement Pool", json::array({json::array({"P0", "main prints the value"})})},
              {"UI Design draft", "Command line."},
              {"Anything UNCLEAR", ""}};
  json design = {{"Implementation approach", "Plain Python modules, one function each."},
                 {"File list", names},
                 {"Data structures and interfaces", "classDiagram\n    class Main {\n        +value_main() int\n    }"},
                 {"Program call flow", "sequenceDiagram\n    participant M as main\n    M->>M: value_main()"},
                 {"Anything UNCLEAR", ""}};
  json tasks = {{"Required packages", json::array()},
                {"Required Other language third-party packages", json::array()},
                {"Logic Analysis", logic},
                {"Task list", names},
                {"Full API spec", ""},
                {"Shared Knowledge", ""},
                {"Anything UNCLEAR", ""}};
  json rules = json::array();
  for (const auto& r : options.first_rules) rules.push_back(r);
  rules.push_back(scripted_rule({{"action", "WritePRD"}}, scripted_content(prd)));
  rules.push_back(scripted_rule({{"action", "WriteDesign"}}, scripted_content(design)));
  rules.push_back(scripted_rule({{"action", "WriteTasks"}}, scripted_content(tasks)));
  rules.push_back(scripted_rule({{"action", "WriteManual"}}, "# bench_project\n\nRun `python3 main.py`.\n"));
  rules.push_back(scripted_rule({{"regex", "Summarize the project"}},
                                scripted_content({{"Summary", "Each module adds its imports' values."},
                                                  {"TODOs", json::array()}})));
  rules.push_back(scripted_rule({{"regex", "Decide what to do about the failures"}},
                                scripted_content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "unexpected"}})));
  rules.push_back(scripted_rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  for (const auto& f : files) {
    rules.push_back(
        scripted_rule({{"regex", "Write tests/test_" + f.stem + "\\.py"}}, scripted_fenced(scripted_test_code(f))));
    json code = scripted_rule({{"regex", "(Write the complete code of|Rewrite) " + f.stem + "\\.py"}},
                              scripted_fenced(scripted_module_code(f)));
    if (auto it = options.code_latency.find(f.stem); it != options.code_latency.end()) code["latency"] = it->second;
    rules.push_back(code);
  }
  json script = {{"models", {"fake-model"}}, {"rules", rules}};
  if (options.ttft_ms > 0 || options.tokens_per_second > 0)
    script["latency"] = {{"first_token_ms", options.ttft_ms}, {"tokens_per_second", options.tokens_per_second}};
  return script;
}

}  // namespace agentco::testing
