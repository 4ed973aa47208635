// `agentco bench <prompts.csv|txt> [--sop A --sop B ...] [llm flags] [-j N] [--repeat K]
// [--out DIR] [--budget USD]`: every prompt × SOP variant × repeat as a child `agentco run`
// into one experiment folder, then results.csv/.json and summary.md (research/).
// Exit: 0 every run finished, 1 some run did not, 2 usage (bad prompts file, SOP, config),
// 3 the budget stopped launching, 130 interrupted. With --nats URL the runs are carried out by
// workers (`agentco worker`) instead of child processes: cluster/coordinator.hpp.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/quality_setup.hpp"
#include "cluster/coordinator.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "research/experiment_runner.hpp"
#include "research/prompt_list.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

struct BenchOptions {
  std::string prompts_file;
  std::vector<std::string> sops;
  std::string config_file, llm, model, base_url;
  bool insecure = false, no_user_config = false, verbose = false, quiet = false;
  int max_rounds = -1;
  double investment = -1;
  int jobs = 0, repeat = 1;  // jobs 0: not given (1 locally; the workers' slots over NATS)
  std::string nats;
  std::string out;
  double budget = -1;
  double run_timeout = 0;
  double quality_deadline = 5;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "agentco bench: %s\n", message.c_str());
  return 2;
}

std::string absolute_if_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return fs::absolute(path, ec).string();
  return path;
}

ConfigSources config_sources(const BenchOptions& o) {
  ConfigSources s;
  s.read_default_files = !o.no_user_config;
  if (!o.config_file.empty()) s.config_file = o.config_file;
  if (!o.llm.empty()) s.flags.emplace_back("llm.api_type", o.llm);
  if (!o.model.empty())
    s.flags.emplace_back("llm.model", o.model);
  else if (o.llm == "mock")
    s.flags.emplace_back("llm.model", "mock");
  if (!o.base_url.empty()) s.flags.emplace_back("llm.base_url", o.base_url);
  if (o.insecure) s.flags.emplace_back("llm.insecure", "true");
  if (o.max_rounds >= 0) s.flags.emplace_back("run.max_rounds", std::to_string(o.max_rounds));
  return s;
}

// What every child `run` gets besides its name, warehouse, SOP and budget.
std::vector<std::string> run_flags(const BenchOptions& o) {
  std::vector<std::string> flags;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    flags.push_back(name);
    flags.push_back(value);
  };
  add("--config", o.config_file.empty() ? "" : fs::absolute(o.config_file).string());
  add("--llm", o.llm);
  add("--model", o.model);
  add("--llm-base-url", o.base_url);
  if (o.max_rounds >= 0) add("--max-rounds", std::to_string(o.max_rounds));
  if (o.insecure) flags.push_back("--insecure");
  if (o.no_user_config) flags.push_back("--no-user-config");
  if (o.verbose) flags.push_back("-v");
  if (o.quiet) flags.push_back("-q");
  return flags;
}

fs::path fresh_experiment_folder(const fs::path& warehouse) {
  const std::string base = "bench-" + folder_timestamp_now();
  fs::path candidate = warehouse / base;
  std::error_code ec;  // a warehouse that cannot be looked at fails below, where the folder is made
  for (int i = 2; fs::exists(candidate, ec) && !ec; ++i) candidate = warehouse / fmt::format("{}-{}", base, i);
  return candidate;
}

// Over NATS: the jobs carry the runs' flags, and the --config and SOP files themselves (a
// worker shares no file system with us); the config without its secrets.
Result<DistributedOptions> distributed_options(const BenchOptions& o, const std::vector<std::string>& sops) {
  NatsSources sources;
  sources.url_flag = o.nats;
  if (!o.config_file.empty()) sources.config_file = o.config_file;
  sources.read_default_files = !o.no_user_config;
  auto nats = load_nats_settings(sources);
  if (!nats) return nats.error();
  DistributedOptions d;
  d.nats = std::move(*nats);
  d.window = o.jobs;
  BenchOptions without_config = o;
  without_config.config_file.clear();
  d.flags = run_flags(without_config);
  if (!o.config_file.empty()) {
    std::string text;
    if (!read_file(o.config_file, text)) return make_error("config", o.config_file + ": cannot be read");
    auto secretless = secretless_config(text, o.config_file);
    if (!secretless) return secretless.error();
    d.config_file = CarriedFile{fs::path(o.config_file).filename().string(), std::move(*secretless)};
  }
  for (const auto& sop : sops) {
    std::error_code ec;
    if (!fs::is_regular_file(sop, ec)) continue;
    std::string text;
    if (!read_file(sop, text)) return make_error("config", sop + ": cannot be read");
    d.sop_files[sop] = CarriedFile{fs::path(sop).filename().string(), std::move(text)};
  }
  return d;
}

int bench_command(const BenchOptions& o) {
  auto prompts = read_prompt_list(o.prompts_file);
  if (!prompts) return usage_error(prompts.error().message);

  auto config = load_config(config_sources(o));
  if (!config) return usage_error(config.error().message);
  {  // Every SOP is checked before any run starts.
    ActionRegistry registry;
    register_builtin_actions(registry);
    PromptLibrary library(config->run.prompts_dir);
    std::vector<std::string> names = o.sops;
    if (names.empty()) names.push_back(config->run.sop);
    for (const auto& name : names)
      if (auto sop = load_sop(name, registry, library); !sop) return usage_error(sop.error().message);
  }

  std::vector<std::string> sops;
  for (const auto& s : o.sops) sops.push_back(absolute_if_file(s));
  ExperimentOptions options;
  options.info.prompts_file = o.prompts_file;
  options.info.variants = make_variants(sops, config->run.sop);
  options.info.prompts = static_cast<int>(prompts->size());
  options.info.repeats = o.repeat;
  options.info.jobs = std::max(1, o.jobs);
  options.info.budget_usd = o.budget;
  options.plan = plan_experiment(*prompts, options.info.variants, o.repeat);

  std::error_code ec;
  fs::path folder = o.out.empty() ? fresh_experiment_folder(config->run.warehouse) : fs::path(o.out);
  if (fs::exists(folder / "results.json", ec))
    return usage_error(folder.string() + " already holds an experiment (results.json); choose another --out");
  fs::create_directories(folder, ec);
  if (ec) return usage_error("cannot create " + folder.string() + ": " + ec.message());
  options.info.folder = fs::absolute(folder).lexically_normal();
  options.run_flags = run_flags(o);
  options.investment_usd = o.investment;
  options.run_timeout_s = o.run_timeout;
  options.measure_quality = o.quality_deadline > 0;
  options.quality = quality_options(*config, o.quality_deadline);
  options.tty = ::isatty(STDERR_FILENO);

  const std::string pace = !o.nats.empty() && o.jobs == 0 ? std::string("over NATS workers")
                           : fmt::format("{} at a time", options.info.jobs);
  std::fprintf(
      stderr,
      "agentco bench: %zu prompt%s × %zu variant%s × %d repeat%s = %zu run%s, %s, into %s\n",
      prompts->size(), prompts->size() == 1 ? "" : "s", options.info.variants.size(),
      options.info.variants.size() == 1 ? "" : "s", o.repeat, o.repeat == 1 ? "" : "s", options.plan.size(),
      options.plan.size() == 1 ? "" : "s", pace.c_str(), options.info.folder.string().c_str());
  ExperimentResult result;
  if (o.nats.empty()) {
    result = run_experiment(options);
  } else {
    auto distributed = distributed_options(o, sops);
    if (!distributed) return usage_error(distributed.error().message);
    auto ran = run_distributed_experiment(options, *distributed);
    if (!ran) {
      std::fprintf(stderr, "agentco bench: %s\n", ran.error().message.c_str());
      return 2;
    }
    result = std::move(*ran);
  }

  int finished = 0;
  for (const auto& row : result.rows) finished += row.finished();
  std::fprintf(stderr, "agentco bench: %d of %zu runs finished (%d launched)%s; results: %s\n", finished,
               options.plan.size(), result.info.launched,
               result.stop_signal      ? ", interrupted"
               : result.budget_reached ? ", budget reached"
                                       : "",
               (options.info.folder / "summary.md").string().c_str());
  std::printf("%s\n", options.info.folder.string().c_str());
  std::fflush(stdout);
  if (result.stop_signal) return 130;
  if (result.budget_reached) return 3;
  return finished == static_cast<int>(options.plan.size()) ? 0 : 1;
}

const bool bench_registered = register_command(60, [](CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Experiments: every prompt of a .txt/.csv file × SOP variant × repeat as a run, N at a time; "
      "results.csv/.json and summary.md");
  cmd->add_option("prompts", o->prompts_file,
                  ".txt (one idea per line, # comments) or .csv with a header (Description column, "
                  "Name for the run's name; else the first column)")
      ->required();
  cmd->add_option("--sop", o->sops,
                  "A SOP variant (built-in name or YAML file); repeatable; default: the configured SOP")
      ->allow_extra_args(false);  // one value per --sop: `--sop a.yaml prompts.txt` keeps the prompts file
  cmd->add_option("-j,--jobs", o->jobs,
                  "Runs at once (default 1; with --nats: runs queued or running over the cluster, default the "
                  "slots of the workers present)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--nats", o->nats,
                  "Spread the runs over workers (`agentco worker`) through NATS JetStream at this url, e.g. "
                  "nats://127.0.0.1:4222 (credentials and TLS: the config's nats section)");
  cmd->add_option("--repeat", o->repeat, "Runs per prompt and variant (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", o->out, "Experiment folder (default: <warehouse>/bench-<stamp>)");
  cmd->add_option(
         "--budget", o->budget,
         "USD for the whole experiment: no run starts once the finished runs spent it; each run gets "
         "what is left as its --investment")
      ->check(finite_number(0));
  cmd->add_option(
         "--run-timeout", o->run_timeout,
         "Seconds a run may take; then it is stopped like Ctrl-C (status timed_out), killed 10 s later")
      ->check(finite_number(0, /*above=*/true));
  cmd->add_option("--quality-deadline", o->quality_deadline,
                  "Seconds each run's program is given when its quality is measured (completeness, "
                  "executability, consistency, quality; see `agentco quality`); 0: not measured")
      ->check(finite_number(0));
  cmd->add_option("--config", o->config_file, "Extra config file (YAML), for every run");
  cmd->add_option("--llm", o->llm,
                  "Model provider: mock (offline) | openai | azure | ollama | lmstudio | llama.cpp | vllm");
  cmd->add_option("--model", o->model, "Model name");
  cmd->add_option("--llm-base-url", o->base_url, "OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1");
  cmd->add_flag("--insecure", o->insecure,
                "Accept any TLS certificate (a self-signed local server you trust)");
  cmd->add_option("--investment", o->investment, "Budget in USD per run")->check(finite_number(0));
  cmd->add_option("--max-rounds", o->max_rounds, "Role turns before a run stops");
  cmd->add_flag("--no-user-config", o->no_user_config,
                "Ignore ./config/agentco.yaml and ~/.config/agentco/config.yaml");
  cmd->add_flag("-v,--verbose", o->verbose, "Debug logging in the runs' logs");
  cmd->add_flag("-q,--quiet", o->quiet, "Warnings and errors only in the runs' logs");
  return Command{cmd, [o] { return bench_command(*o); }};
});

}  // namespace
}  // namespace agentco
