#include "actions/run_tests.hpp"

#include <charconv>

#include <filesystem>
#include <regex>
#include <thread>

#include <boost/asio/this_coro.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "environment/program_verdict.hpp"
#include "actions/ask.hpp"
#include "actions/code_plan.hpp"
#include "actions/project_facts.hpp"
#include "actions/prompt.hpp"
#include "actions/manual_action.hpp"
#include "core/dag_scheduler.hpp"
#include "environment/process_runner.hpp"
#include "actions/run_context.hpp"

namespace agentco {
namespace {

struct Execution {
  std::string name;     // "tests/test_game.py" or "program"
  std::string command;  // for people
  ProcessResult result;
  TestCounts counts;
};

// Runs that may go at once: executions[i] is run with specs[i].
struct Jobs {
  std::vector<Execution> executions;
  std::vector<ProcessSpec> specs;
  std::string language;
};

boost::asio::awaitable<void> run_job(std::shared_ptr<Jobs> jobs, std::size_t index) {
  Execution& e = jobs->executions[index];
  e.result = co_await run_process_async(jobs->specs[index]);
  if (e.name != "program") e.counts = parse_test_output(jobs->language, e.result.stdout_text + "\n" + e.result.stderr_text);
}

std::string language_of(const ActionContext& ctx) {
  for (const auto& m : ctx.memory) {
    if (m->payload.is_object() && m->payload.contains("language")) return m->payload["language"].get<std::string>();
  }
  return "Python";
}

std::vector<std::string> string_list(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& s : v) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

// The file that starts the program, by language.
std::string entry_point(const ActionContext& ctx, const std::string& language) {
  std::vector<std::string> candidates;
  if (language == "python") candidates = {"main.py", "app.py", "run.py"};
  else if (language == "javascript") candidates = {"main.js", "index.js", "app.js"};
  const std::string prefix = ctx.run.project.source_root.empty() ? "" : ctx.run.project.source_root + "/";
  for (const auto& c : candidates) {
    if (ctx.run.workspace.exists(c)) return c;
    if (!prefix.empty() && ctx.run.workspace.exists(prefix + c)) return prefix + c;
  }
  auto design = ctx.run.documents.find("system_design");
  if (design != ctx.run.documents.end() && design->second.is_object()) {
    for (const auto& f : string_list(design->second.value("File list", nlohmann::json()))) {
      if (language_key(f) == language && ctx.run.workspace.exists(f) && !f.starts_with("tests/")) return f;
    }
  }
  return "";
}

std::string describe(const Execution& e) {
  const ProcessResult& r = e.result;
  std::string status;
  if (!r.started) status = "could not start: " + r.error;
  else if (r.timed_out) status = fmt::format("still running at the deadline ({:.1f} s), stopped", r.seconds);
  else if (r.signal) status = fmt::format("killed by signal {}", r.signal);
  else status = fmt::format("exit code {}", r.exit_code);
  return fmt::format("$ {}\n[{}; sandbox: {}{}]\n--- stdout ---\n{}\n--- stderr ---\n{}\n", e.command, status, r.sandbox,
                     r.output_truncated ? "; output truncated" : "", r.stdout_text, r.stderr_text);
}

const TemplateSlot kTriageSlot{
    "triage_prompt", "triage_tests", "QA's decision about failing tests",
    {Input::kLanguage, Input::kRound, Input::kMaxRounds, Input::kTestOutput, Input::kTestFile, Input::kTestCode,
     Input::kFile, Input::kCode, Input::kSourceFiles, Input::kTestFiles, Input::kRunInstructions, Input::kFormat}};
const TemplateSlot kFixTestSlot{
    "test_prompt", "fix_test", "a test file fixed after triage found it wrong",
    {Input::kLanguage, Input::kFile, Input::kCode, Input::kTestFile, Input::kTestCode, Input::kTestOutput,
     Input::kFeedback, Input::kPackages, Input::kRunInstructions, Input::kFormat}};

// One run that failed (a test file, the program, the build) and what it printed.
struct Failure {
  std::string name;
  std::string text;
};

std::string all_failures(const std::vector<Failure>& failures) {
  std::string out;
  for (const auto& f : failures) out += f.text + "\n";
  constexpr std::size_t kCap = 12000;
  if (out.size() > kCap) out = out.substr(0, kCap) + "\n[the rest of the output was cut]";
  return out;
}

// The test file that failed and the source file its traceback points to.
struct Diagnosis {
  std::string test_file;
  std::string source_file;
};

// The source file a test file tests ("tests/test_game.py" -> "game.py"), or "".
std::string subject_of(const ActionContext& ctx, const std::string& test_file) {
  const std::vector<std::string> sources = source_paths(ctx.run.project.sources);
  for (const auto& path : sources) {
    if (test_path_for(path, sources) == test_file) return path;
  }
  return "";
}

// The innermost frame of a traceback in `output` that is a source file of the project (not a
// test): Python's `File "path", line N` and JavaScript's `path:line:column` frames.
std::string traceback_source(const ActionContext& ctx, const std::string& output) {
  static const std::regex kPython(R"re(File "([^"]+)", line \d+)re");
  static const std::regex kJavaScript(R"(([^\s()]+\.(?:js|mjs|cjs)):\d+:\d+)");
  const std::string root = ctx.run.workspace.root().string() + "/";
  std::string found;
  for (const std::regex* frames : {&kPython, &kJavaScript}) {
    for (std::sregex_iterator it(output.begin(), output.end(), *frames), end; it != end; ++it) {
      std::string path = (*it)[1];
      if (path.starts_with(root)) path = path.substr(root.size());
      if (path.starts_with("./")) path = path.substr(2);
      if (path.starts_with("tests/") || path.starts_with("/")) continue;
      if (ctx.run.project.sources.count(path)) found = path;
    }
    if (!found.empty()) return found;
  }
  return found;
}

Diagnosis diagnose(const ActionContext& ctx, const std::vector<Failure>& failures) {
  Diagnosis d;
  for (const auto& f : failures) {
    if (f.name.starts_with("tests/") && d.test_file.empty()) d.test_file = f.name;
  }
  for (const auto& f : failures) {
    if (!d.test_file.empty() && f.name != d.test_file) continue;
    d.source_file = traceback_source(ctx, f.text);
    if (!d.source_file.empty()) break;
  }
  if (d.source_file.empty()) {
    for (const auto& f : failures) {
      d.source_file = traceback_source(ctx, f.text);
      if (!d.source_file.empty()) break;
    }
  }
  if (d.source_file.empty() && !d.test_file.empty()) d.source_file = subject_of(ctx, d.test_file);
  return d;
}

// A project file as a prompt shows it, fenced; a line saying so when there is none.
std::string shown_file(const ActionContext& ctx, const std::string& path) {
  if (path.empty()) return "(none)";
  auto text = ctx.run.workspace.read(path);
  if (!text) return "(" + path + " cannot be read)";
  return fenced(path, *text);
}

class RunTestsAction : public Action {
 public:
  explicit RunTestsAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    const std::string language = language_key(language_of(ctx));
    const int max_rounds = std::max(1, ctx.run.config.run.test_rounds);
    for (;;) {
      const int round = ++ctx.run.project.qa_round;
      std::vector<Execution> runs;
      std::vector<std::string> notes;
      co_await execute(ctx, language, runs, notes);

      int passed = 0, failed = 0;
      std::string program = "not_run";
      std::vector<std::string> paths;
      std::vector<Failure> failures;
      for (const auto& e : runs) {
        passed += e.counts.passed;
        failed += e.counts.failed;
        bool ok = e.result.started && !e.result.timed_out && e.result.exit_code == 0 && e.result.signal == 0;
        if (e.name == "program") {
          const ProgramVerdict verdict = program_verdict(e.result);
          program = verdict == ProgramVerdict::kStarted ? "started" : ok ? "exited" : "crashed";
        } else if (!ok && e.counts.failed == 0) {
          failed += 1;  // the runner itself failed (syntax error, import error, timeout)
        }
        std::string text = describe(e);
        std::string out_path = "test_outputs/" + std::filesystem::path(e.name).filename().string() + ".txt";
        if (auto w = ctx.run.write_file(ctx.role.name, out_path, text)) paths.push_back(w->path);
        ctx.run.trace.append("execution", {{"role", ctx.role.name},
                                           {"name", e.name},
                                           {"command", e.command},
                                           {"round", round},
                                           {"exit_code", e.result.exit_code},
                                           {"signal", e.result.signal},
                                           {"timed_out", e.result.timed_out},
                                           {"started", e.result.started},
                                           {"seconds", e.result.seconds},
                                           {"sandbox", e.result.sandbox},
                                           {"passed", e.counts.passed},
                                           {"failed", e.counts.failed},
                                           {"stdout", e.result.stdout_text},
                                           {"stderr", e.result.stderr_text}});
        if (!ok || e.counts.failed > 0) failures.push_back({e.name, text});
      }
      (void)ctx.run.commit(ctx.role.name + " (" + ctx.role.profile + ")",
                           fmt::format("{}: test_outputs (round {})", spec_.name, round), paths);

      bool good = failed == 0 && program != "crashed";
      nlohmann::json verdict = {{"tests_passed", passed}, {"tests_failed", failed}, {"program", program},
                                {"rounds", round},        {"notes", notes},       {"language", language}};
      ctx.run.project.qa_verdict = verdict;
      ActionOutput out;
      // The final verdict, as one plain line on the terminal.
      auto announce = [&](const nlohmann::json& v) {
        std::string line = fmt::format("QA: {} tests passed, {} failed; program {}; {} after {} round{}",
                                       v.value("tests_passed", 0), v.value("tests_failed", 0), v.value("program", "?"),
                                       v.value("decision", "?"), v.value("rounds", 0), v.value("rounds", 0) == 1 ? "" : "s");
        for (const auto& note : notes) line += "; " + note;
        spdlog::info("{}", line);
      };
      if (good || runs.empty()) {
        verdict["decision"] = good && !runs.empty() ? "passed" : "not_run";
        ctx.run.project.qa_verdict = verdict;
        out.content = fmt::format("QA round {}: {} tests passed, {} failed; program {}", round, passed, failed, program);
        out.payload = {{"verdict", verdict}};
        announce(verdict);
        co_return out;
      }
      if (round >= max_rounds) {
        verdict["decision"] = "rounds_exhausted";
        ctx.run.project.qa_verdict = verdict;
        out.content = fmt::format("QA gave up after {} rounds: {} tests passed, {} failed; program {}", round, passed,
                                  failed, program);
        out.payload = {{"verdict", verdict}};
        announce(verdict);
        co_return out;
      }
      Diagnosis diagnosis = diagnose(ctx, failures);
      auto decision = co_await triage(ctx, round, max_rounds, failures, diagnosis);
      if (!decision) co_return decision.error();
      std::string choice = decision->value("Decision", "give_up");
      std::string file = decision->value("File", "");
      verdict["decision"] = choice;
      ctx.run.project.qa_verdict = verdict;
      const std::string reason = decision->value("Reason", std::string());
      if (choice == "fix_test" && file.starts_with("tests/") && ctx.run.workspace.exists(file)) {
        auto fixed = co_await fix_test(ctx, file, failures, reason);
        if (!fixed) co_return fixed.error();
        continue;  // run again
      }
      if (choice == "fix_code" && !file.starts_with("tests/") && ctx.run.workspace.exists(file)) {
        std::string fixer = spec_.params.value("fixer", std::string());
        out.content = fmt::format("QA round {}: {} tests failed; {} must fix {}", round, failed, fixer, file);
        // The test that shows the failure: the one triage looked at, else the one named after the file.
        std::string test_file = diagnosis.test_file;
        if (test_file.empty() || diagnosis.source_file != file) {
          const std::string named = test_path_for(file, source_paths(ctx.run.project.sources));
          if (ctx.run.workspace.exists(named)) test_file = named;
        }
        out.payload = {{"decision", "fix_code"},
                       {"file", file},
                       {"round", round},
                       {"test_file", test_file},
                       {"evidence", all_failures(failures)},
                       {"first_failure", failures.empty() ? std::string() : failures.front().text},
                       {"reason", reason},
                       {"language", language_of(ctx)},
                       {"verdict", verdict}};
        if (!fixer.empty()) out.send_to = {fixer};
        co_return out;
      }
      verdict["decision"] = "give_up";
      ctx.run.project.qa_verdict = verdict;
      out.content = fmt::format("QA gave up in round {}: {}", round, reason.empty() ? "no reason given" : reason);
      out.payload = {{"verdict", verdict}};
      announce(verdict);
      co_return out;
    }
  }

 private:
  boost::asio::awaitable<void> execute(ActionContext& ctx, const std::string& language, std::vector<Execution>& runs,
                                       std::vector<std::string>& notes) {
    const std::string root = ctx.run.workspace.root().string();
    const std::vector<std::string> tests = ctx.run.project.tests;
    auto base = [&](std::vector<std::string> argv, std::chrono::milliseconds deadline) {
      ProcessSpec spec;
      spec.argv = std::move(argv);
      spec.cwd = root;
      spec.deadline = deadline;
      spec.env["PYTHONDONTWRITEBYTECODE"] = "1";
      spec.env["TERM"] = "xterm";
      return spec;
    };
    const std::chrono::milliseconds test_deadline(10000), smoke_deadline(5000);
    // A missing toolchain is said plainly: in the verdict's notes and, once, as a warning.
    auto missing = [&](const std::string& text) {
      notes.push_back(text);
      if (ctx.run.project.qa_round == 1) {
        ctx.run.warn(ctx.role.name, text);
      }
    };
    auto smoke_spec = [&](std::vector<std::string> argv) {
      ProcessSpec spec = base(std::move(argv), smoke_deadline);
      spec.keep_stdin_open = true;
      spec.terminal = true;  // curses programs need a terminal to start
      return spec;
    };
    auto smoke = [&](std::vector<std::string> argv, std::string command) -> boost::asio::awaitable<void> {
      Execution e{"program", std::move(command), {}, {}};
      e.result = co_await run_process_async(smoke_spec(std::move(argv)));
      runs.push_back(std::move(e));
    };
    if (language == "python" || language == "javascript") {
      const bool python = language == "python";
      if (!program_available(python ? "python3" : "node")) {
        missing(python ? "python3 is not installed: the Python tests and program were not run"
                       : "node is not installed: the JavaScript tests and program were not run");
        co_return;
      }
      // The test files and the program's smoke run are independent: they run at once
      // (a few at a time), so a game waiting for input at its deadline costs no extra time.
      const std::string interpreter = python ? "python3" : "node";
      std::vector<Execution> jobs;
      std::vector<ProcessSpec> specs;
      for (const auto& t : tests) {
        if (python) {
          jobs.push_back({t, "python3 -m unittest -v " + t, {}, {}});
          specs.push_back(base({interpreter, "-m", "unittest", "-v", t}, test_deadline));
        } else {
          jobs.push_back({t, "node --test " + t, {}, {}});
          specs.push_back(base({interpreter, "--test", "--test-reporter=tap", t}, test_deadline));
        }
      }
      if (std::string entry = entry_point(ctx, language); !entry.empty()) {
        jobs.push_back({"program", (python ? "python3 " : "node ") + entry, {}, {}});
        std::vector<std::string> argv = {interpreter, entry};
        specs.push_back(smoke_spec(std::move(argv)));
      }
      auto shared = std::make_shared<Jobs>(Jobs{std::move(jobs), std::move(specs), language});
      std::function<boost::asio::awaitable<void>(std::size_t)> task = [shared](std::size_t i) { return run_job(shared, i); };
      std::vector<std::vector<std::size_t>> no_deps(shared->executions.size());
      const std::size_t limit = std::max(2u, std::thread::hardware_concurrency());
      auto executor = co_await boost::asio::this_coro::executor;
      co_await run_dag(executor, no_deps, limit, task);
      for (auto& e : shared->executions) runs.push_back(std::move(e));
    } else if (language == "cpp") {
      if (!program_available("cmake") || !program_available("g++")) {
        missing(std::string(program_available("cmake") ? "g++" : "cmake") +
                " is not installed: the C++ project was not built, its tests and program were not run");
        co_return;
      }
      if (!ctx.run.workspace.exists("CMakeLists.txt")) {
        // The engineer wrote no build: QA uses the generic one (sources, main.cpp, tests/*.cpp).
        std::string path, name = "program";
        if (auto prd = ctx.run.documents.find("prd"); prd != ctx.run.documents.end() && prd->second.is_object()) {
          name = prd->second.value("Project Name", name);
        }
        std::string text = dependency_manifest("C++", name, {}, path);
        if (auto w = ctx.run.write_file(ctx.role.name, path, text)) {
          (void)ctx.run.commit(ctx.role.name + " (" + ctx.role.profile + ")", spec_.name + ": CMakeLists.txt", {w->path});
          notes.push_back("the project had no CMakeLists.txt: QA wrote a generic one");
        }
      }
      Execution build{"build", "cmake -S . -B build && cmake --build build", {}, {}};
      ProcessSpec spec5 = base({"sh", "-c", "cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build build -j2"},
                               std::chrono::milliseconds(180000));
      build.result = co_await run_process_async(std::move(spec5));
      const bool built = build.result.started && !build.result.timed_out && build.result.exit_code == 0 &&
                         build.result.signal == 0;
      runs.push_back(std::move(build));
      if (!built) co_return;
      if (!tests.empty()) {
        Execution e{"ctest", "ctest --test-dir build --output-on-failure", {}, {}};
        ProcessSpec spec6 = base({"ctest", "--test-dir", "build", "--output-on-failure", "--timeout", "10"},
                                 std::chrono::milliseconds(60000));
        e.result = co_await run_process_async(std::move(spec6));
        e.counts = parse_test_output(language, e.result.stdout_text);
        runs.push_back(std::move(e));
      }
      auto cmake_lists = ctx.run.workspace.read("CMakeLists.txt");
      std::string program = cmake_lists ? cmake_program_name(*cmake_lists) : "";
      if (!program.empty() && ctx.run.workspace.exists("build/" + program)) {
        std::vector<std::string> argv = {"./build/" + program};
        co_await smoke(std::move(argv), "./build/" + program);
      } else {
        notes.push_back("no program target found in CMakeLists.txt: the program was not run");
      }
    } else {
      missing("no test runner for " + language + ": tests were not run");
    }
  }

  boost::asio::awaitable<Result<nlohmann::json>> triage(ActionContext& ctx, int round, int max_rounds,
                                                        const std::vector<Failure>& failures,
                                                        const Diagnosis& diagnosis) {
    OutputSchema schema{
        {{"Decision", "str", "fix_code, fix_test or give_up", true, "fix_code"},
         {"File", "str", "the file to change: a source file for fix_code, a test file for fix_test; empty for give_up",
          true, "board.py"},
         {"Reason", "str", "what is wrong and the line of the output that shows it", true,
          "Board.place raises IndexError for (0, 0): the traceback's last frame is board.py line 12, which indexes "
          "self.cells[y][x] before checking the bounds"}}};
    PromptValues values(kTriageSlot);
    const std::string language = language_of(ctx);
    values.set(Input::kLanguage, language);
    values.set(Input::kRound, std::to_string(round));
    values.set(Input::kMaxRounds, std::to_string(max_rounds));
    values.set_sizes(Input::kTestOutput, {{"every failure", all_failures(failures)},
                                          {"the first failure", failures.empty() ? "" : failures.front().text}});
    values.set(Input::kTestFile, diagnosis.test_file.empty() ? "(no test failed: see the program's run)" : diagnosis.test_file);
    values.set(Input::kTestCode, shown_file(ctx, diagnosis.test_file));
    values.set(Input::kFile, diagnosis.source_file.empty() ? "(the output names no source file)" : diagnosis.source_file);
    values.set(Input::kCode, shown_file(ctx, diagnosis.source_file));
    std::string sources, tests;
    for (const auto& [path, _] : ctx.run.project.sources) sources += "- " + path + "\n";
    for (const auto& path : ctx.run.project.tests) tests += "- " + path + "\n";
    values.set(Input::kSourceFiles, sources.empty() ? "(none)" : sources.substr(0, sources.size() - 1));
    values.set(Input::kTestFiles, tests.empty() ? "(none)" : tests.substr(0, tests.size() - 1));
    values.set(Input::kRunInstructions, run_instructions(ctx.run, language));
    values.set(Input::kFormat, format_instructions(schema));
    Result<ChatRequest> request = build_request(ctx, values, {{"kind", "triage"}, {"round", round}});
    if (!request) co_return request.error();
    Result<StructuredReply> reply = co_await ask_structured(ctx, std::move(*request), schema);
    if (!reply) {
      if (reply.error().code == "parse") co_return nlohmann::json{{"Decision", "give_up"}, {"Reason", reply.error().message}};
      co_return reply.error();
    }
    co_return reply->value;
  }

  // QA rewrites a test file that triage found wrong, shown the test, the source it tests and
  // what running it printed.
  boost::asio::awaitable<Result<std::string>> fix_test(ActionContext& ctx, const std::string& test_file,
                                                       const std::vector<Failure>& failures, const std::string& reason) {
    auto test_code = ctx.run.workspace.read(test_file);
    if (!test_code) co_return test_code.error();
    std::string source = subject_of(ctx, test_file);
    const std::string language = language_of(ctx);
    PromptValues values(kFixTestSlot);
    values.set(Input::kLanguage, language);
    values.set(Input::kFile, source.empty() ? "(no source file matches this test)" : source);
    values.set(Input::kCode, shown_file(ctx, source));
    values.set(Input::kTestFile, test_file);
    values.set(Input::kTestCode, fenced(test_file, *test_code));
    values.set_sizes(Input::kTestOutput, {{"every failure", all_failures(failures)},
                                          {"the first failure", failures.empty() ? "" : failures.front().text}});
    values.set(Input::kFeedback, reason.empty() ? "(triage gave no reason)" : reason);
    values.set(Input::kPackages, packages_text(ctx.run));
    values.set(Input::kRunInstructions, run_instructions(ctx.run, language));
    values.set(Input::kFormat, code_format(language, test_file));
    nlohmann::json hints = {{"kind", "test"}, {"step", "fix_test"}, {"file", source}, {"test_file", test_file},
                            {"language", language_key(test_file)}};
    Result<ChatRequest> request = build_request(ctx, values, std::move(hints));
    if (!request) co_return request.error();
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(*request));
    if (!reply) co_return reply.error();
    std::string code = extract_code(reply->text);
    if (code.find_first_not_of(" \t\r\n") == std::string::npos) {
      co_return make_error("parse", fmt::format("the model's reply for {} holds no code", test_file));
    }
    if (code.back() != '\n') code += '\n';
    auto written = ctx.run.write_file(ctx.role.name, test_file, code);
    if (!written) co_return written.error();
    (void)ctx.run.commit(ctx.role.name + " (" + ctx.role.profile + ")", fmt::format("FixTest: {}", test_file),
                         {written->path});
    co_return written->path;
  }

  ActionSpec spec_;
};

}  // namespace

namespace {

// A count printed by a test runner whose output the model's code controls: digits only, so
// a number too large for an int is clamped instead of throwing (std::stoi would).
int count_of(const std::string& digits) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) return 1'000'000'000;
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0) return 0;
  return static_cast<int>(std::min<long long>(value, 1'000'000'000));
}

}  // namespace

TestCounts parse_test_output(const std::string& language, const std::string& output) {
  TestCounts counts;
  std::smatch m;
  if (language == "python") {
    static const std::regex kRan(R"(Ran (\d+) tests?)");
    static const std::regex kFailed(R"(FAILED \(([^)]*)\))");
    static const std::regex kPytest(R"((\d+) passed)");
    static const std::regex kPytestFailed(R"((\d+) failed)");
    if (std::regex_search(output, m, kRan)) {
      counts.parsed = true;
      int ran = count_of(m[1]);
      int bad = 0;
      if (std::regex_search(output, m, kFailed)) {
        static const std::regex kNum(R"((failures|errors)=(\d+))");
        std::string inner = m[1];
        for (std::sregex_iterator it(inner.begin(), inner.end(), kNum), end; it != end; ++it) bad += count_of((*it)[2]);
      }
      counts.failed = bad;
      counts.passed = std::max(0, ran - bad);
    } else if (std::regex_search(output, m, kPytest)) {
      counts.parsed = true;
      counts.passed = count_of(m[1]);
      if (std::regex_search(output, m, kPytestFailed)) counts.failed = count_of(m[1]);
    }
  } else if (language == "javascript") {
    static const std::regex kPass(R"(# pass (\d+))");
    static const std::regex kFail(R"(# fail (\d+))");
    if (std::regex_search(output, m, kPass)) {
      counts.parsed = true;
      counts.passed = count_of(m[1]);
    }
    if (std::regex_search(output, m, kFail)) counts.failed = count_of(m[1]);
  } else {
    static const std::regex kCtest(R"((\d+) tests failed out of (\d+))");
    if (std::regex_search(output, m, kCtest)) {
      counts.parsed = true;
      counts.failed = count_of(m[1]);
      counts.passed = std::max(0, count_of(m[2]) - counts.failed);
    }
  }
  return counts;
}

ActionType run_tests_action_type() {
  return {{.name = "run_tests",
           .summary = "runs the tests and the program in a sandbox; triages failures",
           .needs_prompt = false,
           .param_keys = {"fixer", "triage_prompt", "test_prompt"},
           .role_keys = {"fixer"},
           .slots = {kTriageSlot, kFixTestSlot}},
          [](const ActionSpec& spec) { return std::make_unique<RunTestsAction>(spec); }};
}

}  // namespace agentco
