#include "app/recorded_plan.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/private_temp_file.hpp"
#include "replay/replay_provider.hpp"
#include "replay/replay_tools.hpp"
#include "sop/model_choice.hpp"
#include "sop/role_llms.hpp"

namespace agentco {
namespace fs = std::filesystem;

const nlohmann::json& record_member(const nlohmann::json& record, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = record.find(key);
  return it != record.end() && it->is_object() ? *it : empty;
}

namespace {

// The recorded config as the bottom layer under the user's files, environment and flags:
// load_config takes layers from files, so the recorded one is written to a private temp file.
Result<Config> layered_config(const nlohmann::json& recorded_config, const CommonFlags& common, const LlmFlags& llm,
                              const std::string& origin) {
  ConfigSources sources = common.sources();
  llm.add_flags(sources);
  auto file = PrivateTempFile::create("agentco-recorded-config-", ".yaml", recorded_config.dump());
  if (!file) return make_error("config", file.error().message + " (the recorded config of " + origin + ")");
  sources.config_file = file->path().string();
  auto layered = load_config(sources);
  return layered;
}

}  // namespace

Status plan_from_recording(RunPlan& plan, const RecordedRun& recorded, const ActionRegistry& registry,
                           const CommonFlags& common, const LlmFlags& llm, const RecordedPlanOptions& options) {
  const nlohmann::json& start = recorded.run_start;
  const std::string origin = recorded.trace_file.string() + " run_start";
  nlohmann::json recorded_config = record_member(start, "config");
  drop_redacted_secrets(recorded_config);

  Config config;
  if (auto status = apply_config_yaml(config, recorded_config.dump(), origin); !status) return status.error();
  if (options.layer_user_config) {
    auto layered = layered_config(recorded_config, common, llm, origin);
    if (!layered) return layered.error();
    config = std::move(*layered);
  }

  // The recorded texts, type-checked: a trace is a file a user can edit (seq 1 is run_start).
  std::optional<Error> wrong;
  auto text_of = [&](const nlohmann::json& object, const std::string& key, const std::string& where) -> std::string {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) return "";
    if (object[key].is_string()) return object[key].get<std::string>();
    if (!wrong)
      wrong = make_error("trace", fmt::format("{} (seq 1): {}'{}' must be a string, got {}", origin, where, key,
                                              object[key].type_name()));
    return "";
  };
  plan.config = config;
  plan.idea = text_of(start, "idea", "");
  plan.name = text_of(start, "name", "");
  plan.registry = &registry;
  plan.prompts = PromptLibrary(config.run.prompts_dir);
  for (const auto& [name, t] : record_member(start, "prompts").items()) {
    plan.prompts.pin(name, text_of(t, "text", "prompts." + name + "."), "recorded in " + recorded.trace_file.string());
  }
  const nlohmann::json& sop_record = record_member(start, "sop");
  const bool user_sop = options.layer_user_config && options.user_sop;
  plan.sop_text = user_sop ? sop_text(config) : text_of(sop_record, "text", "sop.");
  plan.started_at = text_of(start, "started_at", "");
  plan.stamp = text_of(start, "folder_stamp", "");
  // A run rebuilt from a rebuilt run keeps one "recorded SOP" prefix, not one per generation.
  std::string source = text_of(sop_record, "source", "sop.");
  if (wrong) return *wrong;
  if (!source.starts_with("recorded SOP ")) source = "recorded SOP " + source;
  Result<Sop> sop = user_sop ? load_sop(config.run.sop, registry, plan.prompts)
                             : parse_sop(plan.sop_text, source, registry, plan.prompts);
  if (!sop) return sop.error();
  plan.sop = std::move(*sop);
  // The roles: entries' models, as when the run started (replay asks for the same models).
  if (auto roles = bind_role_llms(plan.config, plan.sop); !roles) return roles.error();
  // Per-role models the user adds for a fork or resume must name roles of the SOP that runs.
  if (options.layer_user_config) {
    if (auto models = check_model_overrides(plan.config, plan.sop); !models) return models.error();
  }
  plan.ask_human = start.contains("ask_human") && start["ask_human"] == true;
  if (start.contains("context_windows") && start["context_windows"].is_object()) {
    for (const auto& [model, tokens] : start["context_windows"].items()) {
      if (tokens.is_number_integer()) plan.context_windows[model] = tokens.get<long>();
    }
  }
  return ok_status();
}

void answer_from_recording(RunPlan& plan, ReplayScript& script, std::shared_ptr<Provider> live) {
  plan.provider = std::make_shared<ReplayProvider>(script, std::move(live));
  plan.journal = [&script](TraceWriter& trace, std::function<std::string()> root) {
    return std::make_unique<ReplayProcessJournal>(script, trace, std::move(root));
  };
  plan.tool_recall = [&script]() -> std::unique_ptr<ToolRecall> { return std::make_unique<ReplayToolRecall>(script); };
}

}  // namespace agentco
