// `agentco worker --nats nats://HOST:PORT [--slots N] [--name W] [--workdir DIR] [--keep]`:
// joins a cluster and carries out the runs of experiments that `agentco bench --nats`
// publishes (cluster/worker.hpp). Runs until Ctrl-C. Exit 2 when NATS cannot be reached.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/command_registry.hpp"
#include "cluster/worker.hpp"

namespace agentco {
namespace {

struct WorkerArgs {
  std::string nats, config_file;
  bool no_user_config = false;
  WorkerOptions options;
};

int worker_command(WorkerArgs& a) {
  NatsSources sources;
  sources.url_flag = a.nats;
  if (!a.config_file.empty()) sources.config_file = a.config_file;
  sources.read_default_files = !a.no_user_config;
  auto settings = load_nats_settings(sources);
  if (!settings) {
    std::fprintf(stderr, "agentco worker: %s\n", settings.error().message.c_str());
    return 2;
  }
  a.options.nats_flags = {"--nats", settings->url};
  if (!a.config_file.empty())
    a.options.nats_flags.insert(a.options.nats_flags.end(),
                                {"--nats-config", std::filesystem::absolute(a.config_file).string()});
  a.options.nats = std::move(*settings);
  return run_worker(a.options);
}

const bool worker_registered = register_command(65, [](CLI::App& app) {
  auto a = std::make_shared<WorkerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "Join a cluster over NATS JetStream and carry out the runs of `agentco bench --nats`");
  cmd->add_option("--nats", a->nats, "NATS url, e.g. nats://127.0.0.1:4222 (default: the config's nats.url)");
  cmd->add_option("--slots", a->options.slots, "Runs at once (default 1)")->check(CLI::PositiveNumber);
  cmd->add_option("--name", a->options.name, "This worker's name in logs and results (default: HOST-PID)");
  cmd->add_option("--workdir", a->options.workdir,
                  "Where runs are carried out (default: a folder under the temporary directory)");
  cmd->add_flag("--keep", a->options.keep_runs, "Keep each run's folder after its result is published");
  cmd->add_option("--config", a->config_file,
                  "Config file with a nats section (credentials, TLS, ack_wait_s)");
  cmd->add_flag("--no-user-config", a->no_user_config,
                "Ignore ./config/agentco.yaml and ~/.config/agentco/config.yaml for the NATS settings");
  return Command{cmd, [a] { return worker_command(*a); }};
});

}  // namespace
}  // namespace agentco
