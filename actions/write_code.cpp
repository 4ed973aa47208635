#include "actions/write_code.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/code_checks.hpp"
#include "actions/code_plan.hpp"
#include "actions/design_excerpt.hpp"
#include "actions/project_facts.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "core/dag_scheduler.hpp"
#include "environment/process_runner.hpp"
#include "sop/model_choice.hpp"

namespace agentco {
namespace {

// What every template about one source file is given; the stable, run-wide inputs
// (packages, how QA runs the code, shared knowledge) come first in the templates.
std::vector<Input> file_inputs(std::initializer_list<Input> more) {
  std::vector<Input> inputs = {Input::kLanguage,     Input::kFile,     Input::kTask,         Input::kFileDesign,
                               Input::kDependencies, Input::kPackages, Input::kRunInstructions,
                               Input::kSharedKnowledge, Input::kFormat};
  inputs.insert(inputs.end(), more);
  return inputs;
}

const TemplateSlot kWriteSlot{"prompt", "write_code", "the first version of one file", file_inputs({})};
const TemplateSlot kReviewSlot{"review_prompt", "review_code", "the review of one file",
                               file_inputs({Input::kCode, Input::kStaticCheck})};
const TemplateSlot kRewriteSlot{"rewrite_prompt", "rewrite_code", "one file rewritten after its review",
                                file_inputs({Input::kCode, Input::kFeedback})};
const TemplateSlot kSummarySlot{"summary_prompt", "summarize_code", "the summary of the whole project",
                                {Input::kLanguage, Input::kCodeListing, Input::kPackages, Input::kRunInstructions,
                                 Input::kSharedKnowledge, Input::kFormat}};
const TemplateSlot kTestSlot{"prompt", "write_test", "the test file of one source file",
                             {Input::kLanguage, Input::kFile, Input::kFileDesign, Input::kCode, Input::kTestFile, Input::kPackages,
                              Input::kRunInstructions, Input::kFormat}};
const TemplateSlot kFixSlot{"prompt", "fix_code", "a source file fixed after QA's test run",
                            file_inputs({Input::kCode, Input::kTestFile, Input::kTestCode, Input::kTestOutput,
                                         Input::kFeedback})};

std::string author_of(const ActionContext& ctx) { return ctx.role.name + " (" + ctx.role.profile + ")"; }

const nlohmann::json& document_or_null(const ActionContext& ctx, const std::string& name) {
  static const nlohmann::json kNull;
  auto it = ctx.run.documents.find(name);
  return it == ctx.run.documents.end() ? kNull : it->second;
}

std::string shared_knowledge(const ActionContext& ctx) {
  const nlohmann::json& tasks = document_or_null(ctx, "tasks");
  if (tasks.is_object() && tasks.contains("Shared Knowledge") && tasks["Shared Knowledge"].is_string() &&
      !tasks["Shared Knowledge"].get<std::string>().empty()) {
    return tasks["Shared Knowledge"].get<std::string>();
  }
  return "(none)";
}

std::string format_check(const StaticCheck& check) {
  if (check.problems.empty()) return check.tool.empty() ? "(no checker for this language)" : "passed (" + check.tool + ")";
  return fmt::format("{}", fmt::join(check.problems, "\n"));
}

// The inputs every file template shares: the run-wide facts, then the file's own.
void set_file_inputs(const ActionContext& ctx, PromptValues& values, const std::string& language,
                     const std::string& path, std::vector<SizedText> dependencies) {
  values.set(Input::kLanguage, language);
  values.set(Input::kFile, path);
  const std::string task = file_task(ctx.run, path);
  values.set(Input::kTask, task);
  values.set_sizes(Input::kFileDesign,
                   file_design_sizes(ctx.run, path, task, model_for(ctx.run.config.llm, ctx.role, ctx.spec)));
  values.set_sizes(Input::kDependencies, std::move(dependencies));
  values.set(Input::kPackages, packages_text(ctx.run));
  values.set(Input::kRunInstructions, run_instructions(ctx.run, language));
  values.set(Input::kSharedKnowledge, shared_knowledge(ctx));
  values.set(Input::kFormat, code_format(language, path));
}

struct WrittenCode {
  std::string path;  // normalized
  std::string code;
};

// Asks for a file (fresh, or rewritten), writes and commits it.
boost::asio::awaitable<Result<WrittenCode>> produce_file(ActionContext& ctx, const std::string& path,
                                                         const PromptValues& values, nlohmann::json hints,
                                                         const std::string& commit_message) {
  Result<ChatRequest> request = build_request(ctx, values, std::move(hints));
  if (!request) co_return request.error();
  Result<ChatResult> reply = co_await ask_text(ctx, std::move(*request));
  if (!reply) co_return reply.error();
  std::string code = extract_code(reply->text);
  if (code.find_first_not_of(" \t\r\n") == std::string::npos) {
    co_return make_error("parse", fmt::format("the model's reply for {} holds no code", path));
  }
  if (code.back() != '\n') code += '\n';
  auto written = ctx.run.write_file(ctx.role.name, path, code);
  if (!written) co_return written.error();
  (void)ctx.run.commit(author_of(ctx), commit_message, {written->path});
  if (!written->path.starts_with("tests/")) ctx.run.project.sources[written->path] = code;
  co_return WrittenCode{written->path, code};
}

// Shared state of one write_code turn; coroutines take it by shared_ptr.
struct CodeTurn {
  ActionContext& ctx;
  CodePlan plan;
  std::vector<std::string> written;   // by plan index; "" when not written
  std::vector<std::string> sources;   // by plan index
  std::vector<int> reviews;           // review rounds used, by plan index
  std::optional<Error> error;         // first error that stops the turn (budget, interrupted, ...)

  bool stopping() const { return error.has_value(); }
  void fail(const Error& e) {
    if (!error) error = e;
  }
};

// The files this one imports: those of the plan it depends on, as written so far, and files
// that exist already (incremental development) that its task names.
std::vector<SizedText> plan_dependencies(const CodeTurn& turn, std::size_t index) {
  const PlannedFile& file = turn.plan.files[index];
  std::vector<std::pair<std::string, std::string>> files;
  for (std::size_t d : file.deps) {
    if (!turn.written[d].empty()) files.emplace_back(turn.written[d], turn.sources[d]);
  }
  for (const auto& [path, source] : turn.ctx.run.project.sources) {
    // Captured by name: clang 14 (the fuzz build) cannot capture a structured binding.
    bool planned = std::any_of(turn.plan.files.begin(), turn.plan.files.end(),
                               [&path = path](const PlannedFile& f) { return f.path == path; });
    if (!planned && mentions_file(file.analysis, path)) files.emplace_back(path, source);
  }
  return files_in_sizes(files, "(none: this file imports no other file of the project)");
}

PromptValues file_values(const CodeTurn& turn, std::size_t index, const TemplateSlot& slot) {
  PromptValues values(slot);
  set_file_inputs(turn.ctx, values, turn.plan.language, turn.written[index].empty() ? turn.plan.files[index].path
                                                                                   : turn.written[index],
                  plan_dependencies(turn, index));
  return values;
}

nlohmann::json file_hints(const CodeTurn& turn, std::size_t index, const char* kind) {
  std::vector<std::string> deps;
  for (std::size_t d : turn.plan.files[index].deps) {
    if (!turn.written[d].empty()) deps.push_back(turn.written[d]);
  }
  return {{"kind", kind},
          {"file", turn.plan.files[index].path},
          {"language", language_key(turn.plan.language)},
          {"depends_on", deps}};
}

// Static check + review, and rewrites while the review says LBTM (bounded).
boost::asio::awaitable<void> review_loop(std::shared_ptr<CodeTurn> turn, std::size_t index) {
  ActionContext& ctx = turn->ctx;
  const std::string path = turn->written[index];
  const int rounds = std::max(0, ctx.run.config.run.code_review_rounds);
  for (int round = 1; round <= rounds && !turn->stopping(); ++round) {
    StaticCheck check =
        co_await static_check(ctx.run.workspace.root(), path, turn->sources[index], ctx.run.project.sources);
    PromptValues review = file_values(*turn, index, kReviewSlot);
    // A review checks the calls into other files against their signatures: interfaces do.
    std::vector<SizedText> dependencies = plan_dependencies(*turn, index);
    if (dependencies.size() > 1) dependencies.erase(dependencies.begin());
    review.set_sizes(Input::kDependencies, std::move(dependencies));
    review.set(Input::kCode, fenced(path, turn->sources[index]));
    review.set(Input::kStaticCheck, format_check(check));
    nlohmann::json hints = file_hints(*turn, index, "review");
    hints["round"] = round;
    Result<ChatRequest> request = build_request(ctx, review, std::move(hints));
    if (!request) co_return turn->fail(request.error());
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(*request));
    if (!reply) co_return turn->fail(reply.error());
    std::string verdict = review_verdict(reply->text);
    if (verdict.empty()) verdict = check.ok ? "LGTM" : "LBTM";
    if (!check.ok) verdict = "LBTM";
    turn->reviews[index] = round;
    ctx.run.trace.append("review", {{"role", ctx.role.name},
                                    {"file", path},
                                    {"round", round},
                                    {"verdict", verdict},
                                    {"static_check", check.problems},
                                    {"static_tool", check.tool}});
    if (verdict == "LGTM") co_return;
    if (round == rounds) {
      ctx.run.warn(ctx.role.name, fmt::format("{} still has review findings after {} rounds; keeping it", path, rounds));
      co_return;
    }
    PromptValues rewrite = file_values(*turn, index, kRewriteSlot);
    rewrite.set(Input::kCode, fenced(path, turn->sources[index]));
    rewrite.set(Input::kFeedback,
                strip_think(reply->text) + (check.ok ? "" : "\n\nThe static check found:\n" + format_check(check)));
    Result<WrittenCode> code = co_await produce_file(ctx, path, rewrite, file_hints(*turn, index, "rewrite"),
                                                     fmt::format("RewriteCode: {} (review round {})", path, round));
    if (!code) co_return turn->fail(code.error());
    turn->sources[index] = code->code;
  }
}

boost::asio::awaitable<void> write_one(std::shared_ptr<CodeTurn> turn, std::size_t index) {
  ActionContext& ctx = turn->ctx;
  if (turn->stopping()) co_return;
  const PlannedFile& file = turn->plan.files[index];
  Result<WrittenCode> code = co_await produce_file(ctx, file.path, file_values(*turn, index, kWriteSlot),
                                                   file_hints(*turn, index, "code"),
                                                   fmt::format("{}: {}", ctx.spec.name, file.path));
  if (!code) {
    // A refused file name or a reply without code loses this file only; dependents go on.
    if (code.error().code == "path" || code.error().code == "parse" || code.error().code == "io") {
      ctx.run.warn(ctx.role.name, code.error().message);
      co_return;
    }
    co_return turn->fail(code.error());
  }
  turn->written[index] = code->path;
  turn->sources[index] = code->code;
  co_await review_loop(turn, index);
}

// The whole-project summary; files with TODOs get one more rewrite each.
boost::asio::awaitable<void> summarize(std::shared_ptr<CodeTurn> turn) {
  ActionContext& ctx = turn->ctx;
  OutputSchema schema{{{"Summary", "str", "What each file does and how they fit together.", true,
                        "board.py holds Board and its rules; game.py runs a Game on a Board; main.py reads the "
                        "player's moves and prints the board after each one."},
                       {"TODOs", "list[list[str]]", "[file, the concrete change it still needs]; empty when complete.",
                        true,
                        nlohmann::json::array({nlohmann::json::array(
                            {"game.py", "Game.is_over() is missing: return True when no empty cell is left"})})}}};
  std::vector<std::pair<std::string, std::string>> files;
  for (std::size_t i = 0; i < turn->written.size(); ++i) {
    if (!turn->written[i].empty()) files.emplace_back(turn->written[i], turn->sources[i]);
  }
  PromptValues values(kSummarySlot);
  values.set(Input::kLanguage, turn->plan.language);
  values.set_sizes(Input::kCodeListing, files_in_sizes(files, "(no file was written)"));
  values.set(Input::kPackages, packages_text(ctx.run));
  values.set(Input::kRunInstructions, run_instructions(ctx.run, turn->plan.language));
  values.set(Input::kSharedKnowledge, shared_knowledge(ctx));
  values.set(Input::kFormat, format_instructions(schema));
  Result<ChatRequest> request = build_request(ctx, values, {{"kind", "summary"}});
  if (!request) co_return turn->fail(request.error());
  Result<StructuredReply> reply = co_await ask_structured(ctx, std::move(*request), schema);
  if (!reply) {
    if (reply.error().code == "parse") ctx.run.warn(ctx.role.name, "code summary skipped: " + reply.error().message);
    else turn->fail(reply.error());
    co_return;
  }
  const nlohmann::json& value = reply->value;
  std::string md = "# Code summary\n\n" + value["Summary"].get<std::string>() + "\n\n## TODOs\n\n";
  std::vector<std::pair<std::size_t, std::string>> todos;
  for (const auto& row : value["TODOs"]) {
    if (row.size() < 2) continue;
    md += fmt::format("- {}: {}\n", row[0].get<std::string>(), row[1].get<std::string>());
    for (std::size_t i = 0; i < turn->written.size(); ++i) {
      if (turn->written[i] == row[0].get<std::string>()) todos.emplace_back(i, row[1].get<std::string>());
    }
  }
  if (value["TODOs"].empty()) md += "(none)\n";
  if (auto w = ctx.run.write_file(ctx.role.name, "docs/code_summary.md", md)) {
    (void)ctx.run.commit(author_of(ctx), "SummarizeCode: docs/code_summary.md", {w->path});
  }
  ctx.run.project.code_summary = value;
  for (const auto& [index, todo] : todos) {
    if (turn->stopping()) co_return;
    PromptValues rewrite = file_values(*turn, index, kRewriteSlot);
    rewrite.set(Input::kCode, fenced(turn->written[index], turn->sources[index]));
    rewrite.set(Input::kFeedback, "TODO from the project summary: " + todo);
    Result<WrittenCode> code =
        co_await produce_file(ctx, turn->written[index], rewrite, file_hints(*turn, index, "rewrite"),
                              fmt::format("RewriteCode: {} (summary TODO)", turn->written[index]));
    if (!code) co_return turn->fail(code.error());
    turn->sources[index] = code->code;
  }
}


// The file a Python or Node traceback points at last, among the files this turn wrote; the
// entry point when it names none of them.
std::size_t failing_file(const CodeTurn& turn, const std::string& output, std::size_t entry) {
  std::size_t found = entry;
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i < turn.written.size(); ++i) {
    const std::string& path = turn.written[i];
    if (path.empty()) continue;
    // Python: File "/project/game.py", line 3; Node: /project/game.js:3:7.
    for (const std::string& mark : {"/" + path + "\", line", "\"" + path + "\", line", "/" + path + ":"}) {
      const std::size_t where = output.rfind(mark);
      if (where != std::string::npos && (at == std::string::npos || where > at)) {
        at = where;
        found = i;
      }
    }
  }
  return found;
}

// The engineer runs the program once before QA sees it (SOP `run_before_qa: true`): a crash
// at start (a traceback, not a program still running at the deadline or waiting for input)
// gets one rewrite of the file it points at, shown the output. Python and JavaScript; other
// languages are left to QA, which builds them.
boost::asio::awaitable<nlohmann::json> run_before_qa(std::shared_ptr<CodeTurn> turn) {
  ActionContext& ctx = turn->ctx;
  const std::string language = language_key(turn->plan.language);
  const bool python = language == "python";
  if (!python && language != "javascript") co_return nlohmann::json{{"ran", false}, {"why", "not Python or JavaScript"}};
  const std::string interpreter = python ? "python3" : "node";
  if (!program_available(interpreter)) co_return nlohmann::json{{"ran", false}, {"why", interpreter + " is not installed"}};
  std::size_t entry = turn->written.size();
  for (const char* name : {"main.py", "app.py", "main.js", "index.js", "app.js"})
    for (std::size_t i = 0; i < turn->written.size() && entry == turn->written.size(); ++i)
      if (turn->written[i] == name || turn->written[i].ends_with(std::string("/") + name)) entry = i;
  if (entry == turn->written.size()) co_return nlohmann::json{{"ran", false}, {"why", "no entry point was written"}};
  const std::string command = interpreter + " " + turn->written[entry];
  ProcessSpec spec;
  spec.argv = {interpreter, turn->written[entry]};
  spec.cwd = ctx.run.workspace.root().string();
  spec.deadline = std::chrono::milliseconds(5000);
  spec.keep_stdin_open = true;
  spec.terminal = true;  // curses programs need a terminal to start
  spec.env["PYTHONDONTWRITEBYTECODE"] = "1";
  spec.env["TERM"] = "xterm";
  ProcessResult result = co_await run_process_async(std::move(spec));
  const bool crashed = result.started && !result.timed_out && (result.exit_code != 0 || result.signal != 0);
  nlohmann::json report = {{"ran", true}, {"command", command}, {"exit_code", result.exit_code},
                           {"timed_out", result.timed_out}, {"ok", !crashed}};
  ctx.run.trace.append("self_check", {{"role", ctx.role.name}, {"command", command}, {"exit_code", result.exit_code},
                                      {"signal", result.signal}, {"timed_out", result.timed_out}, {"ok", !crashed}});
  if (!crashed) co_return report;
  std::string output = result.stderr_text.empty() ? result.stdout_text : result.stderr_text;
  if (output.size() > 3000) output = "..." + output.substr(output.size() - 3000);
  const std::size_t index = failing_file(*turn, output, entry);
  const std::string& path = turn->written[index];
  PromptValues rewrite = file_values(*turn, index, kRewriteSlot);
  rewrite.set(Input::kCode, fenced(path, turn->sources[index]));
  rewrite.set(Input::kFeedback, fmt::format("Running the program with `{}` before handing it to QA failed ({}). "
                                            "Fix what this output shows:\n{}",
                                            command, result.signal ? fmt::format("signal {}", result.signal)
                                                                   : fmt::format("exit code {}", result.exit_code),
                                            output));
  Result<WrittenCode> code = co_await produce_file(ctx, path, rewrite, file_hints(*turn, index, "rewrite"),
                                                   fmt::format("WriteCode: {} fixed after running the program", path));
  if (!code) {
    turn->fail(code.error());
    co_return report;
  }
  turn->sources[index] = code->code;
  report["fixed"] = path;
  co_return report;
}

class WriteCodeAction : public Action {
 public:
  explicit WriteCodeAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    auto turn = std::make_shared<CodeTurn>(CodeTurn{ctx,
                                                    make_code_plan(document_or_null(ctx, "tasks"),
                                                                   document_or_null(ctx, "system_design"),
                                                                   document_or_null(ctx, "prd")),
                                                    {}, {}, {}, std::nullopt});
    if (turn->plan.files.empty()) {
      co_return make_error("plan", spec_.name + ": the task list names no files to write");
    }
    // A MetaGPT project keeps its sources in a sub-folder; task lists name them without it.
    if (!ctx.run.project.source_root.empty()) {
      const std::string prefix = ctx.run.project.source_root + "/";
      for (auto& f : turn->plan.files) {
        if (!f.path.starts_with(prefix)) f.path = prefix + f.path;
      }
    }
    const std::size_t n = turn->plan.files.size();
    turn->written.assign(n, "");
    turn->sources.assign(n, "");
    turn->reviews.assign(n, 0);
    std::vector<std::vector<std::size_t>> deps;
    for (const auto& f : turn->plan.files) deps.push_back(f.deps);

    std::function<boost::asio::awaitable<void>(std::size_t)> task = [turn](std::size_t i) { return write_one(turn, i); };
    co_await run_dag(ctx.run.executor, deps, 0, task);
    if (turn->error) co_return *turn->error;
    if (std::all_of(turn->written.begin(), turn->written.end(), [](const std::string& w) { return w.empty(); })) {
      co_return make_error("plan", spec_.name + ": no source file could be written");
    }
    co_await summarize(turn);
    if (turn->error) co_return *turn->error;
    nlohmann::json self_check;
    if (yes_param(spec_, "run_before_qa")) {
      self_check = co_await run_before_qa(turn);
      if (turn->error) co_return *turn->error;
    }

    std::vector<std::string> files;
    int review_rounds = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (turn->written[i].empty()) continue;
      files.push_back(turn->written[i]);
      review_rounds += turn->reviews[i];
    }
    ctx.run.project.review_rounds = review_rounds;
    ActionOutput out;
    out.content = fmt::format("Wrote {} files: {}", files.size(), fmt::join(files, ", "));
    out.payload = {{"files", files}, {"language", turn->plan.language}, {"review_rounds", review_rounds}};
    if (!self_check.is_null()) out.payload["run_before_qa"] = self_check;
    co_return out;
  }

 private:
  ActionSpec spec_;
};

struct TestTurn {
  ActionContext& ctx;
  std::vector<std::string> sources;
  std::vector<std::string> written;
  std::string language;
  std::optional<Error> error;
};

boost::asio::awaitable<void> write_one_test(std::shared_ptr<TestTurn> turn, std::size_t index) {
  ActionContext& ctx = turn->ctx;
  if (turn->error) co_return;
  const std::string& source_path = turn->sources[index];
  auto source = ctx.run.workspace.read(source_path);
  if (!source) co_return;
  std::string test_path = test_path_for(source_path, source_paths(ctx.run.project.sources));
  PromptValues values(kTestSlot);
  values.set(Input::kLanguage, turn->language);
  values.set(Input::kFile, source_path);
  values.set_sizes(Input::kFileDesign, file_design_sizes(ctx.run, source_path, file_task(ctx.run, source_path),
                                                        model_for(ctx.run.config.llm, ctx.role, ctx.spec)));
  values.set(Input::kCode, fenced(source_path, *source));
  values.set(Input::kTestFile, test_path);
  values.set(Input::kPackages, packages_text(ctx.run));
  values.set(Input::kRunInstructions, run_instructions(ctx.run, turn->language));
  values.set(Input::kFormat, code_format(turn->language, test_path));
  nlohmann::json hints = {{"kind", "test"},
                          {"file", source_path},
                          {"test_file", test_path},
                          {"language", language_key(source_path)}};
  std::string message = fmt::format("{}: {}", ctx.spec.name, test_path);
  Result<WrittenCode> code = co_await produce_file(ctx, test_path, values, std::move(hints), message);
  if (!code) {
    if (code.error().code == "path" || code.error().code == "parse" || code.error().code == "io") {
      ctx.run.warn(ctx.role.name, code.error().message);
    } else if (!turn->error) {
      turn->error = code.error();
    }
    co_return;
  }
  turn->written[index] = code->path;
}

class WriteTestsAction : public Action {
 public:
  explicit WriteTestsAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    auto turn = std::make_shared<TestTurn>(TestTurn{ctx, {}, {}, "Python", std::nullopt});
    for (const auto& message : ctx.news) {
      if (!message->payload.is_object() || !message->payload.contains("files")) continue;
      for (const auto& f : message->payload["files"]) {
        // Build files, headers and a C++ main() get no test file of their own.
        if (f.is_string() && is_testable_source(f.get<std::string>())) turn->sources.push_back(f.get<std::string>());
      }
      turn->language = message->payload.value("language", turn->language);
    }
    if (turn->sources.empty()) {
      // e.g. a C++ program that is all main(): QA still builds and runs it.
      ctx.run.project.tests.clear();
      ActionOutput out;
      out.content = "No source file that a test file could test: the program is run without tests";
      out.payload = {{"tests", nlohmann::json::array()}, {"language", turn->language}};
      co_return out;
    }
    turn->written.assign(turn->sources.size(), "");
    std::vector<std::vector<std::size_t>> no_deps(turn->sources.size());
    std::function<boost::asio::awaitable<void>(std::size_t)> task = [turn](std::size_t i) { return write_one_test(turn, i); };
    co_await run_dag(ctx.run.executor, no_deps, 0, task);
    if (turn->error) co_return *turn->error;

    std::vector<std::string> tests;
    for (const auto& w : turn->written) {
      if (!w.empty()) tests.push_back(w);
    }
    ctx.run.project.tests = tests;
    ActionOutput out;
    out.content = fmt::format("Wrote {} test files: {}", tests.size(), fmt::join(tests, ", "));
    out.payload = {{"tests", tests}, {"language", turn->language}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

class FixCodeAction : public Action {
 public:
  explicit FixCodeAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    ActionOutput out;
    const Message* request = nullptr;
    for (const auto& m : ctx.news) {
      if (m->payload.is_object() && m->payload.value("decision", "") == "fix_code") request = m.get();
    }
    if (!request) {
      out.publish = false;
      co_return out;
    }
    std::string file = request->payload.value("file", "");
    if (file.starts_with("tests/") || file.empty() || !ctx.run.workspace.exists(file)) {
      ctx.run.warn(ctx.role.name, fmt::format("QA asked to fix '{}', which is not a source file of the project", file));
      out.publish = false;
      co_return out;
    }
    auto current = ctx.run.workspace.read(file);
    if (!current) co_return current.error();
    const std::string language = request->payload.value("language", std::string("Python"));
    const std::string test_file = request->payload.value("test_file", std::string());
    const int round = request->payload.value("round", 0);
    std::string test_code = "(QA named no test file)";
    if (!test_file.empty()) {
      if (auto text = ctx.run.workspace.read(test_file)) test_code = fenced(test_file, *text);
    }
    // The files it imports, as written now.
    std::vector<std::pair<std::string, std::string>> deps;
    for (const auto& [path, source] : ctx.run.project.sources) {
      if (path != file && mentions_file(file_task(ctx.run, file) + "\n" + *current, path)) deps.emplace_back(path, source);
    }
    PromptValues values(kFixSlot);
    set_file_inputs(ctx, values, language, file, files_in_sizes(deps, "(none: this file imports no other file of the project)"));
    values.set(Input::kCode, fenced(file, *current));
    values.set(Input::kTestFile, test_file.empty() ? "(none)" : test_file);
    values.set(Input::kTestCode, test_code);
    values.set_sizes(Input::kTestOutput,
                     {{"every failure", request->payload.value("evidence", std::string())},
                      {"the first failure", request->payload.value("first_failure", std::string())}});
    values.set(Input::kFeedback, request->payload.value("reason", std::string("(QA gave no reason)")));
    nlohmann::json hints = {{"kind", "fix"}, {"file", file}, {"test_file", test_file},
                            {"language", language_key(file)}, {"round", round}};
    Result<WrittenCode> fixed = co_await produce_file(ctx, file, values, std::move(hints),
                                                      fmt::format("{}: {} (QA round {})", spec_.name, file, round));
    if (!fixed) co_return fixed.error();
    out.content = fmt::format("Fixed {} after QA round {}", file, round);
    out.payload = {{"file", file}, {"round", round}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

}  // namespace

ActionType write_code_action_type() {
  return {{.name = "write_code",
           .summary = "writes each source file of the task list, dependencies first, with static checks, reviews "
                      "and a summary",
           .needs_prompt = true,
           .needs_schema = false,
           .param_keys = {"review_prompt", "rewrite_prompt", "summary_prompt", "run_before_qa"},
           .slots = {kWriteSlot, kReviewSlot, kRewriteSlot, kSummarySlot}},
          [](const ActionSpec& spec) { return std::make_unique<WriteCodeAction>(spec); }};
}

ActionType write_tests_action_type() {
  return {{.name = "write_tests",
           .summary = "writes one test file per source file",
           .needs_prompt = true,
           .slots = {kTestSlot}},
          [](const ActionSpec& spec) { return std::make_unique<WriteTestsAction>(spec); }};
}

ActionType fix_code_action_type() {
  return {{.name = "fix_code",
           .summary = "rewrites the source file QA names, shown the failing test and its output",
           .needs_prompt = true,
           .slots = {kFixSlot}},
          [](const ActionSpec& spec) { return std::make_unique<FixCodeAction>(spec); }};
}

}  // namespace agentco
