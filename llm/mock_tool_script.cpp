#include "llm/mock_tool_script.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace agentco {
namespace {

using json = nlohmann::json;

constexpr const char* kSlip = "        result -= number\n";
constexpr const char* kFixed = "        result += number\n";

std::string python_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n' || c == '\r') c = ' ';
    out += c;
  }
  return out;
}

std::string main_py(const std::string& idea) {
  return "\"\"\"" + python_literal(idea) +
         ": written by agentco's MOCK model provider with tools (offline, deterministic; not a real "
         "implementation).\"\"\"\nimport sys\n\nREQUIREMENT = \"" + python_literal(idea) +
         "\"\n\n\ndef total(numbers):\n    \"\"\"The sum of the numbers.\"\"\"\n    result = 0\n    for number in numbers:\n" +
         kSlip + "    return result\n\n\ndef main(argv=None):\n    args = sys.argv[1:] if argv is None else argv\n"
         "    numbers = [int(arg) for arg in args] or [1, 2, 3]\n    print(f\"mock project for: {REQUIREMENT}\")\n"
         "    print(f\"total of {numbers}: {total(numbers)}\")\n    return 0\n\n\nif __name__ == \"__main__\":\n"
         "    sys.exit(main())\n";
}

const char* kTestPy =
    "\"\"\"Tests of main.py: written by agentco's MOCK model provider with tools.\"\"\"\nimport unittest\n\n"
    "import main\n\n\nclass TestTotal(unittest.TestCase):\n    def test_total_adds_the_numbers(self):\n"
    "        self.assertEqual(main.total([2, 3]), 5)\n\n    def test_main_prints_the_total(self):\n"
    "        self.assertEqual(main.main([\"4\"]), 0)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";

ToolCall call(std::string id, std::string name, const json& arguments) {
  return ToolCall{std::move(id), std::move(name), arguments.dump()};
}

bool offered(const ChatRequest& request, const std::string& name) {
  return std::any_of(request.tools.begin(), request.tools.end(), [&](const ToolSpec& t) { return t.name == name; });
}

// What the run tool's result says the command printed on stdout.
std::string printed(const std::string& result) {
  const std::string open = "--- stdout\n";
  auto at = result.find(open);
  if (at == std::string::npos) return "";
  at += open.size();
  auto end = result.find("--- stderr", at);
  std::string out = result.substr(at, end == std::string::npos ? std::string::npos : end - at);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

MockToolTurn mock_tool_turn(const ChatRequest& request) {
  for (const char* needed : {"list_files", "read_file", "write_file", "edit_file", "run"})
    if (!offered(request, needed))
      return {"Mock: this tool loop needs the built-in tools list_files, read_file, write_file, edit_file and run; "
              "the role was not given them, so there is nothing the mock can do.",
              {}};
  const std::string idea = request.hints.value("idea", std::string());
  // The latest step: the ids of the calls last asked for, and the results they got.
  std::string last;
  std::string result;
  int test_runs = 0;
  for (const ChatMessage& message : request.messages) {
    if (message.role == "assistant" && !message.tool_calls.empty()) {
      last = message.tool_calls.front().id;
      for (const ToolCall& c : message.tool_calls)
        if (c.id.starts_with("call_test")) ++test_runs;
    }
    if (message.role == "tool" && message.tool_call_id == last) result = message.content;
  }
  if (last.empty()) return {"Mock: first, what is in the folder.", {call("call_list", "list_files", {{"path", "."}})}};
  if (last == "call_list")
    return {"Mock: writing the program and its tests.",
            {call("call_write_main", "write_file", {{"path", "main.py"}, {"content", main_py(idea)}}),
             call("call_write_test", "write_file", {{"path", "test_main.py"}, {"content", kTestPy}})}};
  if (last == "call_write_main" || last == "call_fix")
    return {"Mock: running the tests.",
            {call("call_test_" + std::to_string(test_runs + 1), "run", {{"command", "python3 -m unittest -q"}})}};
  if (last.starts_with("call_test")) {
    if (result.starts_with("exit code 0"))
      return {"Mock: the tests pass; running the program.", {call("call_program", "run", {{"command", "python3 main.py 2 3"}})}};
    if (test_runs == 1)
      return {"Mock: a test fails; reading main.py.", {call("call_read", "read_file", {{"path", "main.py"}})}};
    return {"Mock: the tests still fail after one fix; stopping here. The last output:\n" + result, {}};
  }
  if (last == "call_read") {
    if (result.find("result -= number") == std::string::npos)
      return {"Mock: main.py does not hold the line the mock knows how to fix; stopping here.", {}};
    return {"Mock: total() subtracts; fixing it.",
            {call("call_fix", "edit_file", {{"path", "main.py"}, {"old_text", kSlip}, {"new_text", kFixed}})}};
  }
  if (last == "call_program") {
    return {"Mock report (agentco's offline MOCK model with tools): wrote main.py and test_main.py, ran the tests "
            "(python3 -m unittest -q), fixed total() with edit_file when they failed, and ran the program "
            "(python3 main.py 2 3), which printed:\n" +
                printed(result),
            {}};
  }
  return {"Mock: nothing more to do.", {}};
}

}  // namespace agentco
