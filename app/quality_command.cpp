// `agentco quality <dirs...> [--format table|json] [--deadline S] [--requirement TEXT]`:
// completeness, executability, consistency and quality (stats/quality.hpp) of run folders
// (agentco's or imported ones: the requirement is the run's idea) or of any project folder
// (with --requirement). Consistency uses the config's server's embeddings when llm.embedding_model
// names a model (--config, --llm-base-url), else it is lexical.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "app/quality_setup.hpp"
#include "stats/quality.hpp"
#include "stats/run_stats.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;

struct QualityCommandOptions {
  std::vector<std::string> paths;
  std::string format = "table";
  double deadline_s = 5;
  std::string requirement;
  CommonFlags common;
  LlmFlags llm;
};

struct Measured {
  std::string name;
  Quality quality;
};

int quality_command(const QualityCommandOptions& options) {
  ConfigSources sources = options.common.sources();
  options.llm.add_flags(sources);
  auto config = load_config(sources);
  if (!config) {
    std::fprintf(stderr, "agentco quality: %s\n", config.error().message.c_str());
    return 2;
  }
  const QualityOptions measure = quality_options(*config, options.deadline_s);
  std::vector<Measured> measured;
  int status = 0;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "agentco quality: %s\n", what.c_str());
    status = 1;
  };
  for (const auto& path : options.paths) {
    std::vector<std::pair<fs::path, std::string>> projects;  // folder, requirement
    std::error_code ec;
    const bool plain = fs::is_directory(path, ec) && !fs::exists(fs::path(path) / "run.jsonl", ec) &&
                       !options.requirement.empty();
    if (plain) {
      projects.emplace_back(path, options.requirement);
    } else {
      auto found = find_runs(path);
      if (!found) {
        fail(found.error().message + (fs::is_directory(path, ec) ? " (for a project without a trace, give --requirement)" : ""));
        continue;
      }
      for (const auto& dir : *found) {
        auto stats = compute_run_stats(dir);
        if (!stats) {
          fail(dir.string() + ": " + stats.error().message);
          continue;
        }
        projects.emplace_back(stats->dir, options.requirement.empty() ? stats->idea : options.requirement);
      }
    }
    for (const auto& [folder, requirement] : projects) {
      auto q = measure_quality(folder, requirement, measure);
      if (!q) {
        fail(q.error().message);
        continue;
      }
      if (!q->consistency_note.empty()) std::fprintf(stderr, "agentco quality: %s: %s\n", folder.string().c_str(), q->consistency_note.c_str());
      measured.push_back({folder.filename().string(), std::move(*q)});
    }
  }
  if (measured.empty()) return status ? status : 1;
  std::string out;
  if (options.format == "json") {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& m : measured) {
      nlohmann::json row = to_json(m.quality);
      row["run"] = m.name;
      runs.push_back(std::move(row));
    }
    out = runs.dump(2) + "\n";
  } else {
    out = "| run | completeness | executability | consistency | quality | what was found |\n|---|---:|---:|---:|---:|---|\n";
    for (const auto& m : measured) {
      const Quality& q = m.quality;
      std::string found = q.execution;
      if (!q.placeholders.empty()) found += fmt::format("; {} placeholder{}, first {}", q.placeholders.size(),
                                                        q.placeholders.size() == 1 ? "" : "s", q.placeholders.front());
      if (q.code_files == 0) found += "; no source files";
      out += fmt::format("| {} | {:.0f} | {:.0f} | {:.3f} ({}) | {:.3f} | {} |\n", m.name, q.completeness,
                         q.executability, q.consistency, q.consistency_method, q.quality, found);
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return status;
}

const bool quality_registered = register_command(31, [](CLI::App& app) {
  auto o = std::make_shared<QualityCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "quality",
      "Completeness, executability, consistency and quality of projects, as ChatDev's SRDD measures them");
  cmd->add_option("projects", o->paths,
                  "Project folders, run.jsonl files, or warehouses (every run folder inside is measured)")
      ->required();
  cmd->add_option("--format", o->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--deadline", o->deadline_s, "Seconds the program may run (default 5)")
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--requirement", o->requirement,
                  "The requirement to compare the code with (default: each run's idea); needed for a folder "
                  "without a trace");
  o->common.add_to(cmd);
  o->llm.add_to(cmd);
  return Command{cmd, [o] { return quality_command(*o); }};
});

}  // namespace
}  // namespace agentco
