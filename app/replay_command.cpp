// `agentco replay <project-dir | run.jsonl> [--out DIR] [--verify] [--strict] [--fork-at SEQ]`:
// runs the recorded SOP again with the recorded config and templates, every model call and
// process answered from the trace (replay/replay_script.hpp), into a new folder. --verify
// compares the new folder's files and git trees with the original's. --fork-at SEQ answers
// only what was recorded up to that trace record and goes on live with the model the flags
// or config name (the experiment "same run, but from here on with model B").
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/run_pipeline.hpp"
#include "environment/git_repo.hpp"
#include "environment/project_summary.hpp"
#include "llm/providers.hpp"
#include "replay/recorded_run.hpp"
#include "replay/replay_provider.hpp"
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

// The member `key` of a record, or an empty object.
const nlohmann::json& member(const nlohmann::json& record, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = record.find(key);
  return it != record.end() && it->is_object() ? *it : empty;
}

int replay_command(ReplayArgs& args) {
  auto recorded = read_recorded_run(args.source);
  if (!recorded) return fail(recorded.error().message);
  for (const auto& w : recorded->warnings) spdlog::warn("{}: {}", recorded->trace_file.string(), w);
  const nlohmann::json& start = recorded->run_start;
  if (start.contains("incremental") && !start["incremental"].is_null()) {
    return fail(recorded->trace_file.string() +
                ": the run developed an existing project further; its starting files are not in the trace, so it "
                "cannot be replayed");
  }
  const bool fork = args.fork_at >= 0;

  // The recorded config (without its secret) is the base; for a fork, the user's config and
  // flags come on top (the model, budget or SOP may change from the fork point on).
  Config config;
  nlohmann::json recorded_config = member(start, "config");
  if (recorded_config.contains("llm")) recorded_config["llm"].erase("api_key");
  if (auto status = apply_config_yaml(config, recorded_config.dump(), recorded->trace_file.string() + " run_start");
      !status) {
    return fail(status.error().message);
  }
  if (fork) {
    ConfigSources sources = args.common.sources();
    args.llm.add_flags(sources);
    const std::string path = (fs::temp_directory_path() / fmt::format("agentco-recorded-config-{}.yaml", ::getpid())).string();
    { std::ofstream(path) << recorded_config.dump(); }
    sources.config_file = path;
    auto layered = load_config(sources);
    fs::remove(path);
    if (!layered) return fail(layered.error().message);
    config = std::move(*layered);
  }
  spdlog::set_level(spdlog::level::from_str(config.log.level));

  ActionRegistry registry;
  register_builtin_actions(registry);
  RunPlan plan;
  plan.config = config;
  plan.idea = start.value("idea", "");
  plan.name = start.value("name", "");
  plan.registry = &registry;
  plan.prompts = PromptLibrary(config.run.prompts_dir);
  for (const auto& [name, t] : member(start, "prompts").items()) {
    plan.prompts.pin(name, t.value("text", ""), "recorded in " + recorded->trace_file.string());
  }
  const nlohmann::json& sop_record = member(start, "sop");
  plan.sop_text = sop_record.value("text", "");
  Result<Sop> sop = fork && !args.common.sop.empty()
                        ? load_sop(config.run.sop, registry, plan.prompts)
                        : parse_sop(plan.sop_text, "recorded SOP " + sop_record.value("source", ""), registry, plan.prompts);
  if (!sop) return fail(sop.error().message);
  plan.sop = std::move(*sop);
  if (fork && !args.common.sop.empty()) plan.sop_text = sop_text(config);

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
  plan.provider = std::make_shared<ReplayProvider>(script, live);
  plan.journal = [&script](TraceWriter& trace, std::function<std::string()> root) {
    return std::make_unique<ReplayProcessJournal>(script, trace, std::move(root));
  };
  plan.folder = args.out.empty() ? sibling_folder(recorded->folder, fork ? "-fork" : "-replay") : fs::absolute(args.out);
  if (fs::exists(plan.folder) && !fs::is_empty(plan.folder))
    return fail(plan.folder.string() + ": the folder exists and is not empty; choose another with --out");
  plan.allow_rename = false;
  plan.started_at = start.value("started_at", "");
  plan.stamp = start.value("folder_stamp", "");
  plan.run_start_extra[fork ? "fork_of" : "replay_of"] = {{"trace", recorded->trace_file.string()},
                                                          {"records", recorded->record_count},
                                                          {"fork_at", args.fork_at}};
  plan.after_run = [&] {
    const auto& c = script.counters();
    std::fprintf(stderr, "%s: %ld model calls and %ld processes answered from the recording%s, %ld live calls%s\n",
                 fork ? "fork" : "replay", c.calls_answered, c.processes_answered,
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
