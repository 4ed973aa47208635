#include "actions/write_code.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/ask.hpp"
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

// Shared state of one write_code turn; coroutines take it by shared_ptr.
struct CodeTurn {
  ActionContext& ctx;
  CodePlan plan;
  std::vector<std::string> written;   // by plan index; "" when not written
  std::vector<std::string> sources;   // by plan index
  std::optional<Error> error;         // first stopping error (budget, interrupted, ...)
};

boost::asio::awaitable<void> write_one(std::shared_ptr<CodeTurn> turn, std::size_t index) {
  ActionContext& ctx = turn->ctx;
  if (turn->error) co_return;
  const PlannedFile& file = turn->plan.files[index];

  std::string interfaces;
  std::vector<std::string> dep_names;
  for (std::size_t d : file.deps) {
    if (turn->written[d].empty()) continue;
    dep_names.push_back(turn->written[d]);
    interfaces += fmt::format("### {}\n```\n{}```\n\n", turn->written[d],
                              source_interface(turn->written[d], turn->sources[d]));
  }
  TemplateVars vars;
  add_document_vars(ctx, vars);
  vars.emplace_back("file", file.path);
  vars.emplace_back("task", file.analysis.empty() ? "(no analysis given)" : file.analysis);
  vars.emplace_back("language", turn->plan.language);
  vars.emplace_back("dependencies", interfaces.empty() ? "(none)" : interfaces);
  const nlohmann::json& tasks = document_or_null(ctx, "tasks");
  vars.emplace_back("shared_knowledge",
                    tasks.is_object() && tasks.contains("Shared Knowledge") && tasks["Shared Knowledge"].is_string()
                        ? tasks["Shared Knowledge"].get<std::string>()
                        : std::string("(none)"));
  auto prompt = render_action_prompt(ctx, vars);
  if (!prompt) {
    turn->error = prompt.error();
    co_return;
  }
  ChatRequest request = make_request(ctx, std::move(*prompt),
                                     {{"kind", "code"},
                                      {"file", file.path},
                                      {"language", language_key(turn->plan.language)},
                                      {"depends_on", dep_names}});
  Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
  if (!reply) {
    if (!turn->error) turn->error = reply.error();
    co_return;
  }
  std::string code = extract_code(reply->text);
  if (!code.empty() && code.back() != '\n') code += '\n';
  auto written = ctx.run.write_file(ctx.role.name, file.path, code);
  if (!written) co_return;  // refused name: traced and warned; dependents go on without it
  turn->written[index] = written->path;
  turn->sources[index] = code;
  (void)ctx.run.commit(author_of(ctx), fmt::format("{}: {}", ctx.spec.name, written->path), {written->path});
}

class WriteCodeAction : public Action {
 public:
  explicit WriteCodeAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    auto turn = std::make_shared<CodeTurn>(CodeTurn{ctx, make_code_plan(document_or_null(ctx, "tasks"),
                                                                         document_or_null(ctx, "system_design"),
                                                                         document_or_null(ctx, "prd")),
                                                    {}, {}, std::nullopt});
    if (turn->plan.files.empty()) {
      co_return make_error("plan", spec_.name + ": the task list names no files to write");
    }
    turn->written.assign(turn->plan.files.size(), "");
    turn->sources.assign(turn->plan.files.size(), "");
    std::vector<std::vector<std::size_t>> deps;
    for (const auto& f : turn->plan.files) deps.push_back(f.deps);

    std::function<boost::asio::awaitable<void>(std::size_t)> task =
        [turn](std::size_t i) { return write_one(turn, i); };
    co_await run_dag(ctx.run.executor, deps, 0, task);
    if (turn->error) co_return *turn->error;

    std::vector<std::string> files;
    nlohmann::json code = nlohmann::json::object();
    for (std::size_t i = 0; i < turn->written.size(); ++i) {
      if (turn->written[i].empty()) continue;
      files.push_back(turn->written[i]);
      code[turn->written[i]] = turn->sources[i];
    }
    if (files.empty()) co_return make_error("plan", spec_.name + ": no source file could be written");
    ctx.run.documents["code"] = code;
    ActionOutput out;
    out.content = fmt::format("Wrote {} files: {}", files.size(), fmt::join(files, ", "));
    out.payload = {{"files", files}, {"language", turn->plan.language}};
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
  auto prompt = render_action_prompt(ctx, vars);
  if (!prompt) {
    turn->error = prompt.error();
    co_return;
  }
  ChatRequest request = make_request(ctx, std::move(*prompt),
                                     {{"kind", "test"},
                                      {"file", source_path},
                                      {"test_file", test_path},
                                      {"language", language_key(source_path)}});
  Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
  if (!reply) {
    if (!turn->error) turn->error = reply.error();
    co_return;
  }
  std::string code = extract_code(reply->text);
  if (!code.empty() && code.back() != '\n') code += '\n';
  auto written = ctx.run.write_file(ctx.role.name, test_path, code);
  if (!written) co_return;
  turn->written[index] = written->path;
  (void)ctx.run.commit(author_of(ctx), fmt::format("{}: {}", ctx.spec.name, written->path), {written->path});
}

class WriteTestsAction : public Action {
 public:
  explicit WriteTestsAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    auto turn = std::make_shared<TestTurn>(TestTurn{ctx, {}, {}, "Python", std::nullopt});
    for (const auto& message : ctx.news) {
      if (!message->payload.is_object() || !message->payload.contains("files")) continue;
      for (const auto& f : message->payload["files"]) {
        if (f.is_string()) turn->sources.push_back(f.get<std::string>());
      }
      turn->language = message->payload.value("language", turn->language);
    }
    if (turn->sources.empty()) co_return make_error("plan", spec_.name + ": no source files to test");
    turn->written.assign(turn->sources.size(), "");
    std::vector<std::vector<std::size_t>> no_deps(turn->sources.size());
    std::function<boost::asio::awaitable<void>(std::size_t)> task =
        [turn](std::size_t i) { return write_one_test(turn, i); };
    co_await run_dag(ctx.run.executor, no_deps, 0, task);
    if (turn->error) co_return *turn->error;

    std::vector<std::string> tests;
    for (const auto& w : turn->written) {
      if (!w.empty()) tests.push_back(w);
    }
    ActionOutput out;
    out.content = fmt::format("Wrote {} test files: {}", tests.size(), fmt::join(tests, ", "));
    out.payload = {{"tests", tests}};
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

}  // namespace agentco
