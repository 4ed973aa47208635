#include "actions/write_code.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/ask.hpp"
#include "actions/code_checks.hpp"
#include "actions/code_plan.hpp"
#include "actions/document_action.hpp"
#include "core/dag_scheduler.hpp"
#include "environment/run_context.hpp"

namespace agentco {
namespace {

std::string author_of(const ActionContext& ctx) {
  return ctx.role.name + " (" + ctx.role.profile + ")";
}

const nlohmann::json& document_or_null(const ActionContext& ctx, const std::string& name) {
  static const nlohmann::json kNull;
  auto it = ctx.run.documents.find(name);
  return it == ctx.run.documents.end() ? kNull : it->second;
}

std::string shared_knowledge(const ActionContext& ctx) {
  const nlohmann::json& tasks = document_or_null(ctx, "tasks");
  if (tasks.is_object() && tasks.contains("Shared Knowledge") && tasks["Shared Knowledge"].is_string()) {
    return tasks["Shared Knowledge"].get<std::string>();
  }
  return "(none)";
}

std::string param(const ActionSpec& spec, const char* key, const char* fallback) {
  return spec.params.is_object() ? spec.params.value(key, std::string(fallback)) : std::string(fallback);
}

// Every source file of the project written so far (the "code" document).
std::map<std::string, std::string> project_sources(const ActionContext& ctx) {
  std::map<std::string, std::string> out;
  const nlohmann::json& code = document_or_null(ctx, "code");
  if (code.is_object()) {
    for (const auto& [path, text] : code.items()) {
      if (text.is_string()) out[path] = text.get<std::string>();
    }
  }
  return out;
}

void remember_source(ActionContext& ctx, const std::string& path, const std::string& code) {
  nlohmann::json& doc = ctx.run.documents["code"];
  if (!doc.is_object()) doc = nlohmann::json::object();
  doc[path] = code;
}

std::string format_check(const StaticCheck& check) {
  if (check.problems.empty()) return check.tool.empty() ? "(no checker for this language)" : "passed (" + check.tool + ")";
  return fmt::format("{}", fmt::join(check.problems, "\n"));
}

struct WrittenCode {
  std::string path;  // normalized
  std::string code;
};

// Asks for a file (fresh, or rewritten with feedback), writes and commits it.
boost::asio::awaitable<Result<WrittenCode>> produce_file(ActionContext& ctx, const std::string& path,
                                                         TemplateVars vars, const std::string& template_name,
                                                         nlohmann::json hints, const std::string& commit_message) {
  auto prompt = render_action_prompt(ctx, vars, template_name);
  if (!prompt) co_return prompt.error();
  ChatRequest request = make_request(ctx, std::move(*prompt), std::move(hints));
  Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
  if (!reply) co_return reply.error();
  std::string code = extract_code(reply->text);
  if (code.find_first_not_of(" \t\r\n") == std::string::npos) {
    co_return make_error("parse", fmt::format("the model's reply for {} holds no code", path));
  }
  if (code.back() != '\n') code += '\n';
  auto written = ctx.run.write_file(ctx.role.name, path, code);
  if (!written) co_return written.error();
  (void)ctx.run.commit(author_of(ctx), commit_message, {written->path});
  if (!written->path.starts_with("tests/")) remember_source(ctx, written->path, code);
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

TemplateVars file_vars(const CodeTurn& turn, std::size_t index) {
  const ActionContext& ctx = turn.ctx;
  const PlannedFile& file = turn.plan.files[index];
  std::string interfaces;
  for (std::size_t d : file.deps) {
    if (turn.written[d].empty()) continue;
    interfaces += fmt::format("### {}\n```\n{}```\n\n", turn.written[d],
                              source_interface(turn.written[d], turn.sources[d]));
  }
  // Files that exist already (incremental development) and that this file's task names.
  for (const auto& [path, source] : project_sources(ctx)) {
    bool planned = std::any_of(turn.plan.files.begin(), turn.plan.files.end(),
                               [&](const PlannedFile& f) { return f.path == path; });
    if (!planned && mentions_file(file.analysis, path)) {
      interfaces += fmt::format("### {}\n```\n{}```\n\n", path, source_interface(path, source));
    }
  }
  TemplateVars vars;
  add_document_vars(ctx, vars);
  vars.emplace_back("file", file.path);
  vars.emplace_back("task", file.analysis.empty() ? "(no analysis given)" : file.analysis);
  vars.emplace_back("language", turn.plan.language);
  vars.emplace_back("dependencies", interfaces.empty() ? "(none)" : interfaces);
  vars.emplace_back("shared_knowledge", shared_knowledge(ctx));
  return vars;
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
    StaticCheck check = co_await static_check(ctx.run.workspace.root(), path, turn->sources[index], project_sources(ctx));
    TemplateVars vars = file_vars(*turn, index);
    vars.emplace_back("code", turn->sources[index]);
    vars.emplace_back("static_check", format_check(check));
    auto prompt = render_action_prompt(ctx, vars, param(ctx.spec, "review_prompt", "review_code"));
    if (!prompt) co_return turn->fail(prompt.error());
    nlohmann::json hints = file_hints(*turn, index, "review");
    hints["round"] = round;
    ChatRequest request = make_request(ctx, std::move(*prompt), std::move(hints));
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
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
    TemplateVars rewrite = file_vars(*turn, index);
    rewrite.emplace_back("code", turn->sources[index]);
    rewrite.emplace_back("feedback", strip_think(reply->text) + (check.ok ? "" : "\n\nStatic check:\n" + format_check(check)));
    Result<WrittenCode> code =
        co_await produce_file(ctx, path, std::move(rewrite), param(ctx.spec, "rewrite_prompt", "rewrite_code"),
                              file_hints(*turn, index, "rewrite"),
                              fmt::format("RewriteCode: {} (review round {})", path, round));
    if (!code) co_return turn->fail(code.error());
    turn->sources[index] = code->code;
  }
}

boost::asio::awaitable<void> write_one(std::shared_ptr<CodeTurn> turn, std::size_t index) {
  ActionContext& ctx = turn->ctx;
  if (turn->stopping()) co_return;
  const PlannedFile& file = turn->plan.files[index];
  Result<WrittenCode> code = co_await produce_file(ctx, file.path, file_vars(*turn, index), ctx.spec.prompt,
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
  OutputSchema schema{{{"Summary", "str", "What each file does and how they fit together.", true},
                       {"TODOs", "list[list[str]]", "[file, the concrete change it still needs]; empty when complete.", true}}};
  std::string listing;
  for (std::size_t i = 0; i < turn->written.size(); ++i) {
    if (!turn->written[i].empty()) listing += fmt::format("### {}\n```\n{}```\n\n", turn->written[i], turn->sources[i]);
  }
  TemplateVars vars;
  add_document_vars(ctx, vars);
  vars.emplace_back("code_listing", listing);
  vars.emplace_back("format", format_instructions(schema));
  auto prompt = render_action_prompt(ctx, vars, param(ctx.spec, "summary_prompt", "summarize_code"));
  if (!prompt) co_return turn->fail(prompt.error());
  ChatRequest request = make_request(ctx, std::move(*prompt), {{"kind", "summary"}});
  Result<StructuredReply> reply = co_await ask_structured(ctx, std::move(request), schema);
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
  ctx.run.documents["code_summary"] = value;
  for (const auto& [index, todo] : todos) {
    if (turn->stopping()) co_return;
    TemplateVars rewrite = file_vars(*turn, index);
    rewrite.emplace_back("code", turn->sources[index]);
    rewrite.emplace_back("feedback", "TODO from the project summary: " + todo);
    Result<WrittenCode> code = co_await produce_file(ctx, turn->written[index], std::move(rewrite),
                                                     param(ctx.spec, "rewrite_prompt", "rewrite_code"),
                                                     file_hints(*turn, index, "rewrite"),
                                                     fmt::format("RewriteCode: {} (summary TODO)", turn->written[index]));
    if (!code) co_return turn->fail(code.error());
    turn->sources[index] = code->code;
  }
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
    if (auto root = ctx.run.documents.find("source_root");
        root != ctx.run.documents.end() && root->second.is_string() && !root->second.get<std::string>().empty()) {
      const std::string prefix = root->second.get<std::string>() + "/";
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

    std::vector<std::string> files;
    int review_rounds = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (turn->written[i].empty()) continue;
      files.push_back(turn->written[i]);
      review_rounds += turn->reviews[i];
    }
    ctx.run.documents["review_rounds"] = review_rounds;
    ActionOutput out;
    out.content = fmt::format("Wrote {} files: {}", files.size(), fmt::join(files, ", "));
    out.payload = {{"files", files}, {"language", turn->plan.language}, {"review_rounds", review_rounds}};
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
  std::string test_path = test_path_for(source_path);
  TemplateVars vars;
  add_document_vars(ctx, vars);
  vars.emplace_back("file", source_path);
  vars.emplace_back("test_file", test_path);
  vars.emplace_back("language", turn->language);
  vars.emplace_back("source", *source);
  nlohmann::json hints = {{"kind", "test"},
                          {"file", source_path},
                          {"test_file", test_path},
                          {"language", language_key(source_path)}};
  std::string message = fmt::format("{}: {}", ctx.spec.name, test_path);
  Result<WrittenCode> code =
      co_await produce_file(ctx, test_path, std::move(vars), ctx.spec.prompt, std::move(hints), message);
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
      ctx.run.documents["tests"] = nlohmann::json::array();
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
    ctx.run.documents["tests"] = tests;
    ActionOutput out;
    out.content = fmt::format("Wrote {} test files: {}", tests.size(), fmt::join(tests, ", "));
    out.payload = {{"tests", tests}, {"language", turn->language}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

}  // namespace

boost::asio::awaitable<Result<std::string>> rewrite_existing_file(ActionContext& ctx, std::string path,
                                                                  std::string template_name, std::string language,
                                                                  std::string feedback, std::string kind,
                                                                  std::string message) {
  auto current = ctx.run.workspace.read(path);
  if (!current) co_return current.error();
  TemplateVars vars;
  add_document_vars(ctx, vars);
  vars.emplace_back("file", path);
  vars.emplace_back("task", "Change the file as the feedback says.");
  vars.emplace_back("language", language);
  vars.emplace_back("dependencies", "(see the design)");
  vars.emplace_back("shared_knowledge", shared_knowledge(ctx));
  vars.emplace_back("code", *current);
  vars.emplace_back("feedback", std::move(feedback));
  nlohmann::json hints = {{"kind", kind}, {"file", path}, {"test_file", path}, {"language", language_key(path)},
                          {"depends_on", nlohmann::json::array()}};
  Result<WrittenCode> code = co_await produce_file(ctx, path, std::move(vars), template_name, std::move(hints), message);
  if (!code) co_return code.error();
  co_return code->path;
}

namespace {

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
    std::string language = request->payload.value("language", std::string("Python"));
    std::string feedback = "QA ran the tests and the program; fix the code so that they pass.\n\n" +
                           request->payload.value("evidence", std::string());
    std::string message = fmt::format("{}: {} (QA round {})", spec_.name, file, request->payload.value("round", 0));
    std::string kind = "rewrite";
    Result<std::string> fixed = co_await rewrite_existing_file(ctx, file, ctx.spec.prompt, std::move(language),
                                                               std::move(feedback), std::move(kind), std::move(message));
    if (!fixed) co_return fixed.error();
    out.content = fmt::format("Fixed {} after QA round {}", file, request->payload.value("round", 0));
    out.payload = {{"file", file}, {"round", request->payload.value("round", 0)}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

}  // namespace

std::unique_ptr<Action> make_write_code_action(const ActionSpec& spec) {
  return std::make_unique<WriteCodeAction>(spec);
}

std::unique_ptr<Action> make_write_tests_action(const ActionSpec& spec) {
  return std::make_unique<WriteTestsAction>(spec);
}

std::unique_ptr<Action> make_fix_code_action(const ActionSpec& spec) {
  return std::make_unique<FixCodeAction>(spec);
}

}  // namespace agentco
