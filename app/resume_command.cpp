// `agentco resume <project-dir> [--investment USD] [--max-rounds N] [llm flags]`: continues a
// run that a crash, kill -9, Ctrl-C, budget or round limit stopped. The run is rebuilt from its
// trace alone: every model answer and process result already recorded is reused (matched by
// the exact request; no paid call is asked twice), a torn last record is dropped, and the run
// goes on live from where the recording ends. Files and git history are rebuilt from the trace,
// so they agree with it whatever state the crash left them in.
//
// Folders: the run is resumed in place, in the folder given (copied or moved there, on any
// file system), and keeps that folder's name. The interrupted folder is moved aside to
// `<dir>.interrupted` beside it and the run is rebuilt in `<dir>`. Files the trace does not
// account for (a user's notes, a file edited since) are moved into the rebuilt folder, or,
// when the rebuilt run wrote another file at that path, kept in the moved-aside copy. That
// copy is deleted only when nothing of it is left unaccounted for. If the resume itself is
// interrupted, the next resume finds both and continues from whichever trace holds more
// recorded work (see settle_earlier_resume).
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/recorded_plan.hpp"
#include "app/run_pipeline.hpp"
#include "core/text.hpp"
#include "llm/human_provider.hpp"
#include "llm/providers.hpp"
#include "replay/foreign_files.hpp"
#include "replay/recorded_run.hpp"
#include "replay/replay_script.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

struct ResumeArgs {
  std::string folder;
  CommonFlags common;
  LlmFlags llm;
};

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return 2;
}

// Model answers and process results a trace holds that a resume can reuse.
std::size_t reusable_events(const fs::path& folder) {
  auto run = read_recorded_run(folder);
  if (!run) return 0;
  std::size_t n = 0;
  for (const auto& e : run->events) n += e.kind == RecordedEvent::Kind::process || run->calls[e.index].ok ? 1 : 0;
  return n;
}

// Deletes `copy` after carrying into `kept` every file of it that `run` does not account for.
// Files that would overwrite another file in `kept` stop the deletion: an error names them.
Status remove_copy(const fs::path& copy, const fs::path& kept, const RecordedRun& run) {
  auto foreign = keep_foreign_files(copy, kept, run);
  if (!foreign) return foreign.error();
  if (!foreign->moved.empty()) {
    spdlog::info("moved {} file(s) the trace does not account for from {} into {}: {}", foreign->moved.size(),
                 copy.string(), kept.string(), list_for_message(foreign->moved));
  }
  if (!foreign->conflicts.empty()) {
    return make_error("resume", fmt::format("{} holds {} file(s) that the run did not write and that {} holds "
                                            "differently: {}; move them away and resume again",
                                            copy.string(), foreign->conflicts.size(), kept.string(),
                                            list_for_message(foreign->conflicts)));
  }
  std::error_code ec;
  fs::remove_all(copy, ec);
  if (ec) return make_error("resume", copy.string() + ": cannot remove the older copy: " + ec.message());
  return ok_status();
}

// Whether `backup` is what an earlier resume of the run in `folder` moved aside, and not a
// user's folder that merely has that name: it must hold a trace of the same run.
bool is_earlier_copy(const fs::path& backup, const fs::path& folder) {
  auto theirs = read_recorded_run(backup);
  if (!theirs) return false;
  auto ours = read_recorded_run(folder);
  if (!ours) return !fs::exists(folder / "run.jsonl");  // the resume stopped before it wrote one
  auto same = [&](const char* key) {
    return theirs->run_start.contains(key) && theirs->run_start[key] == ours->run_start.value(key, nlohmann::json());
  };
  return same("started_at") && same("folder_stamp") && same("idea");
}

// A resume that was itself interrupted leaves the original in `backup` and its own partial
// rebuild in `folder`. The rebuild replays the original in recorded order before anything else
// completes, so the trace with more reusable events holds everything the other one does; keep
// that one in `folder` and delete the other (after carrying the user's files across).
Status settle_earlier_resume(const fs::path& folder, const fs::path& backup) {
  std::error_code ec;
  const bool have_folder = fs::exists(folder / "run.jsonl", ec);
  const std::size_t in_folder = have_folder ? reusable_events(folder) : 0;
  const std::size_t in_backup = reusable_events(backup);
  if (have_folder && in_folder >= in_backup) {
    spdlog::info("an earlier resume got further ({} recorded events, the interrupted run {}); removing {}", in_folder,
                 in_backup, backup.string());
    auto kept = read_recorded_run(folder);
    if (!kept) return kept.error();
    return remove_copy(backup, folder, *kept);
  }
  spdlog::info("an earlier resume of {} was interrupted before it caught up ({} of {} recorded events); starting "
               "again from {}",
               folder.string(), in_folder, in_backup, backup.string());
  auto kept = read_recorded_run(backup);
  if (!kept) return kept.error();
  if (fs::exists(folder, ec)) {
    if (auto status = remove_copy(folder, backup, *kept); !status) return status;
  }
  fs::rename(backup, folder, ec);
  if (ec) return make_error("resume", fmt::format("cannot move {} back to {}: {}", backup.string(), folder.string(), ec.message()));
  return ok_status();
}

int resume_command(ResumeArgs& args) {
  fs::path folder = fs::absolute(args.folder).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return fail(folder.string() + ": no such project folder");
  const fs::path backup = folder.parent_path() / (folder.filename().string() + ".interrupted");
  if (fs::exists(fs::symlink_status(backup, ec))) {
    if (!is_earlier_copy(backup, folder)) {
      return fail(backup.string() + " exists and is not an earlier resume's copy of this run; resume needs that name "
                  "for the interrupted folder: move it away and resume again");
    }
    if (auto status = settle_earlier_resume(folder, backup); !status) return fail(status.error().message);
  }

  auto recorded = read_recorded_run(folder);
  if (!recorded) return fail(recorded.error().message);
  for (const auto& w : recorded->warnings) spdlog::warn("{}: {}", recorded->trace_file.string(), w);
  const nlohmann::json& start = recorded->run_start;
  if (start.contains("imported_from")) {
    return fail(recorded->trace_file.string() + ": an imported run of another tool cannot be resumed here");
  }
  if (recorded->later_run_start_seq != 0) {
    return fail(fmt::format("{}: record seq {} starts a second run in this folder (`run --project-path` developed it "
                            "further); a trace holding two runs cannot be rebuilt and resumed",
                            recorded->trace_file.string(), recorded->later_run_start_seq));
  }
  if (start.contains("incremental") && !start["incremental"].is_null()) {
    return fail(recorded->trace_file.string() +
                ": the run developed an existing project further; its starting files are not in the trace, so it "
                "cannot be rebuilt and resumed");
  }
  if (recorded->run_end && recorded->run_end->value("reason", "") == "idle") {
    std::fprintf(stderr, "%s: the run finished (%s); nothing to resume. To continue it differently, use `agentco "
                 "replay --fork-at SEQ`.\n",
                 folder.string().c_str(), recorded->run_end->value("detail", "").c_str());
    return 0;
  }

  ActionRegistry registry;
  register_builtin_actions(registry);
  RunPlan plan;
  RecordedPlanOptions plan_options;
  plan_options.layer_user_config = true;
  if (!args.common.sop.empty()) {
    return fail("resume continues the recorded SOP; to go on with another one use `agentco replay --fork-at SEQ --sop ...`");
  }
  if (auto status = plan_from_recording(plan, *recorded, registry, args.common, args.llm, plan_options); !status)
    return fail(status.error().message);
  spdlog::set_level(spdlog::level::from_str(plan.config.log.level));
  auto live = make_provider(plan.config);
  if (!live) return fail(live.error().message);
  // Questions the recording does not answer go to the person at the terminal, as in the run.
  // The SOP's human nodes, too.
  std::set<std::string> humans;
  for (const auto& role : plan.sop.roles)
    if (role.human) humans.insert(role.name);
  if (plan.ask_human || !humans.empty()) *live = std::make_shared<HumanProvider>(*live, humans, false);

  ReplayOptions options;
  options.reuse_failures = false;
  options.match_by_order = false;
  ReplayScript script(*recorded, options);
  answer_from_recording(plan, script, *live);

  // Move the interrupted folder aside and rebuild the run where it was.
  fs::rename(folder, backup, ec);
  if (ec) return fail(fmt::format("cannot move {} aside to {}: {}", folder.string(), backup.string(), ec.message()));
  plan.folder = folder;
  plan.allow_rename = false;  // in place: the folder keeps the name the user resumed it by
  const long previous_resumes = start.contains("resumed") ? start["resumed"].value("count", 0L) : 0L;
  plan.run_start_extra["resumed"] = {{"count", previous_resumes + 1},
                                     {"at", iso_timestamp_now()},
                                     {"records", recorded->record_count},
                                     {"stopped_by", recorded->run_end ? recorded->run_end->value("reason", "")
                                                                      : std::string("crash (no run_end)")}};
  plan.after_run = [&] {
    const auto& c = script.counters();
    std::fprintf(stderr, "resume: %ld model calls and %ld processes%s reused from the recording, %ld live calls\n",
                 c.calls_answered, c.processes_answered,
                 c.tool_results_answered ? fmt::format(" and {} MCP tool results", c.tool_results_answered).c_str() : "",
                 c.live_calls);
  };

  RunReport report = execute_run(plan);
  if (!report.started) {
    // Nothing was rebuilt that matters: put the interrupted folder back as it was.
    if (auto status = remove_copy(folder, backup, *recorded); !status) {
      spdlog::error("{}; the interrupted run is kept in {}", status.error().message, backup.string());
      return report.exit_code;
    }
    fs::rename(backup, folder, ec);
    return report.exit_code;
  }
  auto foreign = keep_foreign_files(backup, report.folder, *recorded);
  if (!foreign) {
    std::fprintf(stderr, "resume: %s; the interrupted run is kept in %s\n", foreign.error().message.c_str(),
                 backup.string().c_str());
  } else if (!foreign->moved.empty()) {
    std::fprintf(stderr, "resume: kept %zu file(s) that the run did not write: %s\n", foreign->moved.size(),
                 list_for_message(foreign->moved).c_str());
  }
  const std::size_t unused = script.unused() + static_cast<std::size_t>(script.counters().skipped);
  if (unused != 0) {
    std::fprintf(stderr,
                 "resume: %zu recorded event(s) were not asked for again (the run went another way); the "
                 "interrupted run is kept in %s\n",
                 unused, backup.string().c_str());
  } else if (foreign && !foreign->conflicts.empty()) {
    std::fprintf(stderr,
                 "resume: %zu file(s) that the run did not write differ from the rebuilt ones (%s); they are kept "
                 "in %s\n",
                 foreign->conflicts.size(), list_for_message(foreign->conflicts).c_str(), backup.string().c_str());
  } else if (foreign) {
    fs::remove_all(backup, ec);
  }
  std::printf("%s\n", report.folder.string().c_str());
  std::fflush(stdout);
  return report.exit_code;
}

const bool resume_registered = register_command(45, [](CLI::App& app) {
  auto a = std::make_shared<ResumeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "resume", "Continue a run stopped by a crash, kill, Ctrl-C, budget or round limit; recorded answers are reused");
  cmd->add_option("folder", a->folder, "The project folder of the stopped run (holding run.jsonl)")->required();
  a->common.add_to(cmd);
  a->llm.add_to(cmd);
  return Command{cmd, [a] { return resume_command(*a); }};
});

}  // namespace
}  // namespace agentco
