// `agentco replay <project-dir | run.jsonl> [--out DIR] [--verify] [--strict] [--fork-at SEQ]`:
// runs the recorded SOP again with the recorded config and templates, every model call and
// process answered from the trace (replay/replay_script.hpp), into a new folder. --verify
// compares the new folder's files and git trees with the original's. --fork-at SEQ answers
// only what was recorded up to that trace record and goes on live with the model the flags
// or config name (the experiment "same run, but from here on with model B").
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/recorded_plan.hpp"
#include "app/run_pipeline.hpp"
#include "environment/git_repo.hpp"
#include "environment/project_summary.hpp"
#include "llm/providers.hpp"
#include "replay/recorded_run.hpp"
#include "replay/replay_script.hpp"
#include "replay/verify.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

struct ReplayArgs {
  std::string source;
  std::string out;
  bool verify = false;
  bool strict = false;
  long long fork_at = -1;
  CommonFlags common;
  LlmFlags llm;
};

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return 2;
}

fs::path sibling_folder(const fs::path& original, const std::string& suffix) {
  fs::path candidate = original.parent_path() / (original.filename().string() + suffix);
  for (int i = 2; fs::exists(candidate); ++i)
    candidate = original.parent_path() / fmt::format("{}{}-{}", original.filename().string(), suffix, i);
  return candidate;
}

int replay_command(ReplayArgs& args) {
  auto recorded = read_recorded_run(args.source);
  if (!recorded) return fail(recorded.error().message);
  for (const auto& w : recorded->warnings) spdlog::warn("{}: {}", recorded->trace_file.string(), w);
  const nlohmann::json& start = recorded->run_start;
  if (recorded->later_run_start_seq != 0) {
    return fail(fmt::format("{}: record seq {} starts a second run in this folder (`run --project-path` developed it "
                            "further); its starting files are not in one run's trace, so it cannot be replayed",
                            recorded->trace_file.string(), recorded->later_run_start_seq));
  }
  if (start.contains("incremental") && !start["incremental"].is_null()) {
    return fail(recorded->trace_file.string() +
                ": the run developed an existing project further; its starting files are not in the trace, so it "
                "cannot be replayed");
  }
  const bool fork = args.fork_at >= 0;

  // The recorded config (without its secret) is the base; for a fork, the user's config and
  // flags come on top (the model, budget or SOP may change from the fork point on).
  ActionRegistry registry;
  register_builtin_actions(registry);
  RunPlan plan;
  RecordedPlanOptions plan_options;
  plan_options.layer_user_config = fork;
  plan_options.user_sop = !args.common.sop.empty();
  if (auto status = plan_from_recording(plan, *recorded, registry, args.common, args.llm, plan_options); !status)
    return fail(status.error().message);
  const Config& config = plan.config;
  spdlog::set_level(spdlog::level::from_str(config.log.level));

  std::shared_ptr<Provider> live;
  if (fork) {
    auto provider = make_provider(config);
    if (!provider) return fail(provider.error().message);
    live = *provider;
  }
  ReplayOptions options;
  options.strict = args.strict;
  if (fork) {
    options.upto_seq = static_cast<std::uint64_t>(args.fork_at);
    options.reuse_failures = false;
  }
  ReplayScript script(*recorded, options);
  answer_from_recording(plan, script, live);
  plan.folder = args.out.empty() ? sibling_folder(recorded->folder, fork ? "-fork" : "-replay") : fs::absolute(args.out);
  if (fs::exists(plan.folder) && !fs::is_empty(plan.folder))
    return fail(plan.folder.string() + ": the folder exists and is not empty; choose another with --out");
  plan.allow_rename = false;
  plan.run_start_extra[fork ? "fork_of" : "replay_of"] = {{"trace", recorded->trace_file.string()},
                                                          {"records", recorded->record_count},
                                                          {"fork_at", args.fork_at}};
  plan.after_run = [&] {
    const auto& c = script.counters();
    std::fprintf(stderr, "%s: %ld model calls and %ld processes%s answered from the recording%s, %ld live calls%s\n",
                 fork ? "fork" : "replay", c.calls_answered, c.processes_answered,
                 c.tool_results_answered ? fmt::format(" and {} MCP tool results", c.tool_results_answered).c_str() : "",
                 c.calls_by_order ? fmt::format(" ({} matched by role/action/order)", c.calls_by_order).c_str() : "",
                 c.live_calls, script.unused() ? fmt::format(", {} recorded events unused", script.unused()).c_str() : "");
  };

  RunReport report = execute_run(plan);
  if (!report.started) return report.exit_code;
  std::printf("%s\n", report.folder.string().c_str());
  std::fflush(stdout);
  if (args.verify && !fork) {
    std::vector<std::string> differences = compare_projects(recorded->folder, report.folder);
    if (differences.empty()) {
      std::fprintf(stderr, "verify: files and git trees are identical to %s\n", recorded->folder.string().c_str());
    } else {
      std::fprintf(stderr, "verify: %zu difference(s) from %s:\n", differences.size(), recorded->folder.string().c_str());
      for (const auto& d : differences) std::fprintf(stderr, "  %s\n", d.c_str());
      return 1;
    }
  }
  return report.exit_code;
}

const bool replay_registered = register_command(40, [](CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Run a recorded run again from its trace (no model is asked) into a new folder; --fork-at goes live");
  cmd->add_option("source", a->source, "Project folder holding run.jsonl, or the trace file")->required();
  cmd->add_option("--out", a->out, "Folder for the replayed project (default: <folder>-replay beside it)");
  cmd->add_flag("--verify", a->verify, "Check that files and git trees equal the original's; print each difference");
  cmd->add_flag("--strict", a->strict, "Refuse a call whose request differs from the recorded one");
  cmd->add_option("--fork-at", a->fork_at,
                  "Answer from the recording only up to this trace record (seq), then go on live with the model "
                  "of the flags/config");
  a->common.add_to(cmd);
  a->llm.add_to(cmd);
  return Command{cmd, [a] { return replay_command(*a); }};
});

}  // namespace
}  // namespace agentco
