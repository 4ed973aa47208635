// End-to-end tests of the engineering floor: the real agentco binary against the fake
// OpenAI-compatible server run in-process (agentco::testing::FakeLlmServer), scripted for a
// tiny Python project. Covers review -> rewrite, QA failures routed to the engineer and
// fixed in the code file, the bound on test rounds, and parallel code-writing waves.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "trace/trace.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

using FloorProcessOptions = ::agentco::testing::ProcessOptions;
using FloorProcessResult = ::agentco::testing::ProcessResult;

// The floor's runs wait for fake model latency: a longer kill timeout than the default.
FloorProcessResult spawn_floor_process(FloorProcessOptions options) {
  options.timeout = std::chrono::milliseconds(30000);
  return ::agentco::testing::run_process(options);
}

class FloorTempDir {
 public:
  FloorTempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("agentco_floor_" + std::to_string(rd()) + "_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~FloorTempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string last_line(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines.empty() ? "" : lines.back();
}

std::vector<json> read_trace(const fs::path& folder) {
  std::vector<json> out;
  std::istringstream in(read_all(folder / "run.jsonl"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto rec = agentco::open_trace_record(line);
    EXPECT_TRUE(rec.ok()) << line;
    if (rec) out.push_back(*rec);
  }
  return out;
}

// Milliseconds since the epoch from "YYYY-MM-DDTHH:MM:SS.mmmZ".
long long ts_ms(const std::string& ts) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<long long>(timegm(&tm)) * 1000 + ms;
}

std::string fenced(const std::string& code) { return "```python\n" + code + "```"; }
std::string content(const json& j) { return "[CONTENT]\n" + j.dump(2) + "\n[/CONTENT]"; }

json rule(const json& match, const std::string& reply, int times = 0) {
  json r = {{"reply", reply}};
  if (!match.is_null()) r["match"] = match;
  if (times > 0) r["times"] = times;
  return r;
}

const std::string kCalcGood = "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n";
const std::string kCalcBad = "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a - b\n";
const std::string kMain = "from calc import add\n\n\ndef main():\n    print(add(2, 3))\n\n\nif __name__ == \"__main__\":\n    main()\n";
const std::string kTestCalc =
    "import unittest\n\nfrom calc import add\n\n\nclass TestAdd(unittest.TestCase):\n    def test_add(self):\n"
    "        self.assertEqual(add(2, 3), 5)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
const std::string kTestTrivial =
    "import unittest\n\n\nclass TestSmoke(unittest.TestCase):\n    def test_smoke(self):\n"
    "        self.assertTrue(True)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";

json prd_json() {
  return {{"Language", "en_us"},
          {"Programming Language", "Python"},
          {"Original Requirements", "A tiny calculator that adds two numbers"},
          {"Project Name", "tiny_calc"},
          {"Product Goals", {"Add two numbers correctly"}},
          {"User Stories", {"As a user, I want to add two numbers"}},
          {"Competitive Analysis", {"bc: a shell calculator"}},
          {"Competitive Quadrant Chart",
           "quadrantChart\n    title Calculators\n    x-axis Low Reach --> High Reach\n    y-axis Low Engagement --> High "
           "Engagement\n    quadrant-1 Expand\n    quadrant-2 Promote\n    quadrant-3 Re-evaluate\n    quadrant-4 "
           "Improve\n    bc: [0.3, 0.6]\n    Our Target Product: [0.5, 0.6]"},
          {"Requirement Analysis", "One function, add."},
          {"Requirement Pool", json::array({json::array({"P0", "add(a, b) returns a + b"})})},
          {"UI Design draft", "Command line; prints the sum."},
          {"Anything UNCLEAR", ""}};
}

json design_json(const std::vector<std::string>& files) {
  return {{"Implementation approach", "Plain Python, no third-party packages."},
          {"File list", files},
          {"Data structures and interfaces", "classDiagram\n    class Calc {\n        +add(a: int, b: int) int\n    }"},
          {"Program call flow", "sequenceDiagram\n    participant M as Main\n    participant C as Calc\n    M->>C: add(2, 3)"},
          {"Anything UNCLEAR", ""}};
}

json tasks_json(const std::vector<std::pair<std::string, std::string>>& pairs, const std::vector<std::string>& order) {
  json logic = json::array();
  for (const auto& [file, text] : pairs) logic.push_back(json::array({file, text}));
  return {{"Required packages", json::array()},
          {"Required Other language third-party packages", json::array()},
          {"Logic Analysis", logic},
          {"Task list", order},
          {"Full API spec", ""},
          {"Shared Knowledge", ""},
          {"Anything UNCLEAR", ""}};
}

// The rules every calc project needs, around the test-specific ones (`middle`), which win.
json calc_script(const json& middle, const std::string& calc_code, const std::string& fix_reply_code) {
  json rules = json::array();
  rules.push_back(rule({{"action", "WritePRD"}}, content(prd_json())));
  rules.push_back(rule({{"action", "WriteDesign"}}, content(design_json({"main.py", "calc.py"}))));
  rules.push_back(rule({{"action", "WriteTasks"}},
                       content(tasks_json({{"calc.py", "Contains add(a, b) returning a + b. Imports nothing."},
                                           {"main.py", "Imports add from calc.py and prints add(2, 3)."}},
                                          {"calc.py", "main.py"}))));
  for (const auto& r : middle) rules.push_back(r);
  rules.push_back(rule({{"action", "FixCode"}}, fenced(fix_reply_code)));
  rules.push_back(rule({{"action", "WriteManual"}}, "# tiny_calc\n\nRun `python3 main.py`.\n"));
  rules.push_back(rule({{"regex", "Decide what to do about the failures"}},
                       content({{"Decision", "fix_code"}, {"File", "calc.py"}, {"Reason", "add subtracts"}})));
  rules.push_back(rule({{"regex", "Summarize the project"}},
                       content({{"Summary", "calc.py adds; main.py prints the sum."}, {"TODOs", json::array()}})));
  rules.push_back(rule({{"regex", "Write tests/test_calc\\.py"}}, fenced(kTestCalc)));
  rules.push_back(rule({{"regex", "Write tests/test_main\\.py"}}, fenced(kTestTrivial)));
  rules.push_back(rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  rules.push_back(rule({{"regex", "Rewrite calc\\.py"}}, fenced(kCalcGood)));
  rules.push_back(rule({{"regex", "Rewrite main\\.py"}}, fenced(kMain)));
  rules.push_back(rule({{"regex", "Write the complete code of calc\\.py"}}, fenced(calc_code)));
  rules.push_back(rule({{"regex", "Write the complete code of main\\.py"}}, fenced(kMain)));
  return json{{"models", {"fake-model"}}, {"rules", rules}};
}

struct FloorRun {
  FloorProcessResult process;
  fs::path folder;
  std::vector<json> trace;
  json meta;
};

// Runs `agentco run` against `server` in a fresh sandbox under `dir`.
FloorRun run_agentco(const FloorTempDir& dir, const agentco::testing::FakeLlmServer& server,
                     const std::vector<std::string>& extra = {}) {
  fs::path home = dir.path() / "home", work = dir.path() / "work", warehouse = dir.path() / "warehouse";
  fs::create_directories(home);
  fs::create_directories(work);
  FloorProcessOptions options;
  options.argv = {AGENTCO_BINARY, "run", "--no-user-config", "--warehouse", warehouse.string(), "--llm-base-url",
                  server.base_url(), "--model", "fake-model"};
  options.argv.insert(options.argv.end(), extra.begin(), extra.end());
  options.argv.push_back("a tiny calculator that adds two numbers");
  const char* path = std::getenv("PATH");
  options.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + home.string(), "LANG=C.UTF-8"};
  options.cwd = work;
  FloorRun run;
  run.process = spawn_floor_process(options);
  run.folder = fs::path(last_line(run.process.out));
  if (!run.folder.empty() && fs::exists(run.folder / "run.jsonl")) run.trace = read_trace(run.folder);
  if (!run.folder.empty() && fs::exists(run.folder / "meta.json")) {
    try {
      run.meta = json::parse(read_all(run.folder / "meta.json"));
    } catch (const json::exception&) {
    }
  }
  return run;
}

std::vector<json> of_type(const std::vector<json>& trace, const std::string& type) {
  std::vector<json> out;
  for (const auto& r : trace)
    if (r.value("type", "") == type) out.push_back(r);
  return out;
}

std::string describe(const FloorRun& run) {
  return "exit " + std::to_string(run.process.exit_code) + (run.process.timed_out ? " (timed out)" : "") +
         "\nstdout:\n" + run.process.out + "\nstderr:\n" + run.process.err;
}

TEST(EngineeringFloorTest, ReviewLbtmLeadsToRewriteThenLgtm) {
  json middle = json::array({rule({{"regex", "Review calc\\.py"}}, "## Code Review Result\nLBTM", 1)});
  agentco::testing::FakeLlmServer server(calc_script(middle, kCalcGood, kCalcGood).dump());
  FloorTempDir dir;
  FloorRun run = run_agentco(dir, server);
  ASSERT_EQ(run.process.exit_code, 0) << describe(run);
  ASSERT_FALSE(run.trace.empty()) << describe(run);

  std::vector<std::string> verdicts;
  for (const auto& r : of_type(run.trace, "review"))
    if (r.value("file", "") == "calc.py") verdicts.push_back(r.value("verdict", ""));
  EXPECT_EQ(verdicts, (std::vector<std::string>{"LBTM", "LGTM"}));

  bool rewrite_commit = false;
  for (const auto& r : of_type(run.trace, "commit"))
    if (r.value("message", "").find("RewriteCode: calc.py") != std::string::npos) rewrite_commit = true;
  EXPECT_TRUE(rewrite_commit);
  EXPECT_NE(read_all(run.folder / "calc.py").find("return a + b"), std::string::npos);
}

TEST(EngineeringFloorTest, FailingTestIsRoutedToEngineerAndFixedInCode) {
  agentco::testing::FakeLlmServer server(calc_script(json::array(), kCalcBad, kCalcGood).dump());
  FloorTempDir dir;
  FloorRun run = run_agentco(dir, server);
  ASSERT_EQ(run.process.exit_code, 0) << describe(run);
  ASSERT_FALSE(run.trace.empty()) << describe(run);

  bool failed_round1 = false, passed_later = false;
  for (const auto& e : of_type(run.trace, "execution")) {
    if (e.value("name", "") != "tests/test_calc.py") continue;
    int round = e.value("round", 0);
    int failed = e.value("failed", 0);
    if (round == 1 && failed > 0) failed_round1 = true;
    if (round > 1 && failed == 0 && e.value("passed", 0) > 0) passed_later = true;
  }
  EXPECT_TRUE(failed_round1);
  EXPECT_TRUE(passed_later);

  bool fix_commit = false;
  for (const auto& r : of_type(run.trace, "commit"))
    if (r.value("message", "").find("FixCode: calc.py") != std::string::npos) fix_commit = true;
  EXPECT_TRUE(fix_commit);

  EXPECT_EQ(read_all(run.folder / "tests" / "test_calc.py"), kTestCalc);
  EXPECT_NE(read_all(run.folder / "calc.py").find("return a + b"), std::string::npos);
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2);
  EXPECT_EQ(run.meta["verdict"].value("tests_failed", -1), 0) << run.meta.dump(2);
}

TEST(EngineeringFloorTest, TestRoundsAreBounded) {
  agentco::testing::FakeLlmServer server(calc_script(json::array(), kCalcBad, kCalcBad).dump());
  FloorTempDir dir;
  fs::path config = dir.path() / "rounds.yaml";
  std::ofstream(config) << "run:\n  test_rounds: 2\n";
  FloorRun run = run_agentco(dir, server, {"--config", config.string()});
  ASSERT_EQ(run.process.exit_code, 0) << describe(run);
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2) << describe(run);
  EXPECT_EQ(run.meta["verdict"].value("rounds", -1), 2) << run.meta.dump(2);
  EXPECT_EQ(run.meta["verdict"].value("decision", ""), "rounds_exhausted") << run.meta.dump(2);
  EXPECT_GT(run.meta["verdict"].value("tests_failed", 0), 0) << run.meta.dump(2);
}

TEST(EngineeringFloorTest, IndependentFilesAreWrittenInParallel) {
  json rules = json::array();
  rules.push_back(rule({{"action", "WritePRD"}}, content(prd_json())));
  rules.push_back(rule({{"action", "WriteDesign"}}, content(design_json({"main.py", "a.py", "b.py", "c.py"}))));
  rules.push_back(rule(
      {{"action", "WriteTasks"}},
      content(tasks_json({{"a.py", "Contains value_a() returning 1. Imports nothing."},
                          {"b.py", "Contains value_b() returning 2. Imports nothing."},
                          {"c.py", "Contains value_c() returning 3. Imports nothing."},
                          {"main.py", "Imports value_a from a.py, value_b from b.py and value_c from c.py; prints the sum."}},
                         {"a.py", "b.py", "c.py", "main.py"}))));
  rules.push_back(rule({{"action", "WriteManual"}}, "# abc\n\nRun `python3 main.py`.\n"));
  rules.push_back(rule({{"regex", "Summarize the project"}},
                       content({{"Summary", "main.py sums a, b and c."}, {"TODOs", json::array()}})));
  rules.push_back(rule({{"regex", "Decide what to do about the failures"}},
                       content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "unexpected"}})));
  rules.push_back(rule({{"regex", "Write tests/test_"}}, fenced(kTestTrivial)));
  rules.push_back(rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  for (std::string f : {"a", "b", "c"}) {
    std::string value = f == "a" ? "1" : f == "b" ? "2" : "3";
    std::string code = "def value_" + f + "():\n    return " + value + "\n";
    rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) " + f + "\\.py"}}, fenced(code)));
  }
  std::string main_code =
      "from a import value_a\nfrom b import value_b\nfrom c import value_c\n\n\ndef main():\n"
      "    print(value_a() + value_b() + value_c())\n\n\nif __name__ == \"__main__\":\n    main()\n";
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) main\\.py"}}, fenced(main_code)));
  json script = {{"models", {"fake-model"}},
                 {"latency", {{"first_token_ms", 300}, {"tokens_per_second", 1000}}},
                 {"rules", rules}};
  agentco::testing::FakeLlmServer server(script.dump());
  FloorTempDir dir;
  FloorRun run = run_agentco(dir, server);
  ASSERT_EQ(run.process.exit_code, 0) << describe(run);
  ASSERT_FALSE(run.trace.empty()) << describe(run);

  std::map<long long, std::string> code_calls;  // call_id -> file
  std::map<long long, long long> starts, ends;
  for (const auto& r : run.trace) {
    std::string type = r.value("type", "");
    if (type == "llm_request" && r.contains("hints") && r["hints"].is_object() &&
        r["hints"].value("kind", "") == "code") {
      std::string file = r["hints"].value("file", "");
      if (file == "a.py" || file == "b.py" || file == "c.py") {
        long long id = r.value("call_id", -1LL);
        code_calls[id] = file;
        starts[id] = ts_ms(r.value("ts", ""));
      }
    }
  }
  for (const auto& r : run.trace) {
    if (r.value("type", "") != "llm_response") continue;
    long long id = r.value("call_id", -1LL);
    if (code_calls.count(id)) ends[id] = ts_ms(r.value("ts", ""));
  }
  ASSERT_EQ(code_calls.size(), 3u);
  ASSERT_EQ(ends.size(), 3u);
  long long latest_start = 0, earliest_end = std::numeric_limits<long long>::max();
  for (const auto& [id, s] : starts) latest_start = std::max(latest_start, s);
  for (const auto& [id, e] : ends) earliest_end = std::min(earliest_end, e);
  // All three calls were in flight at once: the last one started before the first one ended.
  EXPECT_LT(latest_start, earliest_end);

  // main.py depends on all three, so its code call starts after they all ended.
  long long main_start = -1;
  for (const auto& r : of_type(run.trace, "llm_request"))
    if (r.contains("hints") && r["hints"].is_object() && r["hints"].value("kind", "") == "code" &&
        r["hints"].value("file", "") == "main.py")
      main_start = ts_ms(r.value("ts", ""));
  long long latest_end = 0;
  for (const auto& [id, e] : ends) latest_end = std::max(latest_end, e);
  EXPECT_GE(main_start, latest_end);
}

}  // namespace
