// The body of a run, shared by `run`, `replay`, `resume` and `fork`: project folder, trace,
// ledger, gateway, process journal, team, summary. The commands differ only in the plan they
// hand it: where the config, SOP, templates and model answers come from, and which folder.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "config/config.hpp"
#include "environment/existing_project.hpp"
#include "environment/process_journal.hpp"
#include "llm/provider.hpp"
#include "roles/team.hpp"
#include "sop/sop.hpp"
#include "tools/tool_hub.hpp"

namespace agentco {

class TeamSpread;
class TraceWriter;

struct RunPlan {
  Config config;
  std::string idea;
  std::string name;  // --name: fixes the folder name
  Sop sop;
  std::string sop_text;  // recorded in run_start for replay
  PromptLibrary prompts;
  const ActionRegistry* registry = nullptr;
  std::shared_ptr<Provider> provider;

  std::optional<ExistingProject> existing;  // --project-path
  std::filesystem::path folder;  // the project folder; empty: a fresh one under the warehouse
  bool allow_rename = true;      // the folder may take the PRD's project name
  std::string started_at, stamp;  // defaults: now
  nlohmann::json run_start_extra = nlohmann::json::object();  // e.g. "replay_of"
  // Context windows the model server reported (Ollama), by model; recorded in run_start so
  // that a replay fits its prompts to the same windows.
  std::map<std::string, long> context_windows;
  // A person at the terminal answers the ask_human tool; recorded in run_start.
  bool ask_human = false;

  // The process journal of the run (default: one that traces each process).
  std::function<std::unique_ptr<ProcessJournal>(TraceWriter&, std::function<std::string()> project_root)> journal;
  // What the recording holds for MCP tools (replay, resume, fork); default: nothing, live.
  std::function<std::unique_ptr<ToolRecall>()> tool_recall;
  // A team spread over processes (`run --nats`, `run --partition`): see roles/team_spread.hpp.
  TeamSpread* spread = nullptr;
  // Said after the run's own summary lines (e.g. what a replay answered from the recording).
  std::function<void()> after_run;
};

struct RunReport {
  int exit_code = 0;
  std::filesystem::path folder;  // where the project is now
  RunOutcome outcome;
  bool started = false;  // false: the run failed before its folder was made (exit_code says why)
};

RunReport execute_run(RunPlan& plan);

// Loads the SOP and checks --human names against it; exit code 2 with a message on failure.
nlohmann::json used_prompts(const Sop& sop, const PromptLibrary& prompts);
std::string sop_text(const Config& config);

}  // namespace agentco
