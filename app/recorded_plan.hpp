// A run plan rebuilt from a recorded run: the recorded config (without its secret), idea,
// name, SOP text, prompt templates (pinned, so an edited template file does not change the
// run) and timestamps. Shared by `replay`, `replay --fork-at` and `resume`.
#pragma once
#include "actions/action.hpp"
#include "app/cli_flags.hpp"
#include "app/run_pipeline.hpp"
#include "core/result.hpp"
#include "replay/recorded_run.hpp"

namespace agentco {

class ReplayScript;

struct RecordedPlanOptions {
  // The user's config files, environment and flags go on top of the recorded config (fork,
  // resume: the model, budget or round limit may change from here on). Otherwise the recorded
  // config alone is used (replay).
  bool layer_user_config = false;
  // --sop given and layered: the run continues with the user's SOP instead of the recorded one.
  bool user_sop = false;
};

// Fills plan.config, idea, name, prompts, sop, sop_text, started_at, stamp and registry
// (`registry` must outlive the plan). Errors name the trace or the config layer at fault.
Status plan_from_recording(RunPlan& plan, const RecordedRun& recorded, const ActionRegistry& registry,
                           const CommonFlags& common, const LlmFlags& llm, const RecordedPlanOptions& options);

// The run's model calls and processes are answered by `script` (which must outlive the run);
// what it cannot answer goes to `live`, or fails when `live` is null (a pure replay).
void answer_from_recording(RunPlan& plan, ReplayScript& script, std::shared_ptr<Provider> live);

// The member `key` of a trace record, or an empty object.
const nlohmann::json& record_member(const nlohmann::json& record, const char* key);

}  // namespace agentco
