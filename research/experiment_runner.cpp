#include "research/experiment_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/text.hpp"
#include "research/experiment_book.hpp"
#include "research/supervisor.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string strip_ansi(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::vector<std::string> child_argv(const ExperimentOptions& options, const PlannedRun& run,
                                    double investment_usd) {
  std::vector<std::string> argv = {"agentco", "run",       "--warehouse", options.info.folder.string(),
                                   "--name",  run.run_name};
  if (!run.variant.sop.empty()) {
    argv.push_back("--sop");
    argv.push_back(run.variant.sop);
  }
  argv.insert(argv.end(), options.run_flags.begin(), options.run_flags.end());
  if (investment_usd >= 0) {
    argv.push_back("--investment");
    argv.push_back(fmt::format("{:.6f}", investment_usd));
  }
  argv.push_back("--");  // an idea starting with '-' stays the idea
  argv.push_back(run.prompt.idea);
  return argv;
}

fs::path find_run_folder(const fs::path& stdout_file, const fs::path& warehouse,
                         const std::string& run_name) {
  std::error_code ec;
  const auto lines = lines_of(stdout_file);
  if (!lines.empty() && fs::is_directory(lines.back(), ec)) return fs::path(lines.back());
  const std::string prefix = slugify(run_name) + "_";
  fs::path found;
  for (fs::directory_iterator it(warehouse, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && name.starts_with(prefix) && fs::exists(it->path() / "run.jsonl", ec))
      if (found.empty() || name > found.filename().string()) found = it->path();
  }
  return found;
}

std::string failure_line(const fs::path& stderr_file) {
  const auto lines = lines_of(stderr_file);
  std::string chosen;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].starts_with("run failed:") || lines[i].starts_with("run stopped")) {
      chosen = lines[i];
      // Its indented continuation lines ("  try 1: HTTP 502 ...") belong to it.
      for (std::size_t k = i + 1; k < lines.size() && lines[k].starts_with(" "); ++k) {
        chosen.push_back(' ');
        chosen.append(lines[k], lines[k].find_first_not_of(' '));
      }
    }
  if (chosen.empty() && !lines.empty()) chosen = lines.back();
  chosen = strip_ansi(chosen);
  if (chosen.size() > 400) {
    chosen.resize(397);
    chosen.append("...");
  }
  return chosen;
}

ExperimentResult run_experiment(const ExperimentOptions& options) {
  ExperimentResult result;
  result.info = options.info;
  ExperimentBook book(options, result);
  const fs::path logs = result.info.folder / "logs";
  std::error_code ec;
  fs::create_directories(logs, ec);

  SupervisorHooks hooks;
  hooks.next = [&]() -> std::optional<ChildSpec> {
    auto next = book.next();
    if (!next) return std::nullopt;
    const auto& [run, investment] = *next;
    ChildSpec spec;
    spec.tag = run.index;
    spec.program = options.program;
    spec.argv = child_argv(options, run, investment);
    spec.stdout_file = logs / (run.run_name + ".out");
    spec.stderr_file = logs / (run.run_name + ".err");
    spec.deadline = std::chrono::milliseconds(static_cast<long>(options.run_timeout_s * 1000));
    return spec;
  };
  hooks.on_start = [&](const ChildSpec& spec) { book.started(spec.tag); };
  hooks.on_exit = [&](const ChildExit& exit) {
    const PlannedRun& run = options.plan[static_cast<std::size_t>(exit.tag)];
    RunEnd end;
    end.exit_code = exit.exit_code;
    end.wall_s = exit.wall_s;
    end.timed_out = exit.timed_out;
    end.start_error = exit.start_error;
    end.log = (logs / (run.run_name + ".err")).string();
    if (exit.exit_code != 0) end.failure = failure_line(end.log);
    end.folder = find_run_folder(logs / (run.run_name + ".out"), result.info.folder, run.run_name);
    book.ended(exit.tag, end);
  };
  hooks.on_tick = [&](bool stop) { book.tick(stop); };

  SupervisorOptions supervisor;
  supervisor.slots = result.info.jobs;
  result.stop_signal = supervise(supervisor, hooks);
  book.finish(result.stop_signal);
  return result;
}

}  // namespace agentco
