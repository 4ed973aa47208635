#include "actions/project_facts.hpp"

#include <regex>

#include <fmt/format.h>

#include "actions/code_checks.hpp"
#include "actions/code_plan.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const nlohmann::json& document(const RunContext& run, const std::string& name) {
  static const nlohmann::json kNull;
  auto it = run.documents.find(name);
  return it == run.documents.end() ? kNull : it->second;
}

bool looks_like_package(const std::string& p) {
  // "No third-party dependencies required" and other prose are not packages.
  static const std::regex kPackage(R"(^[A-Za-z0-9_.\-\[\]@/]+\s*((==|>=|<=|~=|!=|>|<|@|\^|~)\s*[A-Za-z0-9_.*\-]+)?\s*$)");
  return p.size() <= kRegexInputLimit && std::regex_match(p, kPackage);
}

std::string fence_language(const std::string& path) {
  const std::string key = language_key(path);
  if (key == "python" || key == "javascript" || key == "cpp") return key;
  return "";
}

// Names a file defines, for the leanest size of a listing.
std::string defined_names(const std::string& path, const std::string& code) {
  if (language_key(path) != "python") return path;
  std::vector<std::string> names = python_top_level_names(code);
  std::vector<std::string> shown;
  for (const auto& n : names) {
    if (!n.starts_with("_") && shown.size() < 12) shown.push_back(n);
  }
  if (shown.empty()) return path;
  std::string out = path + " (defines ";
  for (std::size_t i = 0; i < shown.size(); ++i) out += (i ? ", " : "") + shown[i];
  return out + ")";
}

}  // namespace

std::vector<std::string> required_packages(const RunContext& run) {
  std::vector<std::string> out;
  const nlohmann::json& tasks = document(run, "tasks");
  if (tasks.is_object() && tasks.contains("Required packages") && tasks["Required packages"].is_array()) {
    for (const auto& p : tasks["Required packages"]) {
      if (p.is_string() && looks_like_package(p.get<std::string>())) out.push_back(p.get<std::string>());
    }
  }
  return out;
}

std::string packages_text(const RunContext& run) {
  std::vector<std::string> packages = required_packages(run);
  if (packages.empty()) return "(none: the standard library only)";
  std::string out;
  for (const auto& p : packages) out += "- " + p + "\n";
  out.pop_back();
  return out;
}

std::string planned_entry_point(const RunContext& run, const std::string& language) {
  const std::string key = language_key(language);
  std::vector<std::string> files;
  const nlohmann::json& design = document(run, "system_design");
  if (design.is_object() && design.contains("File list") && design["File list"].is_array()) {
    for (const auto& f : design["File list"]) {
      if (f.is_string()) files.push_back(f.get<std::string>());
    }
  }
  std::vector<std::string> candidates;
  if (key == "python") candidates = {"main.py", "app.py", "run.py"};
  else if (key == "javascript") candidates = {"main.js", "index.js", "app.js"};
  else if (key == "cpp") candidates = {"main.cpp", "src/main.cpp"};
  for (const auto& c : candidates) {
    for (const auto& f : files) {
      if (f == c || f.ends_with("/" + c)) return f;
    }
  }
  for (const auto& f : files) {
    if (language_key(f) == key && !f.starts_with("tests/")) return f;
  }
  return candidates.empty() ? "" : candidates.front();
}

std::string run_instructions(const RunContext& run, const std::string& language) {
  const std::string key = language_key(language);
  const std::string entry = planned_entry_point(run, language);
  if (key == "python") {
    return fmt::format(
        "QA runs everything offline in a sandbox, from the project's root folder, with Python 3's standard "
        "library and the packages below only (nothing can be pip-installed; prefer the standard library):\n"
        "- the program: `python3 {}`, standard input open, no display; still waiting for input after 5 s counts "
        "as started, an exception as crashed;\n"
        "- each test file alone: `python3 -m unittest -v tests/test_<module>.py`; tests use `unittest` only and "
        "import the project's modules by file name (`from game import Game`).",
        entry.empty() ? "main.py" : entry);
  }
  if (key == "javascript") {
    return fmt::format(
        "QA runs everything offline (no network) in a sandbox, from the project's root folder, with Node.js:\n"
        "- the program: `node {}` with standard input open; a program still waiting for input after 5 seconds "
        "counts as started;\n"
        "- each test file: `node --test tests/<module>.test.js`, written with the built-in `node:test` and "
        "`node:assert` modules, requiring project files by relative path (`require('../game')`);\n"
        "- there is no `npm install`: only Node's built-in modules are available unless the packages below list "
        "more.",
        entry.empty() ? "main.js" : entry);
  }
  if (key == "cpp") {
    return "QA builds and runs everything offline in a sandbox, from the project's root folder:\n"
           "- the build: `cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug && cmake --build build` (C++17, g++); every "
           ".cpp file except main.cpp goes into a library that the program and the tests link;\n"
           "- each tests/<name>_test.cpp is its own program with its own `int main()`, run by `ctest`: it passes "
           "when it returns 0. No test framework is linked (no GoogleTest, no Catch2): check with `assert` from "
           "<cassert> (the Debug build keeps it) or print a message and return 1;\n"
           "- the program: `./build/<program>` on a terminal with standard input open; still waiting for input "
           "after 5 seconds counts as started;\n"
           "- no package manager: the C++ standard library only (curses when the design needs a terminal UI).";
  }
  return "QA runs the program and its tests offline in a sandbox from the project's root folder; nothing is "
         "installed beyond the language's standard tools.";
}

std::string file_task(const RunContext& run, const std::string& path) {
  const nlohmann::json& tasks = document(run, "tasks");
  if (tasks.is_object() && tasks.contains("Logic Analysis") && tasks["Logic Analysis"].is_array()) {
    for (const auto& row : tasks["Logic Analysis"]) {
      if (!row.is_array() || row.size() < 2 || !row[0].is_string()) continue;
      const std::string file = row[0].get<std::string>();
      if (file == path || path.ends_with("/" + file)) {
        std::string text;
        for (std::size_t i = 1; i < row.size(); ++i) {
          if (row[i].is_string()) text += (text.empty() ? "" : " ") + row[i].get<std::string>();
        }
        return text.empty() ? "(the task list gives no details for this file)" : text;
      }
    }
  }
  return "(the task list gives no details for this file)";
}

std::string code_format(const std::string& language, const std::string& path) {
  const std::string key = language_key(language);
  std::string example;
  if (key == "javascript") {
    example = "'use strict';\n\n/** The board's size in cells. */\nconst BOARD_SIZE = 20;\n\n"
              "/** Returns whether a cell lies on the board. */\nfunction onBoard(x, y) {\n"
              "  return x >= 0 && y >= 0 && x < BOARD_SIZE && y < BOARD_SIZE;\n}\n\n"
              "module.exports = { BOARD_SIZE, onBoard };\n";
  } else if (key == "cpp") {
    example = "#include \"board.hpp\"\n\nbool Board::on_board(int x, int y) const {\n"
              "  return x >= 0 && y >= 0 && x < width_ && y < height_;\n}\n";
  } else {
    example = "\"\"\"board.py: the playing field and the cells on it.\"\"\"\n\nBOARD_SIZE: int = 20\n\n\n"
              "class Board:\n    \"\"\"A square board of BOARD_SIZE cells a side.\"\"\"\n\n"
              "    def on_board(self, x: int, y: int) -> bool:\n"
              "        \"\"\"Return True when (x, y) lies on the board.\"\"\"\n"
              "        return 0 <= x < BOARD_SIZE and 0 <= y < BOARD_SIZE\n";
  }
  // The file's name stays out of it: the instructions before the file-specific part are the
  // same text for every file, a prefix providers can cache.
  (void)path;
  const std::string fence = key == "javascript" || key == "cpp" ? key : "python";
  return fmt::format(
      "Reply with the whole file in one fenced code block and nothing after it. For example, a reply for a file "
      "board{} would be:\n\n```{}\n{}```",
      key == "javascript" ? ".js" : key == "cpp" ? ".cpp" : ".py", fence, example);
}

std::string fenced(const std::string& path, const std::string& code) {
  std::string fence = "```";
  while (code.find(fence) != std::string::npos) fence += "`";
  std::string body = code;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fence + fence_language(path) + "\n" + body + fence;
}

std::vector<SizedText> files_in_sizes(const std::vector<std::pair<std::string, std::string>>& files,
                                      const std::string& empty_text) {
  if (files.empty()) return {{"none", empty_text}};
  std::string full, interfaces, names;
  for (const auto& [path, code] : files) {
    full += fmt::format("#### {}\n{}\n\n", path, fenced(path, code));
    interfaces += fmt::format("#### {} (interface)\n{}\n\n", path, fenced(path, source_interface(path, code)));
    names += "- " + defined_names(path, code) + "\n";
  }
  for (std::string* text : {&full, &interfaces}) {
    while (!text->empty() && text->back() == '\n') text->pop_back();
  }
  if (!names.empty()) names.pop_back();
  return {{"full code", full}, {"interfaces", interfaces}, {"names", names}};
}

}  // namespace agentco
