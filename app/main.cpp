// agentco: a multi-agent software company. See README.md.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"

namespace {

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("agentco");
  logger->set_pattern("%^%l%$ %v");
  spdlog::set_default_logger(logger);
}

// Options shared by commands that load config.
struct CommonFlags {
  std::string config_file;
  std::string llm, model, warehouse, sop;
  double investment = -1;
  int max_rounds = -1;
  bool verbose = false;
  bool quiet = false;
  bool no_user_config = false;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--config", config_file, "Extra config file (YAML), above the user's config");
    cmd->add_option("--llm", llm, "Model provider: mock (offline) | openai | azure | ollama | lmstudio | llama.cpp | vllm");
    cmd->add_option("--model", model, "Model name");
    cmd->add_option("--warehouse", warehouse, "Folder that receives the projects");
    cmd->add_option("--sop", sop, "SOP: a built-in name (software_company) or a YAML file");
    cmd->add_option("--investment", investment, "Budget in USD; the run stops before a call that could exceed it");
    cmd->add_option("--max-rounds", max_rounds, "Role turns before the run stops");
    cmd->add_flag("-v,--verbose", verbose, "Debug logging");
    cmd->add_flag("-q,--quiet", quiet, "Warnings and errors only");
    cmd->add_flag("--no-user-config", no_user_config, "Ignore ./config/agentco.yaml and ~/.config/agentco/config.yaml");
  }

  agentco::ConfigSources sources() const {
    agentco::ConfigSources s;
    s.read_default_files = !no_user_config;
    if (!config_file.empty()) s.config_file = config_file;
    if (!llm.empty()) s.flags.emplace_back("llm.api_type", llm);
    if (!model.empty()) s.flags.emplace_back("llm.model", model);
    else if (llm == "mock") s.flags.emplace_back("llm.model", "mock");
    if (!warehouse.empty()) s.flags.emplace_back("run.warehouse", warehouse);
    if (!sop.empty()) s.flags.emplace_back("run.sop", sop);
    if (investment >= 0) s.flags.emplace_back("run.investment", std::to_string(investment));
    if (max_rounds >= 0) s.flags.emplace_back("run.max_rounds", std::to_string(max_rounds));
    if (verbose) s.flags.emplace_back("log.level", "debug");
    else if (quiet) s.flags.emplace_back("log.level", "warn");
    return s;
  }
};

// Options for commands that talk to a model server.
struct LlmFlags {
  std::string base_url;
  bool insecure = false;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--llm-base-url", base_url,
                    "OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (sets llm.base_url)");
    cmd->add_flag("--insecure", insecure, "Accept any TLS certificate (a self-signed local server you trust)");
  }

  void add_flags(agentco::ConfigSources& sources) const {
    if (!base_url.empty()) sources.flags.emplace_back("llm.base_url", base_url);
    if (insecure) sources.flags.emplace_back("llm.insecure", "true");
  }
};

}  // namespace

int main(int argc, char** argv) {
  setup_logging();
  CLI::App app{"agentco: a multi-agent software company. One line in, a project out."};
  app.set_version_flag("--version", std::string("agentco ") + AGENTCO_VERSION);
  app.require_subcommand(1);

  agentco::RunOptions run;
  CommonFlags run_flags;
  auto* run_cmd = app.add_subcommand("run", "A team of role agents turns an idea into a project in the warehouse");
  run_cmd->add_option("idea", run.idea, "What to build, e.g. \"write a cli snake game\"")->required();
  run_cmd->add_option("--name", run.name, "Project folder name (default: the PRD's project name)");
  run_cmd->add_option("--human", run.human_roles,
                      "A person answers for this role (name or profile, e.g. Alice or \"Product Manager\"); repeatable");
  run_cmd->add_flag("--review-by-human", run.review_by_human, "A person reviews each code file (LGTM/LBTM)");
  run_cmd->add_option("--project-path", run.project_path,
                      "Develop an existing project (made by agentco or MetaGPT) further: refine its documents, "
                      "change only the files that need it, keep its git history");
  run_flags.add_to(run_cmd);
  LlmFlags run_llm_flags;
  run_llm_flags.add_to(run_cmd);

  std::string sop_file;
  CommonFlags sop_flags;
  auto* sop_cmd = app.add_subcommand("check-sop", "Validate a SOP file without running it");
  sop_cmd->add_option("sop", sop_file, "SOP name or YAML file")->required();
  sop_flags.add_to(sop_cmd);

  CommonFlags check_llm_flags;
  LlmFlags check_llm_server_flags;
  auto* check_llm_cmd = app.add_subcommand(
      "check-llm", "Check the configured model: list models, send one tiny streamed request, show timings");
  check_llm_flags.add_to(check_llm_cmd);
  check_llm_server_flags.add_to(check_llm_cmd);

  CLI11_PARSE(app, argc, argv);

  if (*run_cmd) {
    run.config = run_flags.sources();
    run_llm_flags.add_flags(run.config);
    return agentco::run_command(run);
  }
  if (*sop_cmd) return agentco::check_sop_command(sop_file, sop_flags.sources());
  if (*check_llm_cmd) {
    agentco::ConfigSources sources = check_llm_flags.sources();
    check_llm_server_flags.add_flags(sources);
    return agentco::check_llm_command(sources);
  }
  return 2;
}
