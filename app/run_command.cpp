// `agentco run`: config -> SOP -> provider -> project folder + trace -> team -> summary.
// Every check a user can fail (config, SOP, model) happens before the folder is created.
#include <cstdio>
#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "actions/prompt_library.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/commands.hpp"
#include "core/resources.hpp"
#include "core/text.hpp"
#include "environment/existing_project.hpp"
#include "environment/message_bus.hpp"
#include "environment/project_summary.hpp"
#include "environment/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/human_provider.hpp"
#include "llm/ledger.hpp"
#include "llm/providers.hpp"
#include "roles/team.hpp"
#include "sop/sop.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

constexpr int kUsageError = 2;

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return kUsageError;
}

void apply_log_level(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log.level));
}

// warehouse/<base>_<stamp>, with -2, -3 ... when that exists already.
fs::path fresh_folder(const fs::path& warehouse, const std::string& base, const std::string& stamp) {
  fs::path candidate = warehouse / (base + "_" + stamp);
  for (int i = 2; fs::exists(candidate); ++i) candidate = warehouse / fmt::format("{}_{}-{}", base, stamp, i);
  return candidate;
}

nlohmann::json used_prompts(const Sop& sop, const PromptLibrary& prompts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, action] : sop.actions) {
    if (action.prompt.empty()) continue;
    out[action.prompt] = {{"origin", prompts.origin(action.prompt)}, {"text", prompts.find(action.prompt).value_or("")}};
  }
  return out;
}

std::string sop_text(const Config& config) {
  std::string text;
  if (fs::exists(config.run.sop) && read_file(config.run.sop, text)) return text;
  return embedded_resource("sop/" + config.run.sop + ".yaml").value_or("");
}

}  // namespace

int check_sop_command(const std::string& sop_name, const ConfigSources& sources) {
  auto config = load_config(sources);
  if (!config) return fail(config.error().message);
  PromptLibrary prompts(config->run.prompts_dir);
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop(sop_name, registry, prompts);
  if (!sop) return fail(sop.error().message);
  std::printf("%s: %zu roles, %zu actions: OK\n", sop->source.c_str(), sop->roles.size(), sop->actions.size());
  return 0;
}

int run_command(const RunOptions& options) {
  auto config_result = load_config(options.config);
  if (!config_result) return fail(config_result.error().message);
  const Config& config = *config_result;
  apply_log_level(config);
  if (options.idea.find_first_not_of(" \t\r\n") == std::string::npos) return fail("the idea is empty: say what to build");

  PromptLibrary prompts(config.run.prompts_dir);
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop(config.run.sop, registry, prompts);
  if (!sop) return fail(sop.error().message);
  for (const auto& human : options.human_roles) {
    bool known = std::any_of(sop->roles.begin(), sop->roles.end(),
                             [&](const RoleSpec& r) { return r.name == human || r.profile == human; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& r : sop->roles) names.push_back(r.name + " (" + r.profile + ")");
      return fail(fmt::format("--human {}: no such role in {} (roles: {})", human, sop->source, fmt::join(names, ", ")));
    }
  }
  auto provider = make_provider(config);
  if (!provider) return fail(provider.error().message);

  const std::string started_at = iso_timestamp_now();
  const std::string stamp = folder_timestamp_now();
  const fs::path warehouse = fs::absolute(config.run.warehouse);
  const std::string base = slugify(options.name.empty() ? options.idea : options.name);
  std::optional<ExistingProject> existing;
  if (!options.project_path.empty()) {
    auto project = read_existing_project(options.project_path);
    if (!project) return fail(project.error().message);
    existing = std::move(*project);
  }
  auto workspace = Workspace::open(existing ? fs::absolute(options.project_path) : fresh_folder(warehouse, base, stamp));
  if (!workspace) return fail("cannot create the project folder: " + workspace.error().message);
  Workspace& ws = **workspace;
  auto trace_writer = TraceWriter::open(ws.root() / "run.jsonl");
  if (!trace_writer) return fail("cannot write the trace: " + trace_writer.error().message);
  TraceWriter& trace = **trace_writer;

  trace.append("run_start", {{"schema_version", kTraceSchemaVersion},
                             {"agentco_version", AGENTCO_VERSION},
                             {"idea", options.idea},
                             {"name", options.name},
                             {"started_at", started_at},
                             {"folder_stamp", stamp},
                             {"config", config.to_json(true)},
                             {"provider", (*provider)->name()},
                             {"sop", {{"name", sop->name}, {"source", sop->source}, {"text", sop_text(config)}}},
                             {"prompts", used_prompts(*sop, prompts)},
                             {"incremental", existing ? nlohmann::json{{"layout", existing->layout},
                                                                       {"source_root", existing->source_root},
                                                                       {"files", existing->code.size()}}
                                                      : nlohmann::json(nullptr)}});
  spdlog::info("project folder: {}", ws.root().string());

  CostLedger ledger(config.pricing, config.run.investment);
  std::shared_ptr<Provider> model = *provider;
  if (!options.human_roles.empty() || options.review_by_human) {
    model = std::make_shared<HumanProvider>(
        model, std::set<std::string>(options.human_roles.begin(), options.human_roles.end()), options.review_by_human);
  }
  LlmGateway gateway(model, ledger, &trace);
  MessageBus bus;
  boost::asio::io_context io;
  RunContext run(io.get_executor(), config, options.idea, bus, ws, trace, gateway, prompts);
  gateway.watch_stop(&run.stop);
  run.documents["requirement"] = options.idea;
  if (existing) {
    // The project's history: a folder without git (e.g. from MetaGPT) is imported first.
    if (ws.log().empty()) {
      ProjectSummary before = summarize_project(ws.root());
      (void)run.commit("agentco", "Import the existing project (" + existing->layout + ")", before.files);
    }
    for (const auto& [name, doc] : {std::pair<const char*, const nlohmann::json*>{"prd", &existing->prd},
                                    {"system_design", &existing->system_design},
                                    {"tasks", &existing->tasks}}) {
      if (doc->is_object()) run.documents[name] = *doc;
    }
    run.documents["code"] = existing->code;
    if (!existing->source_root.empty()) run.documents["source_root"] = existing->source_root;
    if (!existing->requirement.empty()) run.documents["original_requirement"] = existing->requirement;
    spdlog::info("developing the {} project in {} further ({} source files)", existing->layout, ws.root().string(),
                 existing->code.size());
  }

  std::vector<std::string> first;
  if (existing && ws.exists(".gitignore")) {
    // keep the project's own .gitignore
  } else if (auto w = run.write_file("User", ".gitignore", "run.jsonl\nmeta.json\n__pycache__/\n*.pyc\n")) {
    first.push_back(w->path);
  }
  if (auto w = run.write_file("User", "docs/requirement.txt", options.idea + "\n")) first.push_back(w->path);
  (void)run.commit("User", "UserRequirement: docs/requirement.txt", first);

  bool renamed = !options.name.empty() || existing.has_value();
  run.on_project_name = [&](const std::string& project_name) {
    if (renamed) return;
    renamed = true;
    fs::path target = fresh_folder(warehouse, slugify(project_name), stamp);
    if (target.filename() == ws.root().filename()) return;
    fs::path from = ws.root();
    if (auto status = ws.rename_root(target); !status) {
      run.warn("Team", "could not rename the project folder: " + status.error().message);
      return;
    }
    trace.append("project_renamed", {{"from", from.filename().string()}, {"to", target.filename().string()}});
    spdlog::info("project folder renamed to {}", target.string());
  };

  RunOutcome outcome = run_team(io, run, *sop, registry, started_at);

  const auto& total = ledger.total();
  std::string figures = fmt::format("{} turns, {} model calls, {} tokens{}, ${:.4f}; {} commits, {} lines of code",
                                    run.turns(), total.calls, total.prompt_tokens + total.completion_tokens,
                                    total.estimated ? " (estimated)" : "", total.cost,
                                    outcome.meta.value("commits", 0), outcome.meta.value("lines_of_code", 0L));
  std::string headline;
  if (outcome.reason == "idle") headline = "run finished: " + outcome.detail;
  else if (outcome.reason == "failed") headline = "run failed: " + outcome.detail;
  else headline = "run stopped (" + outcome.reason + "): " + outcome.detail;
  std::fprintf(stderr, "%s\n%s\nfinished work is kept in the folder below\n", headline.c_str(), figures.c_str());
  std::printf("%s\n", ws.root().string().c_str());
  std::fflush(stdout);
  return outcome.exit_code;
}

namespace {

const bool run_registered = register_command(10, [](CLI::App& app) {
  struct Options {
    RunOptions run;
    CommonFlags common;
    LlmFlags llm;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "A team of role agents turns an idea into a project in the warehouse");
  cmd->add_option("idea", o->run.idea, "What to build, e.g. \"write a cli snake game\"")->required();
  cmd->add_option("--name", o->run.name, "Project folder name (default: the PRD's project name)");
  cmd->add_option("--human", o->run.human_roles,
                  "A person answers for this role (name or profile, e.g. Alice or \"Product Manager\"); repeatable");
  cmd->add_flag("--review-by-human", o->run.review_by_human, "A person reviews each code file (LGTM/LBTM)");
  cmd->add_option("--project-path", o->run.project_path,
                  "Develop an existing project (made by agentco or MetaGPT) further: refine its documents, "
                  "change only the files that need it, keep its git history");
  o->common.add_to(cmd);
  o->llm.add_to(cmd);
  return Command{cmd, [o] {
                   o->run.config = o->common.sources();
                   o->llm.add_flags(o->run.config);
                   return run_command(o->run);
                 }};
});

const bool check_sop_registered = register_command(20, [](CLI::App& app) {
  struct Options {
    std::string sop;
    CommonFlags common;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("check-sop", "Validate a SOP file without running it");
  cmd->add_option("sop", o->sop, "SOP name or YAML file")->required();
  o->common.add_to(cmd);
  return Command{cmd, [o] { return check_sop_command(o->sop, o->common.sources()); }};
});

}  // namespace
}  // namespace agentco
