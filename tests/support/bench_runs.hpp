// What the bench's end-to-end tests share: a fast config for runs against the fake server,
// a script that answers a tiny two-file Python project for any idea, and results.csv read
// back as one map per row. Used by the local bench's tests and the cluster's.
#pragma once
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fake_llm_server_runs.hpp"

namespace agentco::testing {

namespace bench_fs = std::filesystem;

inline constexpr const char* kFastConfig =
    "llm:\n"
    "  timeout_connect_s: 2\n"
    "  timeout_first_byte_s: 2\n"
    "  timeout_idle_s: 2\n"
    "  timeout_total_s: 30\n"
    "  max_retries: 1\n"
    "  retry_base_s: 0.05\n"
    "  retry_max_s: 0.1\n"
    "run:\n"
    "  code_review_rounds: 1\n"
    "  test_rounds: 1\n";

inline std::string content(const nlohmann::json& j) { return "[CONTENT]\n" + j.dump(2) + "\n[/CONTENT]"; }
inline std::string fenced(const std::string& code) { return "```python\n" + code + "```"; }
inline nlohmann::json rule(const nlohmann::json& match, const std::string& reply) {
  return {{"match", match}, {"reply", reply}};
}

// A tiny two-file project for any idea (as in tests/fault_matrix_test.cpp), after `first`.
inline std::string tiny_project_script(const nlohmann::json& first, const nlohmann::json& latency = nullptr) {
  using json = nlohmann::json;
  const json prd = {
      {"Language", "en_us"},
      {"Programming Language", "Python"},
      {"Original Requirements", "add two numbers"},
      {"Project Name", "tiny_calc"},
      {"Product Goals", {"Add two numbers"}},
      {"User Stories", {"As a user, I want to add two numbers"}},
      {"Competitive Analysis", {"bc: a shell calculator"}},
      {"Competitive Quadrant Chart",
       "quadrantChart\n    title Calculators\n    x-axis Low --> High\n    y-axis Low --> High\n"
       "    quadrant-1 A\n    quadrant-2 B\n    quadrant-3 C\n    quadrant-4 D\n    bc: [0.3, 0.6]"},
      {"Requirement Analysis", "One function."},
      {"Requirement Pool", json::array({json::array({"P0", "add(a, b)"})})},
      {"UI Design draft", "Command line."},
      {"Anything UNCLEAR", ""}};
  const json design = {
      {"Implementation approach", "Plain Python."},
      {"File list", {"main.py", "calc.py"}},
      {"Data structures and interfaces",
       "classDiagram\n    class Calc {\n        +add(a: int, b: int) int\n    }"},
      {"Program call flow",
       "sequenceDiagram\n    participant M as Main\n    participant C as Calc\n    M->>C: add(2, 3)"},
      {"Anything UNCLEAR", ""}};
  const json tasks = {
      {"Required packages", json::array()},
      {"Required Other language third-party packages", json::array()},
      {"Logic Analysis", json::array({json::array({"calc.py", "Contains add(a, b)."}),
                                      json::array({"main.py", "Imports add from calc.py."})})},
      {"Task list", {"calc.py", "main.py"}},
      {"Full API spec", ""},
      {"Shared Knowledge", ""},
      {"Anything UNCLEAR", ""}};
  const std::string calc = "def add(a, b):\n    return a + b\n";
  const std::string main_py = "from calc import add\n\nif __name__ == \"__main__\":\n    print(add(2, 3))\n";
  const std::string test =
      "import unittest\n\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
      "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n";
  json rules = json::array();
  if (!first.is_null()) rules.push_back(first);
  rules.push_back(rule({{"action", "WritePRD"}}, content(prd)));
  rules.push_back(rule({{"action", "WriteDesign"}}, content(design)));
  rules.push_back(rule({{"action", "WriteTasks"}}, content(tasks)));
  rules.push_back(rule({{"action", "WriteManual"}}, "# tiny_calc\n\nRun `python3 main.py`.\n"));
  rules.push_back(rule({{"regex", "Decide what to do about the failures"}},
                       content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "unexpected"}})));
  rules.push_back(rule({{"regex", "Summarize the project"}},
                       content({{"Summary", "calc.py adds."}, {"TODOs", json::array()}})));
  rules.push_back(rule({{"regex", "Write tests/test_\\w+\\.py"}}, fenced(test)));
  rules.push_back(rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) calc\\.py"}}, fenced(calc)));
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) main\\.py"}}, fenced(main_py)));
  json script = {{"models", {"fake-model"}}, {"rules", rules}};
  if (!latency.is_null()) script["latency"] = latency;
  return script.dump();
}

inline std::vector<std::vector<std::string>> csv_rows(const bench_fs::path& file) {
  // Our results have no newlines inside fields except in ideas; the tests' ideas have none.
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(file));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        fields.push_back(std::exchange(field, {}));
      else
        field.push_back(c);
    }
    fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

inline std::map<std::string, std::string> as_map(const std::vector<std::string>& header,
                                                 const std::vector<std::string>& row) {
  std::map<std::string, std::string> m;
  for (std::size_t i = 0; i < header.size() && i < row.size(); ++i) m[header[i]] = row[i];
  return m;
}

inline std::vector<std::map<std::string, std::string>> results_of(const bench_fs::path& folder) {
  auto rows = csv_rows(folder / "results.csv");
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t i = 1; i < rows.size(); ++i) out.push_back(as_map(rows[0], rows[i]));
  return out;
}

}  // namespace agentco::testing
