// The reading model working with tools (a SOP tool_loop role): what it does next follows
// only from the conversation it is sent (the task prompt, its own earlier calls and the
// results shown for them) and the names of the tools it is offered. See
// reading_tool_turn() in tests/support/reading_model.hpp for the plan it follows.
#include <algorithm>
#include <optional>
#include <regex>

#include "core/text.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading_model.hpp"

namespace agentco::testing {
namespace {

using json = nlohmann::json;
using reading::trim;

// One call the conversation shows: what was asked and the result the model was shown.
struct SeenCall {
  std::string name;
  json arguments;
  std::string result;  // "" until the tool message arrives
  bool answered = false;
};

std::vector<SeenCall> seen_calls(const json& messages) {
  std::vector<SeenCall> calls;
  std::vector<std::string> ids;
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    const std::string role = message.value("role", "");
    if (role == "assistant" && message.contains("tool_calls") && message["tool_calls"].is_array()) {
      for (const auto& call : message["tool_calls"]) {
        SeenCall seen;
        seen.name = call.contains("function") ? call["function"].value("name", "") : "";
        const std::string arguments = call.contains("function") ? call["function"].value("arguments", "{}") : "{}";
        seen.arguments = json::parse(arguments, nullptr, false);
        ids.push_back(call.value("id", ""));
        calls.push_back(std::move(seen));
      }
    } else if (role == "tool") {
      const std::string id = message.value("tool_call_id", "");
      for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == id && !calls[i].answered) {
          calls[i].result = message_text(message);
          calls[i].answered = true;
          break;
        }
    }
  }
  return calls;
}

// The exit code a run result starts with ("exit code N"); -1 when it shows none.
int exit_code_of(const std::string& result) {
  static const std::regex code(R"(^exit code (-?\d+))");
  std::smatch m;
  return std::regex_search(result, m, code) ? std::stoi(m[1]) : -1;
}

// The last project file a Python traceback in `text` points at (not a test file, not the
// standard library), or "".
std::string file_in_traceback(const std::string& text) {
  static const std::regex frame(R"re(File "([^"]+\.py)", line \d+)re");
  std::string found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), frame); it != std::sregex_iterator(); ++it) {
    std::string path = (*it)[1];
    if (path.starts_with("/usr/") || path.find("/lib/python") != std::string::npos) continue;
    if (const auto slash = path.rfind('/'); slash != std::string::npos) path = path.substr(slash + 1);
    if (path.starts_with("test_")) continue;
    found = path;
  }
  return found;
}

// The topic of the requirement: its longest word of four letters or more that says what the
// program is about, lowercased; "program" when there is none.
std::string topic_of(const std::string& requirement) {
  static const std::vector<std::string> vague = {"write", "build", "make", "create", "program", "simple", "small",
                                                 "tool", "that", "with", "from", "into", "command", "line"};
  static const std::regex word(R"([A-Za-z]{4,})");
  std::string best;
  for (auto it = std::sregex_iterator(requirement.begin(), requirement.end(), word); it != std::sregex_iterator();
       ++it) {
    std::string w = (*it)[0];
    std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(vague.begin(), vague.end(), w) != vague.end()) continue;
    if (w.size() > best.size()) best = w;
  }
  return best.empty() ? "program" : best;
}

// The three files and their tests. stats.py's first version has a slip that only running
// reveals: total() returns a misspelled name.
std::vector<std::pair<std::string, std::string>> project_files(const std::string& topic) {
  return {
      {"parse.py",
       "\"\"\"Reads the numbers given on the command line.\"\"\"\n\n\n"
       "def parse_numbers(args: list[str]) -> list[int]:\n"
       "    numbers = []\n"
       "    for arg in args:\n"
       "        numbers.append(int(arg))\n"
       "    return numbers\n"},
      {"stats.py",
       "\"\"\"What the " + topic + " says about its numbers.\"\"\"\n\n\n"
       "def total(values: list[int]) -> int:\n"
       "    result = 0\n"
       "    for value in values:\n"
       "        result += value\n"
       "    return reslt\n\n\n"
       "def largest(values: list[int]) -> int:\n"
       "    return max(values) if values else 0\n"},
      {"main.py",
       "\"\"\"The " + topic + ": python3 main.py NUMBER...\"\"\"\n"
       "import sys\n\n"
       "from parse import parse_numbers\n"
       "from stats import largest, total\n\n\n"
       "def describe(numbers: list[int]) -> str:\n"
       "    return f\"" + topic + ": total {total(numbers)}, largest {largest(numbers)}\"\n\n\n"
       "def main() -> int:\n"
       "    print(describe(parse_numbers(sys.argv[1:])))\n"
       "    return 0\n\n\n"
       "if __name__ == \"__main__\":\n"
       "    sys.exit(main())\n"},
      {"test_main.py",
       "import unittest\n\n"
       "from main import describe\n"
       "from parse import parse_numbers\n"
       "from stats import largest, total\n\n\n"
       "class TestProgram(unittest.TestCase):\n"
       "    def test_parse(self) -> None:\n"
       "        self.assertEqual(parse_numbers([\"4\", \"9\"]), [4, 9])\n\n"
       "    def test_stats(self) -> None:\n"
       "        self.assertEqual(total([4, 9, 2]), 15)\n"
       "        self.assertEqual(largest([4, 9, 2]), 9)\n\n"
       "    def test_describe(self) -> None:\n"
       "        self.assertEqual(describe([1, 2]), \"" + topic + ": total 3, largest 2\")\n\n\n"
       "if __name__ == \"__main__\":\n"
       "    unittest.main()\n"},
  };
}

constexpr const char* kProgram = "python3 main.py 4 9 2";

struct Turn {
  ReadingToolTurn reply;
  std::size_t next_id;
  void call(const std::string& name, const json& arguments) {
    reply.tool_calls.push_back({{"id", "call_" + std::to_string(next_id++)}, {"name", name}, {"arguments", arguments.dump()}});
  }
  ReadingToolTurn say(std::string text) {
    reply.text = std::move(text);
    reply.tool_calls = json::array();
    return reply;
  }
};

// The fix for a NameError the last test run shows, in the file as read_file showed it: the
// line using the unknown name, with the closest name the file assigns.
std::optional<json> fix_for(const std::string& path, const std::string& shown, const std::string& failure) {
  static const std::regex name_error(R"(NameError: name '(\w+)' is not defined)");
  std::smatch m;
  if (!std::regex_search(failure, m, name_error)) return std::nullopt;
  const std::string unknown = m[1];
  static const std::regex assigned(R"((\w+) = )");
  std::string closest;
  for (auto it = std::sregex_iterator(shown.begin(), shown.end(), assigned); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    if (closest.empty() || edit_distance(name, unknown) < edit_distance(closest, unknown)) closest = name;
  }
  if (closest.empty() || edit_distance(closest, unknown) > 2) return std::nullopt;
  const std::regex use("\\b" + unknown + "\\b");
  for (const auto& line : reading::lines(shown)) {
    if (!std::regex_search(line, use)) continue;
    return json{{"path", path}, {"old_text", line}, {"new_text", std::regex_replace(line, use, closest)}};
  }
  return std::nullopt;
}

}  // namespace

std::string message_text(const nlohmann::json& message) {
  if (!message.is_object()) return {};
  const auto content = message.find("content");
  if (content == message.end()) return {};
  if (content->is_string()) return content->get<std::string>();
  std::string text;
  if (content->is_array())
    for (const auto& part : *content)
      if (part.is_object() && part.contains("text") && part["text"].is_string()) text += part["text"].get<std::string>();
  return text;
}

ReadingToolTurn reading_tool_turn(const nlohmann::json& messages, const std::vector<std::string>& tools) {
  std::string prompt;
  for (const auto& message : messages)
    if (message.is_object() && message.value("role", "") == "user") {
      prompt = message_text(message);
      break;
    }
  const std::vector<SeenCall> calls = seen_calls(messages);
  Turn turn{{}, calls.size() + 1};

  const std::string requirement = trim(reading::section(prompt, "The requirement").value_or(""));
  if (requirement.empty())
    return turn.say("reading model: the prompt does not show the requirement (no \"## The requirement\" section).");
  for (const char* needed : {"write_file", "run", "read_file", "edit_file"})
    if (std::find(tools.begin(), tools.end(), needed) == tools.end())
      return turn.say(std::string("reading model: I am not offered the ") + needed + " tool, which the task needs.");
  static const std::regex test_command(R"(`(python3 -m unittest[^`]*)`)");
  std::smatch m;
  if (!std::regex_search(prompt, m, test_command))
    return turn.say("reading model: the prompt does not say how the tests are run.");
  const std::string tests = m[1];
  const std::string topic = topic_of(requirement);

  const auto has_call = [&](const std::string& name) {
    return std::any_of(calls.begin(), calls.end(), [&](const SeenCall& c) { return c.name == name; });
  };
  const long runs = std::count_if(calls.begin(), calls.end(), [](const SeenCall& c) { return c.name == "run"; });
  if (runs >= 6) return turn.say("reading model: I ran the tests six times and they still fail; I stop here.");

  if (calls.empty() && std::find(tools.begin(), tools.end(), "list_files") != tools.end()) {
    turn.call("list_files", {{"path", "."}});
    return turn.reply;
  }
  if (!has_call("write_file")) {
    for (const auto& [path, content] : project_files(topic)) turn.call("write_file", {{"path", path}, {"content", content}});
    return turn.reply;
  }
  const SeenCall& last = calls.back();
  if (last.name == "write_file" || last.name == "edit_file") {
    if (last.name == "edit_file" && !last.result.starts_with("edited "))
      return turn.say("reading model: my edit was refused: " + last.result);
    turn.call("run", {{"command", tests}});
    return turn.reply;
  }
  // The last test run's output (what a fix must read).
  std::string failure;
  for (auto it = calls.rbegin(); it != calls.rend(); ++it)
    if (it->name == "run" && it->arguments.value("command", "") == tests) {
      failure = it->result;
      break;
    }
  if (last.name == "run") {
    const int code = exit_code_of(last.result);
    const bool was_tests = last.arguments.value("command", "") == tests;
    if (code == 0 && was_tests) {
      turn.call("run", {{"command", kProgram}});
      return turn.reply;
    }
    if (code == 0) {
      const auto out = last.result.find("--- stdout\n");
      const auto err = last.result.find("--- stderr");
      const std::string printed =
          out == std::string::npos ? "" : trim(last.result.substr(out + 11, err == std::string::npos ? std::string::npos : err - out - 11));
      return turn.say("Built the " + topic + " in main.py, parse.py and stats.py, with its tests in test_main.py (`" +
                      tests + "` passes). Run it as `" + kProgram + "`; the last run printed: " + printed);
    }
    const std::string file = file_in_traceback(last.result);
    if (file.empty())
      return turn.say("reading model: the run failed and its output shows no file of mine to look at:\n" + last.result);
    turn.call("read_file", {{"path", file}});
    return turn.reply;
  }
  if (last.name == "read_file") {
    const std::string path = last.arguments.value("path", "");
    if (auto fix = fix_for(path, last.result, failure)) {
      turn.call("edit_file", *fix);
      return turn.reply;
    }
    return turn.say("reading model: I read " + path + " but cannot tell how to fix what the tests show:\n" + failure);
  }
  return turn.say("reading model: I do not know what to do after " + last.name + ".");
}

}  // namespace agentco::testing
