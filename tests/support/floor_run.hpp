// Helpers for end-to-end tests of the engineering floor that run the agentco binary:
// a temporary folder, scripts for the fake server (one-file projects in any language),
// running the binary (with stdin text, a chosen PATH) and reading what the run left.
// The binary runs through agentco's own process runner, unsandboxed.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "environment/process_runner.hpp"
#include "trace/trace.hpp"

namespace agentco::testing::floor {

namespace fs = std::filesystem;
using json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("agentco_floor_" + std::to_string(rd()) + "_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string fenced(const std::string& code, const std::string& language = "python") {
  return "```" + language + "\n" + code + "```";
}
inline std::string content(const json& j) { return "[CONTENT]\n" + j.dump(2) + "\n[/CONTENT]"; }
inline json rule(const json& match, const std::string& reply, int times = 0) {
  json r = {{"reply", reply}};
  if (!match.is_null()) r["match"] = match;
  if (times > 0) r["times"] = times;
  return r;
}

// A fake-server script for a one-file Python project whose main.py is `main_code`; its test
// file passes; QA gives up on failures (the run goes on).
inline json one_file_script(const std::string& main_code) {
  json prd = {{"Language", "en_us"},
              {"Programming Language", "Python"},
              {"Original Requirements", "a one-file program"},
              {"Project Name", "one_file"},
              {"Product Goals", {"Run it"}},
              {"User Stories", {"As a user, I run it"}},
              {"Competitive Analysis", {"none"}},
              {"Competitive Quadrant Chart",
               "quadrantChart\n    title T\n    x-axis Low --> High\n    y-axis Low --> High\n    quadrant-1 A\n"
               "    quadrant-2 B\n    quadrant-3 C\n    quadrant-4 D\n    Ours: [0.5, 0.6]"},
              {"Requirement Analysis", "One file."},
              {"Requirement Pool", json::array({json::array({"P0", "main.py runs"})})},
              {"UI Design draft", "Command line."},
              {"Anything UNCLEAR", ""}};
  json design = {{"Implementation approach", "One Python file."},
                 {"File list", {"main.py"}},
                 {"Data structures and interfaces", "classDiagram\n    class Main {\n        +main() None\n    }"},
                 {"Program call flow", "sequenceDiagram\n    participant M as main\n    M->>M: main()"},
                 {"Anything UNCLEAR", ""}};
  json tasks = {{"Required packages", json::array()},
                {"Required Other language third-party packages", json::array()},
                {"Logic Analysis", json::array({json::array({"main.py", "The whole program."})})},
                {"Task list", {"main.py"}},
                {"Full API spec", ""},
                {"Shared Knowledge", ""},
                {"Anything UNCLEAR", ""}};
  const std::string test =
      "import unittest\n\n\nclass TestSmoke(unittest.TestCase):\n    def test_smoke(self):\n"
      "        self.assertTrue(True)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
  json rules = json::array();
  rules.push_back(rule({{"action", "WritePRD"}}, content(prd)));
  rules.push_back(rule({{"action", "WriteDesign"}}, content(design)));
  rules.push_back(rule({{"action", "WriteTasks"}}, content(tasks)));
  rules.push_back(rule({{"action", "WriteManual"}}, "# one_file\n\nRun `python3 main.py`.\n"));
  rules.push_back(rule({{"regex", "Summarize the project"}},
                       content({{"Summary", "main.py is the program."}, {"TODOs", json::array()}})));
  rules.push_back(rule({{"regex", "Decide what to do about the failures"}},
                       content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "the test expects this"}})));
  rules.push_back(rule({{"regex", "Write tests/test_main\\.py"}}, fenced(test)));
  rules.push_back(rule({{"regex", "Review main\\.py"}}, "## Code Review Result\nLGTM"));
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) main\\.py"}}, fenced(main_code)));
  return {{"models", {"fake-model"}}, {"rules", rules}};
}

struct FloorRun {
  agentco::ProcessResult process;
  fs::path folder;
  std::vector<json> trace;
  json meta;

  std::vector<json> of_type(const std::string& type) const {
    std::vector<json> out;
    for (const auto& r : trace)
      if (r.value("type", "") == type) out.push_back(r);
    return out;
  }
  // The last execution record named `name` ("program", "tests/test_main.py", "build", ...).
  json execution(const std::string& name) const {
    json found;
    for (const auto& r : of_type("execution"))
      if (r.value("name", "") == name) found = r;
    return found;
  }
  std::string describe() const {
    return "exit " + std::to_string(process.exit_code) + (process.timed_out ? " (timed out)" : "") + "\nstdout:\n" +
           process.stdout_text + "\nstderr:\n" + process.stderr_text;
  }
};

struct RunOptions {
  std::vector<std::string> args;        // after "run", before the idea (e.g. --llm-base-url URL)
  std::string idea = "a one-file program";
  std::string stdin_text;               // typed at the terminal (human modes)
  std::string path;                     // PATH for the run ("" = the test's own)
  std::chrono::milliseconds timeout{180000};
};

// Runs `agentco run --no-user-config --warehouse DIR/warehouse ARGS IDEA` in DIR/work.
inline FloorRun run_agentco(const TempDir& dir, const RunOptions& options) {
  fs::path home = dir.path() / "home", work = dir.path() / "work", warehouse = dir.path() / "warehouse";
  fs::create_directories(home);
  fs::create_directories(work);
  agentco::ProcessSpec spec;
  spec.argv = {AGENTCO_BINARY, "run", "--no-user-config", "--warehouse", warehouse.string()};
  spec.argv.insert(spec.argv.end(), options.args.begin(), options.args.end());
  spec.argv.push_back(options.idea);
  spec.cwd = work.string();
  spec.sandbox = false;
  spec.deadline = options.timeout;
  spec.output_cap = 4 * 1024 * 1024;
  spec.stdin_text = options.stdin_text;
  spec.env["HOME"] = home.string();
  if (!options.path.empty()) spec.env["PATH"] = options.path;
  // The suite's switch (tests/CMakeLists.txt): no browser per run for its diagrams.
  if (const char* render = std::getenv("AGENTCO_RUN_RENDER_DIAGRAMS")) spec.env["AGENTCO_RUN_RENDER_DIAGRAMS"] = render;
  FloorRun run;
  run.process = agentco::run_process(spec);
  std::istringstream out(run.process.stdout_text);
  for (std::string line; std::getline(out, line);)
    if (!line.empty()) run.folder = fs::path(line);
  if (!run.folder.empty() && fs::exists(run.folder / "run.jsonl")) {
    std::istringstream in(read_all(run.folder / "run.jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto rec = agentco::open_trace_record(line);
      EXPECT_TRUE(rec.ok()) << line;
      if (rec) run.trace.push_back(*rec);
    }
  }
  if (!run.folder.empty() && fs::exists(run.folder / "meta.json")) {
    try {
      run.meta = json::parse(read_all(run.folder / "meta.json"));
    } catch (const json::exception&) {
    }
  }
  return run;
}

}  // namespace agentco::testing::floor
