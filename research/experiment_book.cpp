#include "research/experiment_book.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.hpp"
#include "stats/run_stats.hpp"

namespace agentco {
namespace fs = std::filesystem;

ExperimentBook::ExperimentBook(const ExperimentOptions& options, ExperimentResult& result)
    : options_(options), result_(result), info_(result.info), progress_(options.progress, options.tty) {
  info_.planned = static_cast<int>(options.plan.size());
  info_.launched = 0;
  if (info_.started_at.empty()) info_.started_at = iso_timestamp_now();
}

void ExperimentBook::save() {
  std::vector<RunRow> ordered;
  for (const auto& [index, row] : rows_) ordered.push_back(row);
  if (auto status = write_results(ordered, info_); !status && !write_warned_) {
    progress_.note("agentco bench: " + status.error().message);
    write_warned_ = true;
  }
  result_.rows = std::move(ordered);
}

void ExperimentBook::collect_quality(bool wait) {
  bool landed = false;
  for (auto it = measuring_.begin(); it != measuring_.end();) {
    if (!wait && it->second.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ++it;
      continue;
    }
    Result<Quality> q = it->second.get();
    if (q && rows_.count(it->first)) {
      rows_[it->first].quality = std::move(*q);
      landed = true;
    }
    it = measuring_.erase(it);
  }
  if (landed) save();
}

std::optional<std::pair<PlannedRun, double>> ExperimentBook::next() {
  if (next_index_ >= options_.plan.size() || result_.budget_reached || stopping_) return std::nullopt;
  double investment = options_.investment_usd;
  bool capped_by_budget = false;
  if (info_.budget_usd >= 0) {
    const double left = info_.budget_usd - spent_;
    if (left <= 0) {
      result_.budget_reached = true;
      progress_.note(
          fmt::format("agentco bench: budget reached (${:.4f} spent of ${:.4f}): launching no more runs",
                      spent_, info_.budget_usd));
      return std::nullopt;
    }
    capped_by_budget = investment < 0 || left <= investment;
    investment = investment < 0 ? left : std::min(investment, left);
  }
  const PlannedRun& run = options_.plan[next_index_++];
  if (capped_by_budget) budget_capped_.insert(run.index);
  return std::make_pair(run, investment);
}

void ExperimentBook::started(int index) {
  started_at_[index] = std::chrono::steady_clock::now();
  ++running_;
  ++info_.launched;
}

void ExperimentBook::ended(int index, const RunEnd& end) {
  started_at_.erase(index);
  --running_;
  const PlannedRun& run = options_.plan[static_cast<std::size_t>(index)];
  RunRow row;
  row.run = run;
  row.exit_code = end.exit_code;
  if (end.timed_out)
    row.status = "timed_out";
  else if (end.exit_code == 0)
    row.status = "finished";
  else if (end.exit_code == 130 || (stopping_ && end.exit_code > 128))
    row.status = "stopped";
  else
    row.status = "failed";
  row.wall_s = end.wall_s;
  row.folder = end.folder;
  if (!end.start_error.empty())
    row.error = end.start_error;
  else if (end.timed_out)
    row.error = fmt::format("timed out after {:g} s (--run-timeout)", options_.run_timeout_s);
  else if (!row.finished())
    row.error = end.failure;
  if (!row.folder.empty()) {
    if (auto stats = compute_run_stats(row.folder))
      fill_from_stats(row, *stats);
    else if (row.error.empty())
      row.error = "no figures: " + stats.error().message;
    // Measured on a thread of its own (the program runs in a copy, in the sandbox, up to
    // the deadline: a game runs that long), so that the next runs start meanwhile.
    if (options_.measure_quality && row.status != "stopped") {
      const QualityOptions& measure = options_.quality;
      measuring_[run.index] =
          std::async(std::launch::async, [folder = row.folder, idea = run.prompt.idea, measure] {
            return measure_quality(folder, idea, measure);
          });
    }
  }
  spent_ += row.cost_usd;
  if (row.status != "stopped") {
    process_wall_sum_ += end.wall_s;
    ++process_wall_count_;
  }
  ++done_;
  if (row.status == "failed" || row.status == "timed_out") {
    ++failed_;
    progress_.note(fmt::format("agentco bench: {} {} (exit {}){}; log: {}", run.run_name, row.status,
                               row.exit_code, row.error.empty() ? "" : ": " + row.error, end.log));
  }
  // A run that stopped for its budget when that was what the experiment had left: the
  // budget cannot pay for another run's next call either.
  if (row.exit_code == 3 && budget_capped_.count(run.index) && !result_.budget_reached) {
    result_.budget_reached = true;
    progress_.note(fmt::format(
        "agentco bench: budget reached ({} stopped on what was left of ${:.4f}): launching no more runs",
        run.run_name, info_.budget_usd));
  }
  rows_[run.index] = std::move(row);
  save();
}

void ExperimentBook::tick(bool stop, const std::string& extra) {
  collect_quality(false);
  if (stop && !stopping_) {
    stopping_ = true;
    progress_.note("agentco bench: stopping: the runs in flight were told to stop; waiting for them");
  }
  ProgressFigures f;
  f.done = done_;
  f.failed = failed_;
  f.running = running_;
  f.total = info_.planned;
  f.spent_usd = spent_;
  if (process_wall_count_ > 0 && !stopping_ && !result_.budget_reached) {
    // What is left of the runs in flight (at the mean so far) plus the runs not started, over the slots.
    const double mean = process_wall_sum_ / process_wall_count_;
    const auto now = std::chrono::steady_clock::now();
    double work = static_cast<double>(options_.plan.size() - next_index_) * mean;
    for (const auto& [tag, since] : started_at_)
      work += std::max(0.0, mean - std::chrono::duration<double>(now - since).count());
    f.eta_s = work / std::max(1, std::min<int>(info_.jobs, info_.planned - done_));
  }
  if (stopping_)
    f.note = "stopping: waiting for the runs in flight";
  else if (result_.budget_reached)
    f.note = "budget reached: launching no more runs";
  if (!extra.empty()) f.note += (f.note.empty() ? "" : "; ") + extra;
  // Off a terminal, a line only when a count changes (not for the ETA ticking down).
  const std::string key = fmt::format("{} {} {} {}", f.done, f.failed, f.running, f.note);
  progress_.update(render_progress(f), key != last_key_);
  last_key_ = key;
}

void ExperimentBook::finish(int stop_signal) {
  collect_quality(true);
  progress_.finish();
  if (stop_signal)
    info_.stopped = "interrupted";
  else if (result_.budget_reached)
    info_.stopped = "budget";
  info_.ended_at = iso_timestamp_now();
  save();
}

}  // namespace agentco
