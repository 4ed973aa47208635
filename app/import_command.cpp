// `agentco import <tool> <source> [--out DIR] [--warehouse DIR]`: another tool's run as an
// agentco project folder (see importers/importer.hpp).
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/command_registry.hpp"
#include "config/config.hpp"
#include "importers/importer.hpp"

namespace agentco {
namespace {

struct ImportOptions {
  std::string tool;
  std::string source;
  std::string out;
  std::string warehouse;
  bool quiet = false;
  ImportLimits limits;
};

int import_command(const ImportOptions& options) {
  ImportRequest request;
  request.tool = options.tool;
  request.source = options.source;
  request.out = options.out;
  request.limits = options.limits;
  if (!options.warehouse.empty()) {
    request.warehouse = options.warehouse;
  } else {
    ConfigSources sources;
    auto config = load_config(sources);
    request.warehouse = config ? config->run.warehouse : std::string("warehouse");
  }
  auto report = import_run(request);
  if (!report) {
    std::fprintf(stderr, "agentco import: %s\n", report.error().message.c_str());
    return report.error().code == "import" ? 1 : 2;
  }
  if (!options.quiet)
    for (const auto& w : report->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::fprintf(stderr, "imported %s run: %zu trace records, %zu warnings\n", options.tool.c_str(), report->records,
               report->warnings.size());
  std::printf("%s\n", report->project.string().c_str());
  std::fflush(stdout);
  return 0;
}

const bool import_registered = register_command(40, [](CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Turn another tool's run (a ChatDev log, a MetaGPT workspace) into an agentco project folder");
  cmd->add_option("tool", o->tool, fmt::format("Which tool made the run: {}", fmt::join(importer_names(), ", ")))
      ->required()
      ->check(CLI::IsMember(importer_names()));
  cmd->add_option("source", o->source,
                  "chatdev: the run's .log (or its folder, with ChatChainConfig.json ... beside it); "
                  "metagpt: a workspace folder or .zip")
      ->required();
  cmd->add_option("--out", o->out, "The project folder to create (default: a new folder in the warehouse)");
  cmd->add_option("--warehouse", o->warehouse, "Where the new folder goes (default: run.warehouse from the config)");
  cmd->add_flag("-q,--quiet", o->quiet, "Do not print the warnings");
  cmd->add_option("--max-file-size", o->limits.max_file_bytes,
                  "Refuse a source whose files (or zip entries) unpack to more than this, e.g. 64MiB")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16MiB");
  cmd->add_option("--max-total-size", o->limits.max_total_bytes, "Refuse a source that unpacks to more than this in all")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("256MiB");
  cmd->add_option("--max-ratio", o->limits.max_ratio, "Refuse a zip that unpacks to more than this many times its size")
      ->check(CLI::Range(1.0, 1e9))
      ->default_str("100");
  return Command{cmd, [o] { return import_command(*o); }};
});

}  // namespace
}  // namespace agentco
