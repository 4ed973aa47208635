// `agentco run`: config -> SOP -> provider -> a RunPlan for execute_run (app/run_pipeline.hpp).
// Every check a user can fail (config, SOP, model) happens before the folder is created.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/commands.hpp"
#include "core/utf8.hpp"
#include "app/run_pipeline.hpp"
#include "environment/existing_project.hpp"
#include "app/context_probe.hpp"
#include "cluster/population_run.hpp"
#include "core/text.hpp"
#include "llm/human_provider.hpp"
#include "llm/providers.hpp"
#include "sop/model_choice.hpp"
#include "sop/role_llms.hpp"
#include "sop/role_tools.hpp"
#include "sop/sop.hpp"

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

}  // namespace

int check_sop_command(const std::string& sop_name, const ConfigSources& sources) {
  auto config = load_config(sources);
  if (!config) return fail(config.error().message);
  PromptLibrary prompts(config->run.prompts_dir);
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop(sop_name, registry, prompts);
  if (!sop) return fail(sop.error().message);
  if (auto roles = bind_role_llms(*config, *sop); !roles) return fail(roles.error().message);
  if (auto models = check_model_overrides(*config, *sop); !models) return fail(models.error().message);
  if (auto tools = check_role_tools(*config, *sop); !tools) return fail(tools.error().message);
  std::printf("%s: %zu roles, %zu actions: OK\n", sop->source.c_str(), sop->roles.size(), sop->actions.size());
  return 0;
}

namespace {

// The coordinator of a spread simulation, or one of its partitions (cluster/population_run.hpp).
// A partition job carries the whole config without its secrets (a worker's own environment
// and config give the keys) and the SOP's text.
Result<std::unique_ptr<TeamSpread>> spread_team(const RunOptions& options, const RunPlan& plan) {
  NatsSources sources;
  sources.url_flag = options.nats;
  if (!options.nats_config.empty())
    sources.config_file = options.nats_config;
  else
    sources.config_file = options.config.config_file;
  sources.read_default_files = options.config.read_default_files && options.nats_config.empty();
  auto nats = load_nats_settings(sources);
  if (!nats) return nats.error();
  PopulationOptions population;
  population.nats = std::move(*nats);
  if (!options.partition.empty()) {
    if (auto status = parse_partition_flag(options.partition, population); !status) return status.error();
  } else {
    population.partitions = options.partitions;
    population.job.idea = plan.idea;
    population.job.sop_file = CarriedFile{slugify(plan.sop.name, 60) + ".yaml", plan.sop_text};
    auto config = secretless_config(plan.config.to_json(false).dump(), "the run's config");
    if (!config) return config.error();
    population.job.config_file = CarriedFile{"run-config.yaml", std::move(*config)};
  }
  return spread_population(population, plan.sop);
}

}  // namespace

int run_command(const RunOptions& options) {
  auto config_result = load_config(options.config);
  if (!config_result) return fail(config_result.error().message);
  apply_log_level(*config_result);
  if (options.idea.find_first_not_of(" \t\r\n") == std::string::npos) return fail("the idea is empty: say what to build");

  ActionRegistry registry;
  register_builtin_actions(registry);
  RunPlan plan;
  plan.config = std::move(*config_result);
  plan.idea = options.idea;
  if (first_invalid_utf8(plan.idea)) {
    Utf8Repair repair = repair_utf8(plan.idea);
    spdlog::warn("the idea: {}", describe_utf8_repair(repair));
    plan.idea = std::move(repair.text);
  }
  plan.name = options.name;
  plan.registry = &registry;
  plan.prompts = PromptLibrary(plan.config.run.prompts_dir);
  auto sop = load_sop(plan.config.run.sop, registry, plan.prompts);
  if (!sop) return fail(sop.error().message);
  plan.sop = std::move(*sop);
  plan.sop_text = sop_text(plan.config);
  if (auto roles = bind_role_llms(plan.config, plan.sop); !roles) return fail(roles.error().message);
  if (auto models = check_model_overrides(plan.config, plan.sop); !models) return fail(models.error().message);
  if (auto tools = check_role_tools(plan.config, plan.sop); !tools) return fail(tools.error().message);
  for (const auto& human : options.human_roles) {
    bool known = std::any_of(plan.sop.roles.begin(), plan.sop.roles.end(),
                             [&](const RoleSpec& r) { return r.name == human || r.profile == human; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& r : plan.sop.roles) names.push_back(r.name + " (" + r.profile + ")");
      return fail(fmt::format("--human {}: no such role in {} (roles: {})", human, plan.sop.source, fmt::join(names, ", ")));
    }
  }
  auto provider = make_provider(plan.config);
  if (!provider) return fail(provider.error().message);
  plan.provider = *provider;
  plan.context_windows = probe_context_windows(plan.config, plan.sop, **provider);
  // The SOP's human nodes (`human: true`) are answered at the terminal, as --human ROLE.
  std::set<std::string> humans(options.human_roles.begin(), options.human_roles.end());
  for (const auto& role : plan.sop.roles)
    if (role.human) humans.insert(role.name);
  // Whoever is at the terminal for --human or --review-by-human can answer questions too.
  plan.ask_human = options.ask_human || !humans.empty() || options.review_by_human;
  if (plan.ask_human) plan.provider = std::make_shared<HumanProvider>(plan.provider, humans, options.review_by_human);
  if (!options.project_path.empty()) {
    auto project = read_existing_project(options.project_path);
    if (!project) return fail(project.error().message);
    plan.existing = std::move(*project);
    plan.folder = fs::absolute(options.project_path);
  }
  std::unique_ptr<TeamSpread> spread;
  if (options.partitions > 0 || !options.partition.empty()) {
    if (!options.project_path.empty()) return fail("--partitions and --partition do not go with --project-path");
    auto made = spread_team(options, plan);
    if (!made) return fail(made.error().message);
    spread = std::move(*made);
    plan.spread = spread.get();
  }
  RunReport report = execute_run(plan);
  if (report.started) {
    std::printf("%s\n", report.folder.string().c_str());
    std::fflush(stdout);
  }
  return report.exit_code;
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
  cmd->add_flag("--ask-human", o->run.ask_human,
                "Roles with the ask_human tool may put questions to you at the terminal (without it, the tool "
                "is left out)");
  cmd->add_option("--project-path", o->run.project_path,
                  "Develop an existing project (made by agentco or MetaGPT) further: refine its documents, "
                  "change only the files that need it, keep its git history");
  cmd->add_option("--partitions", o->run.partitions,
                  "Spread the SOP's populations over N workers of a NATS cluster (agentco worker); this "
                  "process hosts the other roles and writes the trace")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--nats", o->run.nats, "NATS url for --partitions (default: the config's nats.url)");
  cmd->add_option("--partition", o->run.partition, "RUN/K/N: be partition K of a spread run (set by a worker)")
      ->group("");
  cmd->add_option("--nats-config", o->run.nats_config, "Config file with the nats section (set by a worker)")
      ->group("");
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
