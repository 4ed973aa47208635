#include "llm/mock_provider.hpp"

#include <filesystem>
#include <sstream>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/text.hpp"
#include "llm/mock_tool_script.hpp"

namespace agentco {
namespace {

constexpr const char* kMockNote = "written by agentco's MOCK model provider (offline, deterministic; not a real implementation)";

std::string project_slug(const std::string& idea) {
  std::string slug = slugify(idea);
  for (const char* prefix : {"please_", "write_", "make_", "create_", "build_", "develop_", "implement_", "add_",
                             "a_", "an_", "the_", "simple_"}) {
    if (slug.starts_with(prefix) && slug.size() > std::string(prefix).size()) slug = slug.substr(std::string(prefix).size());
  }
  return slug;
}

std::string core_module(const std::string& idea) {
  std::string slug = project_slug(idea);
  for (const char* word : {"game", "calculator", "editor", "server", "app", "tool"}) {
    if (slug.find(word) != std::string::npos) return word;
  }
  return "app";
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The idea inside a C/C++/JavaScript string literal.
std::string literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\' || c == '\'') out += '\\';
    if (c == '\n' || c == '\r') c = ' ';
    out += c;
  }
  return out;
}

struct MockFiles {
  std::vector<std::pair<std::string, std::string>> analysis;  // file -> description
};

// The language the idea asks for: "C++", "JavaScript" or (by default) "Python".
std::string idea_language(const std::string& idea) {
  std::string s = " " + lower(idea) + " ";
  for (char& c : s) {
    if (c == ',' || c == '.' || c == '!' || c == '?' || c == '(' || c == ')') c = ' ';
  }
  if (s.find("c++") != std::string::npos || s.find(" cpp ") != std::string::npos ||
      s.find(" cplusplus ") != std::string::npos) {
    return "C++";
  }
  for (const char* word : {" javascript ", " js ", " node ", " nodejs ", " node js ", " node.js "}) {
    if (s.find(word) != std::string::npos) return "JavaScript";
  }
  if (s.find("node.js") != std::string::npos) return "JavaScript";
  return "Python";
}

MockFiles mock_files(const std::string& idea) {
  std::string core = core_module(idea);
  const std::string language = idea_language(idea);
  if (language == "C++") {
    return {{{"CMakeLists.txt", "The build: a library of every .cpp except the entry point, the program, and every "
                                "tests/*_test.cpp as a CTest test."},
             {core + ".hpp", "Declares the core logic; includes nothing of the project."},
             {core + ".cpp", "Implements what " + core + ".hpp declares."},
             {"main.cpp", "The entry point: main() runs the core; includes " + core + ".hpp."}}};
  }
  if (language == "JavaScript") {
    return {{{"utils.js", "Helper functions shared by the project; requires nothing of the project."},
             {"config.js", "Settings with default values; requires nothing of the project."},
             {core + ".js", "The core logic; requires utils and config."},
             {"main.js", "The entry point: main() runs the core; requires " + core + "."}}};
  }
  return {{{"utils.py", "Helper functions shared by the project; imports nothing of the project."},
           {"config.py", "Settings with default values; imports nothing of the project."},
           {core + ".py", "The core logic class; imports utils and config."},
           {"main.py", "The entry point: main() builds and runs the core; imports " + core + "."}}};
}

nlohmann::json field_value(const std::string& name, const std::string& type, const std::string& idea, bool refine) {
  const std::string slug = project_slug(idea);
  const std::string core = core_module(idea);
  MockFiles files = mock_files(idea);
  if (refine) {
    // Incremental development: one new module for the new requirement, nothing else touched.
    const std::string language = idea_language(idea);
    const std::string ext = language == "C++" ? ".cpp" : language == "JavaScript" ? ".js" : ".py";
    files.analysis = {{slug + ext, "The new feature: " + idea + "; imports nothing of the project."}};
  }
  if (name == "Language") return "en_us";
  if (name == "Programming Language") return idea_language(idea);
  if (name == "Original Requirements") return idea;
  if (name == "Project Name") return slug;
  if (name == "Competitive Quadrant Chart") {
    return "quadrantChart\n    title \"Reach and engagement (mock)\"\n    x-axis \"Low Reach\" --> \"High Reach\"\n"
           "    y-axis \"Low Engagement\" --> \"High Engagement\"\n    quadrant-1 \"Expand\"\n    quadrant-2 \"Promote\"\n"
           "    quadrant-3 \"Re-evaluate\"\n    quadrant-4 \"Improve\"\n    \"Product A\": [0.3, 0.6]\n"
           "    \"Product B\": [0.45, 0.23]\n    \"Our Target Product\": [0.5, 0.6]";
  }
  if (name == "Requirement Pool") {
    return nlohmann::json::array({nlohmann::json::array({"P0", "Mock: the core of " + idea}),
                                  nlohmann::json::array({"P1", "Mock: a clear command-line interface"})});
  }
  if (name == "File list" || name == "Task list") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [file, _] : files.analysis) list.push_back(file);
    return list;
  }
  if (name == "Logic Analysis") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [file, text] : files.analysis) rows.push_back(nlohmann::json::array({file, text}));
    return rows;
  }
  if (name == "Data structures and interfaces") {
    std::string cls = std::string(1, static_cast<char>(std::toupper(core[0]))) + core.substr(1);
    return "classDiagram\n    class " + cls + " {\n        +run() str\n    }\n    class Config {\n        +NAME: str\n    }\n    " +
           cls + " --> Config";
  }
  if (name == "Program call flow") {
    return "sequenceDiagram\n    participant M as main\n    participant C as " + core + "\n    M->>C: run()\n    C-->>M: summary";
  }
  if (name == "Required packages" || name == "Required Other language third-party packages") return nlohmann::json::array();
  if (name == "Anything UNCLEAR" || name == "Full API spec") return "";
  if (name == "TODOs") return nlohmann::json::array();
  if (name == "Summary") return "Mock summary: main runs " + core + ", which uses utils and config.";
  if (name == "Decision") return "give_up";
  if (name == "File") return "";
  if (name == "Reason") return "the mock model cannot debug";
  if (type == "str") return fmt::format("Mock {} for: {}", name, idea);
  if (type == "int") return 1;
  if (type == "float") return 0.5;
  if (type == "bool") return true;
  if (type == "list[str]") return nlohmann::json::array({fmt::format("Mock {} 1", name), fmt::format("Mock {} 2", name)});
  if (type == "list[list[str]]") return nlohmann::json::array({nlohmann::json::array({fmt::format("Mock {}", name), "1"})});
  if (type == "object") return nlohmann::json::object();
  return nlohmann::json::array();
}

std::string module_code(const std::string& file, const std::vector<std::string>& deps, const std::string& idea) {
  std::string stem = std::filesystem::path(file).stem().string();
  std::ostringstream out;
  out << "\"\"\"" << file << ": " << kMockNote << ".\n\nRequirement: " << idea << "\n\"\"\"\n";
  std::vector<std::string> modules;
  for (const auto& d : deps) {
    if (std::filesystem::path(d).extension() == ".py") modules.push_back(std::filesystem::path(d).stem().string());
  }
  for (const auto& m : modules) out << "import " << m << "\n";
  if (!modules.empty()) out << "\n";
  out << "\ndef describe() -> str:\n    \"\"\"Names this module and the modules it uses.\"\"\"\n";
  out << "    parts = [\"" << stem << "\"]\n";
  for (const auto& m : modules) out << "    parts.append(" << m << ".describe())\n";
  out << "    return \" > \".join(parts)\n";
  if (stem == "main") {
    out << "\n\ndef main() -> int:\n    print(\"agentco mock project: " << idea << "\")\n"
        << "    print(\"modules: \" + describe())\n    return 0\n\n\nif __name__ == \"__main__\":\n"
        << "    raise SystemExit(main())\n";
  }
  return out.str();
}

std::string cpp_code(const std::string& file, const std::vector<std::string>& deps, const std::string& idea) {
  namespace fs = std::filesystem;
  const std::string stem = fs::path(file).stem().string();
  const std::string ext = fs::path(file).extension().string();
  std::ostringstream out;
  out << "// " << file << ": " << kMockNote << ".\n// Requirement: " << literal(idea) << "\n";
  if (ext == ".hpp" || ext == ".h") {
    out << "#pragma once\n\n#include <string>\n\n// Names this module and the modules it uses.\nstd::string " << stem
        << "_describe();\n";
    return out.str();
  }
  std::vector<std::string> headers;  // other modules' headers this file uses
  std::string own_header;
  for (const auto& d : deps) {
    fs::path p(d);
    if (p.extension() != ".hpp" && p.extension() != ".h") continue;
    if (p.stem() == stem) own_header = d;
    else headers.push_back(d);
  }
  if (!own_header.empty()) out << "#include \"" << own_header << "\"\n\n";
  if (stem == "main") out << "#include <iostream>\n";
  out << "#include <string>\n";
  for (const auto& h : headers) out << "#include \"" << h << "\"\n";
  out << "\n";
  out << "std::string " << stem << "_describe() {\n  std::string parts = \"" << stem << "\";\n";
  for (const auto& h : headers) out << "  parts += \" > \" + " << fs::path(h).stem().string() << "_describe();\n";
  out << "  return parts;\n}\n";
  if (stem == "main") {
    out << "\nint main() {\n  std::cout << \"agentco mock project: " << literal(idea) << "\\n\";\n"
        << "  std::cout << \"modules: \" << main_describe() << \"\\n\";\n  return 0;\n}\n";
  }
  return out.str();
}

std::string cpp_test_code(const std::string& file) {
  const std::string stem = std::filesystem::path(file).stem().string();
  std::ostringstream out;
  out << "// Tests of " << file << ": " << kMockNote << ".\n"
      << "#include <cstdio>\n#include <string>\n\n#include \"" << stem << ".hpp\"\n\n"
      << "int main() {\n  const std::string text = " << stem << "_describe();\n"
      << "  if (text.rfind(\"" << stem << "\", 0) != 0) {\n"
      << "    std::fprintf(stderr, \"FAIL: " << stem << "_describe() returned %s\\n\", text.c_str());\n    return 1;\n  }\n"
      << "  std::printf(\"PASS: " << stem << "_describe names the module\\n\");\n  return 0;\n}\n";
  return out.str();
}

std::string cmake_code(const std::string& idea) {
  const std::string name = project_slug(idea);
  return "# CMakeLists.txt: " + std::string(kMockNote) + ".\n"
         "cmake_minimum_required(VERSION 3.16)\n"
         "project(" + name + " LANGUAGES CXX)\n"
         "set(CMAKE_CXX_STANDARD 17)\nset(CMAKE_CXX_STANDARD_REQUIRED ON)\n\n"
         "# Every source but the entry point goes into a library the program and the tests share.\n"
         "file(GLOB project_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/*.cpp)\n"
         "list(FILTER project_sources EXCLUDE REGEX \"/main\\\\.cpp$\")\n"
         "add_library(project_core STATIC ${project_sources})\n"
         "target_include_directories(project_core PUBLIC ${CMAKE_SOURCE_DIR})\n\n"
         "add_executable(" + name + " main.cpp)\n"
         "target_link_libraries(" + name + " PRIVATE project_core)\n\n"
         "enable_testing()\n"
         "file(GLOB test_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*_test.cpp)\n"
         "foreach(test_source ${test_sources})\n"
         "  get_filename_component(test_name ${test_source} NAME_WE)\n"
         "  add_executable(${test_name} ${test_source})\n"
         "  target_link_libraries(${test_name} PRIVATE project_core)\n"
         "  add_test(NAME ${test_name} COMMAND ${test_name})\n"
         "endforeach()\n";
}

std::string js_code(const std::string& file, const std::vector<std::string>& deps, const std::string& idea) {
  namespace fs = std::filesystem;
  const std::string stem = fs::path(file).stem().string();
  std::ostringstream out;
  out << "// " << file << ": " << kMockNote << ".\n// Requirement: " << literal(idea) << "\n'use strict';\n\n";
  std::vector<std::string> modules;
  for (const auto& d : deps) {
    if (fs::path(d).extension() == ".js") modules.push_back(fs::path(d).stem().string());
  }
  for (const auto& m : modules) out << "const " << m << " = require('./" << m << "');\n";
  if (!modules.empty()) out << "\n";
  out << "// Names this module and the modules it uses.\nfunction describe() {\n  const parts = ['" << stem << "'];\n";
  for (const auto& m : modules) out << "  parts.push(" << m << ".describe());\n";
  out << "  return parts.join(' > ');\n}\n";
  if (stem == "main") {
    out << "\nfunction main() {\n  console.log('agentco mock project: " << literal(idea) << "');\n"
        << "  console.log('modules: ' + describe());\n  return 0;\n}\n\n"
        << "if (require.main === module) {\n  process.exitCode = main();\n}\n\nmodule.exports = { describe, main };\n";
  } else {
    out << "\nmodule.exports = { describe };\n";
  }
  return out.str();
}

std::string js_test_code(const std::string& file) {
  const std::string stem = std::filesystem::path(file).stem().string();
  std::string folder = std::filesystem::path(file).parent_path().generic_string();
  std::string target = folder.empty() ? "../" + stem : "../" + folder + "/" + stem;
  std::ostringstream out;
  out << "// Tests of " << file << ": " << kMockNote << ".\n'use strict';\n\n"
      << "const test = require('node:test');\nconst assert = require('node:assert');\n\n"
      << "const { describe } = require('" << target << "');\n\n"
      << "test('describe names the module', () => {\n  assert.ok(describe().startsWith('" << stem << "'));\n});\n";
  return out.str();
}

std::string test_code(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  std::string folder = std::filesystem::path(file).parent_path().generic_string();
  std::ostringstream out;
  out << "\"\"\"Tests of " << file << ": " << kMockNote << ".\"\"\"\n"
      << "import os\nimport sys\nimport unittest\n\n"
      << "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), \"..\", \"" << folder << "\"))\n\n"
      << "import " << stem << "  # noqa: E402\n\n\n"
      << "class Test" << static_cast<char>(std::toupper(stem[0])) << stem.substr(1) << "(unittest.TestCase):\n"
      << "    def test_describe_names_the_module(self):\n"
      << "        self.assertTrue(" << stem << ".describe().startswith(\"" << stem << "\"))\n\n\n"
      << "if __name__ == \"__main__\":\n    unittest.main()\n";
  return out.str();
}

}  // namespace

std::string MockProvider::reply_for(const ChatRequest& request) {
  const nlohmann::json& hints = request.hints;
  const std::string kind = hints.value("kind", "");
  const std::string idea = hints.value("idea", "");
  if (hints.contains("schema") && hints["schema"].is_array()) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& field : hints["schema"]) {
      doc[field.value("name", "")] =
          field_value(field.value("name", ""), field.value("type", "str"), idea, hints.value("refine", false));
    }
    return "[CONTENT]\n" + doc.dump(4) + "\n[/CONTENT]";
  }
  if (kind == "review") {
    return "## Code Review: " + hints.value("file", std::string()) +
           "\n1. Yes (mock review).\n\n## Actions\nnone\n\n## Code Review Result\nLGTM";
  }
  if (kind == "manual") {
    std::string slug = project_slug(idea);
    std::string language = idea_language(idea);
    std::string run = "python3 main.py", test = "python3 -m unittest discover -s tests";
    if (language == "C++") {
      run = "cmake -S . -B build && cmake --build build\n./build/" + slug;
      test = "ctest --test-dir build";
    } else if (language == "JavaScript") {
      run = "node main.js";
      test = "node --test tests/";
    }
    return "# " + slug + "\n\n" + std::string(kMockNote) + ".\n\nRequirement: " + idea + "\n\n## Run\n\n```sh\n" + run +
           "\n```\n\n## Test\n\n```sh\n" + test + "\n```\n";
  }
  if (kind == "code" || kind == "rewrite" || kind == "fix") {
    std::vector<std::string> deps;
    if (hints.contains("depends_on")) deps = hints["depends_on"].get<std::vector<std::string>>();
    const std::string file = hints.value("file", "module.py");
    const std::string ext = std::filesystem::path(file).extension().string();
    if (std::filesystem::path(file).filename() == "CMakeLists.txt") return "```cmake\n" + cmake_code(idea) + "```";
    if (ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".cc") return "```cpp\n" + cpp_code(file, deps, idea) + "```";
    if (ext == ".js") return "```javascript\n" + js_code(file, deps, idea) + "```";
    return "```python\n" + module_code(file, deps, idea) + "```";
  }
  if (kind == "test") {
    const std::string file = hints.value("file", "module.py");
    const std::string ext = std::filesystem::path(file).extension().string();
    if (ext == ".cpp" || ext == ".cc") return "```cpp\n" + cpp_test_code(file) + "```";
    if (ext == ".js") return "```javascript\n" + js_test_code(file) + "```";
    return "```python\n" + test_code(file) + "```";
  }
  if (kind == "vote") {  // voters 1, 3, 4, ... pick the first option, voter 2 the second
    const auto& options = hints.value("options", nlohmann::json::array());
    const int voter = hints.value("voter", 1);
    const std::size_t pick = voter == 2 && options.size() > 1 ? 1 : 0;
    if (options.empty()) return "abstain";
    return options[pick].get<std::string>() + " (mock vote of voter " + std::to_string(voter) + ")";
  }
  if (kind == "chat" && hints.value("writes_files", false) && hints.value("side", "") != "instructor") {
    // A phase that writes code: ChatDev's format, a file name then a fenced block.
    const std::string action = hints.value("action", std::string("the phase"));
    if (action.find("Environment") != std::string::npos) return "requirements.txt\n```\n# no third-party packages\n```\n";
    if (action.find("Manual") != std::string::npos) return "manual.md\n```\n# " + project_slug(idea) + "\n\n" + std::string(kMockNote) + ".\n\nRun: `python3 main.py`\n```\n";
    return "main.py\n```python\n" + module_code("main.py", {}, idea) + "```\n";
  }
  if (kind == "chat") {  // a chat phase: a proposal, an agreement, then the conclusion
    const std::string action = hints.value("action", std::string("the phase"));
    if (hints.value("side", "") == "instructor") return "Agreed (mock instruction for " + action + "); please conclude.";
    if (hints.value("turn", 1) < 2) return "A first proposal (mock, " + action + ") for: " + idea;
    if (action.find("Review") != std::string::npos)  // a reviewer with nothing to change ends a review loop
      return hints.value("end_marker", std::string("<INFO>")) + " Finished: the mock review of " + action + " found nothing to change";
    return hints.value("end_marker", std::string("<INFO>")) + " Mock conclusion of " + action + " for: " + idea;
  }
  if (kind == "choose") {
    std::vector<std::string> done;
    if (hints.contains("done")) done = hints["done"].get<std::vector<std::string>>();
    const auto& choices = hints.value("choices", nlohmann::json::array());
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (std::find(done.begin(), done.end(), choices[i].get<std::string>()) == done.end()) return std::to_string(i);
    }
    return "-1";
  }
  return "Mock reply (" + hints.value("action", std::string("no action")) + ").";
}

boost::asio::awaitable<Result<ChatResult>> MockProvider::chat(const ChatRequest& request) {
  if (latency_.count() > 0) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency_);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  ChatResult result;
  if (!request.tools.empty()) {
    MockToolTurn turn = mock_tool_turn(request);
    result.text = std::move(turn.text);
    result.tool_calls = std::move(turn.calls);
    if (!result.tool_calls.empty()) result.finish_reason = "tool_calls";
  } else {
    result.text = reply_for(request);
  }
  result.model = request.model;
  for (const auto& m : request.messages) result.usage.prompt_tokens += estimate_tokens(m.content) + 4;
  result.usage.completion_tokens = estimate_tokens(result.text);
  result.latency_s = latency_.count() / 1000.0;
  result.first_token_s = result.latency_s;
  if (request.on_delta) request.on_delta(result.text);
  co_return result;
}

}  // namespace agentco
