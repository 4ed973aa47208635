// The bookkeeping of an experiment however its runs are carried out (child processes here,
// or workers over NATS): the rows in plan order, the spend against --budget, the progress
// line, results.csv/.json and summary.md rewritten after each run, and each run's quality
// measured on a thread of its own while the next runs go on. Single-threaded: call it from
// the loop that starts and reaps the runs.
#pragma once
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "research/experiment_runner.hpp"
#include "research/progress.hpp"

namespace agentco {

// How one run's process ended, as the runner saw it.
struct RunEnd {
  int exit_code = -1;
  double wall_s = 0;
  bool timed_out = false;
  std::string start_error;       // it could not be started
  std::string failure;           // its "run failed: ..." line (when it did not finish)
  std::filesystem::path folder;  // its project folder, empty when it made none
  std::string log;               // where its log is, for the note about a failed run
};

class ExperimentBook {
 public:
  ExperimentBook(const ExperimentOptions& options, ExperimentResult& result);

  // The next run of the plan and the --investment it gets (< 0: its config's), or nothing
  // when every run was handed out or the budget is spent (said once).
  std::optional<std::pair<PlannedRun, double>> next();
  // A run handed out by next() started (its process, or a worker took it).
  void started(int index);
  // A run ended: its row, figures and quality measure; the results files are rewritten.
  void ended(int index, const RunEnd& end);
  // Collects finished quality measures and redraws the progress line; `stop`: the user
  // asked to stop (said once). `extra` is appended to the progress line's note.
  void tick(bool stop, const std::string& extra = "");
  // A line above the progress line.
  void note(const std::string& text) { progress_.note(text); }
  // Waits for the quality measures and writes the results for the last time.
  void finish(int stop_signal);

  bool stopping() const { return stopping_; }
  bool budget_reached() const { return result_.budget_reached; }
  int running() const { return running_; }
  std::size_t handed_out() const { return next_index_; }
  bool ended_already(int index) const { return rows_.count(index) > 0; }

 private:
  void save();
  void collect_quality(bool wait);

  const ExperimentOptions& options_;
  ExperimentResult& result_;
  ExperimentInfo& info_;
  std::map<int, RunRow> rows_;  // by plan index
  std::map<int, std::chrono::steady_clock::time_point> started_at_;
  std::size_t next_index_ = 0;
  int running_ = 0, done_ = 0, failed_ = 0;
  double spent_ = 0, process_wall_sum_ = 0;
  int process_wall_count_ = 0;
  bool stopping_ = false, write_warned_ = false;
  std::string last_key_;
  std::set<int> budget_capped_;
  ProgressLine progress_;
  std::map<int, std::future<Result<Quality>>> measuring_;
};

}  // namespace agentco
