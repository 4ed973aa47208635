#include "research/experiment_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "research/progress.hpp"
#include "research/supervisor.hpp"
#include "stats/quality.hpp"
#include "stats/run_stats.hpp"

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
  ExperimentInfo& info = result.info;
  info.planned = static_cast<int>(options.plan.size());
  info.launched = 0;
  if (info.started_at.empty()) info.started_at = iso_timestamp_now();
  const fs::path logs = info.folder / "logs";
  std::error_code ec;
  fs::create_directories(logs, ec);

  std::map<int, RunRow> rows;                                       // by plan index
  std::map<int, std::chrono::steady_clock::time_point> started_at;  // runs in flight
  std::size_t next_index = 0;
  int running = 0, done = 0, failed = 0;
  double spent = 0, process_wall_sum = 0;
  int process_wall_count = 0;
  bool stopping = false, write_warned = false;
  std::string last_key;
  std::set<int> budget_capped;  // runs whose --investment was what the budget had left
  ProgressLine progress(options.progress, options.tty);

  auto ordered_rows = [&] {
    std::vector<RunRow> out;
    for (const auto& [index, row] : rows) out.push_back(row);
    return out;
  };
  auto save = [&] {
    if (auto status = write_results(ordered_rows(), info); !status && !write_warned) {
      progress.note("agentco bench: " + status.error().message);
      write_warned = true;
    }
  };
  auto redraw = [&](bool event) {
    ProgressFigures f;
    f.done = done;
    f.failed = failed;
    f.running = running;
    f.total = info.planned;
    f.spent_usd = spent;
    if (process_wall_count > 0 && !stopping && !result.budget_reached) {
      // What is left of the runs in flight (at the mean so far) plus the runs not started, over the slots.
      const double mean = process_wall_sum / process_wall_count;
      const auto now = std::chrono::steady_clock::now();
      double work = static_cast<double>(options.plan.size() - next_index) * mean;
      for (const auto& [tag, since] : started_at)
        work += std::max(0.0, mean - std::chrono::duration<double>(now - since).count());
      f.eta_s = work / std::max(1, std::min<int>(info.jobs, info.planned - done));
    }
    if (stopping)
      f.note = "stopping: waiting for the runs in flight";
    else if (result.budget_reached)
      f.note = "budget reached: launching no more runs";
    // Off a terminal, a line only when a count changes (not for the ETA ticking down).
    const std::string key = fmt::format("{} {} {} {}", f.done, f.failed, f.running, f.note);
    progress.update(render_progress(f), event && key != last_key);
    last_key = key;
  };

  // The quality measures in flight, by run index; each lands in its row when done.
  std::map<int, std::future<Result<Quality>>> measuring;
  auto collect_quality = [&](bool wait) {
    bool landed = false;
    for (auto it = measuring.begin(); it != measuring.end();) {
      if (!wait && it->second.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        ++it;
        continue;
      }
      Result<Quality> q = it->second.get();
      if (q && rows.count(it->first)) {
        rows[it->first].quality = std::move(*q);
        landed = true;
      }
      it = measuring.erase(it);
    }
    if (landed) save();
  };

  SupervisorHooks hooks;
  hooks.next = [&]() -> std::optional<ChildSpec> {
    if (next_index >= options.plan.size() || result.budget_reached) return std::nullopt;
    double investment = options.investment_usd;
    bool capped_by_budget = false;
    if (info.budget_usd >= 0) {
      const double left = info.budget_usd - spent;
      if (left <= 0) {
        if (!result.budget_reached) {
          result.budget_reached = true;
          progress.note(
              fmt::format("agentco bench: budget reached (${:.4f} spent of ${:.4f}): launching no more runs",
                          spent, info.budget_usd));
        }
        return std::nullopt;
      }
      capped_by_budget = investment < 0 || left <= investment;
      investment = investment < 0 ? left : std::min(investment, left);
    }
    const PlannedRun& run = options.plan[next_index++];
    if (capped_by_budget) budget_capped.insert(run.index);
    ChildSpec spec;
    spec.tag = run.index;
    spec.program = options.program;
    spec.argv = child_argv(options, run, investment);
    spec.stdout_file = logs / (run.run_name + ".out");
    spec.stderr_file = logs / (run.run_name + ".err");
    spec.deadline = std::chrono::milliseconds(static_cast<long>(options.run_timeout_s * 1000));
    return spec;
  };
  hooks.on_start = [&](const ChildSpec& spec) {
    started_at[spec.tag] = std::chrono::steady_clock::now();
    ++running;
    ++info.launched;
  };
  hooks.on_exit = [&](const ChildExit& exit) {
    started_at.erase(exit.tag);
    --running;
    const PlannedRun& run = options.plan[static_cast<std::size_t>(exit.tag)];
    RunRow row;
    row.run = run;
    row.exit_code = exit.exit_code;
    if (exit.timed_out)
      row.status = "timed_out";
    else if (exit.exit_code == 0)
      row.status = "finished";
    else if (exit.exit_code == 130 || (stopping && exit.exit_code > 128))
      row.status = "stopped";
    else
      row.status = "failed";
    row.wall_s = exit.wall_s;
    const fs::path out = logs / (run.run_name + ".out");
    const fs::path err = logs / (run.run_name + ".err");
    row.folder = find_run_folder(out, info.folder, run.run_name);
    if (!exit.start_error.empty())
      row.error = exit.start_error;
    else if (exit.timed_out)
      row.error = fmt::format("timed out after {:g} s (--run-timeout)", options.run_timeout_s);
    else if (!row.finished())
      row.error = failure_line(err);
    if (!row.folder.empty()) {
      if (auto stats = compute_run_stats(row.folder))
        fill_from_stats(row, *stats);
      else if (row.error.empty())
        row.error = "no figures: " + stats.error().message;
      // Measured on a thread of its own (the program runs in a copy, in the sandbox, up to
      // the deadline: a game runs that long), so that the next runs start meanwhile.
      if (options.measure_quality && row.status != "stopped") {
        const QualityOptions& measure = options.quality;
        measuring[run.index] = std::async(std::launch::async, [folder = row.folder, idea = run.prompt.idea, measure] {
          return measure_quality(folder, idea, measure);
        });
      }
    }
    spent += row.cost_usd;
    if (row.status != "stopped") {
      process_wall_sum += exit.wall_s;
      ++process_wall_count;
    }
    ++done;
    if (row.status == "failed" || row.status == "timed_out") {
      ++failed;
      progress.note(fmt::format("agentco bench: {} {} (exit {}){}; log: {}", run.run_name, row.status,
                                row.exit_code, row.error.empty() ? "" : ": " + row.error, err.string()));
    }
    // A run that stopped for its budget when that was what the experiment had left: the
    // budget cannot pay for another run's next call either.
    if (row.exit_code == 3 && budget_capped.count(run.index) && !result.budget_reached) {
      result.budget_reached = true;
      progress.note(
          fmt::format("agentco bench: budget reached ({} stopped on what was left of ${:.4f}): "
                      "launching no more runs",
                      run.run_name, info.budget_usd));
    }
    rows[run.index] = std::move(row);
    save();
  };
  hooks.on_tick = [&](bool stop) {
    collect_quality(false);
    if (stop && !stopping) {
      stopping = true;
      progress.note("agentco bench: stopping: the runs in flight were told to stop; waiting for them");
    }
    redraw(true);
  };

  SupervisorOptions supervisor;
  supervisor.slots = info.jobs;
  result.stop_signal = supervise(supervisor, hooks);
  collect_quality(true);
  progress.finish();

  if (result.stop_signal)
    info.stopped = "interrupted";
  else if (result.budget_reached)
    info.stopped = "budget";
  info.ended_at = iso_timestamp_now();
  result.rows = ordered_rows();
  save();
  return result;
}

}  // namespace agentco
