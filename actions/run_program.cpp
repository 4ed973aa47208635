#include "actions/run_program.hpp"

#include <fmt/format.h>

#include "actions/action_params.hpp"
#include "actions/run_context.hpp"
#include "environment/process_runner.hpp"
#include "environment/program_verdict.hpp"

namespace agentco {
namespace {

// The program's first file and how to start it; empty when there is none.
std::vector<std::string> program_command(const RunContext& run) {
  for (const char* name : {"main.py", "app.py", "run.py"})
    if (run.workspace.exists(name)) return {"python3", name};
  for (const char* name : {"main.js", "index.js", "app.js"})
    if (run.workspace.exists(name)) return {"node", name};
  for (const auto& [path, code] : run.project.sources)
    if (path.ends_with(".py") && code.find("__main__") != std::string::npos) return {"python3", path};
  return {};
}

class RunProgram : public Action {
 public:
  explicit RunProgram(const ActionSpec& spec) : deadline_s_(positive_int_param(spec, "deadline_s", 5, 600)) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    ActionOutput out;
    std::vector<std::string> argv = program_command(ctx.run);
    if (argv.empty()) {
      out.content = "There is no program to run: no main.py, app.py, run.py, main.js, index.js or app.js.";
      out.payload = {{"passed", false}, {"program", "missing"}, {"command", ""}};
      co_return out;
    }
    const std::string command = fmt::format("{} {}", argv[0], argv[1]);
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = ctx.run.workspace.root().string();
    spec.deadline = std::chrono::seconds(deadline_s_);
    spec.env["PYTHONDONTWRITEBYTECODE"] = "1";
    spec.env["TERM"] = "xterm";
    spec.keep_stdin_open = true;
    spec.terminal = true;  // curses programs need a terminal to start
    ProcessResult r = co_await run_process_async(std::move(spec));
    const ProgramVerdict verdict = program_verdict(r);
    const bool passed = verdict == ProgramVerdict::kExited || verdict == ProgramVerdict::kStarted;
    std::string what;
    switch (verdict) {
      case ProgramVerdict::kExited: what = "it ran and exited cleanly"; break;
      case ProgramVerdict::kStarted: what = fmt::format("it was still running at the {} s deadline, without an error", deadline_s_); break;
      case ProgramVerdict::kCrashed: what = "it failed"; break;
      case ProgramVerdict::kNotStarted: what = "it could not start: " + r.error; break;
    }
    out.content = fmt::format("$ {}\n{} (exit code {}{}).\n--- stdout ---\n{}\n--- stderr ---\n{}", command, what,
                              r.exit_code, r.signal ? fmt::format(", signal {}", r.signal) : "", r.stdout_text,
                              r.stderr_text);
    out.payload = {{"passed", passed}, {"program", verdict_name(verdict)}, {"command", command}};
    // The same record QA's test runs write (and the ChatDev importer): stats counts the rounds.
    ++round_;
    ctx.run.trace.append("execution", {{"role", ctx.role.name}, {"name", "program"}, {"command", command},
                                       {"round", round_}, {"exit_code", r.exit_code}, {"signal", r.signal},
                                       {"timed_out", r.timed_out}, {"started", r.started}, {"seconds", r.seconds},
                                       {"sandbox", r.sandbox}, {"ok", passed}, {"program", verdict_name(verdict)},
                                       {"stdout", r.stdout_text}, {"stderr", r.stderr_text}});
    // The run's verdict (meta.json), as QA's: the program's latest run.
    ctx.run.project.qa_verdict = {{"decision", passed ? "passed" : "failed"}, {"rounds", round_},
                                  {"program", verdict_name(verdict)}};
    co_return out;
  }

 private:
  int deadline_s_;
  int round_ = 0;
};

}  // namespace

ActionType run_program_action_type() {
  return {{.name = "run_program",
           .summary = "runs the project's program in the sandbox for deadline_s seconds and reports what happened "
                      "(payload.passed)",
           .needs_prompt = false,
           .param_keys = {"deadline_s"}},
          [](const ActionSpec& spec) { return std::make_unique<RunProgram>(spec); }};
}

}  // namespace agentco
