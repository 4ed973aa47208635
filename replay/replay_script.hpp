// ReplayScript: answers a run's model calls and processes from a recorded run, in the order
// they completed in the recording.
//
// Matching: a model call by its request hash (the first unused recorded call with that hash);
// when none matches (a template or the code changed since), by role and action in order, with
// a warning — or, with `strict`, not at all; without `match_by_order` it goes live. A process
// by its key (argv and cwd relative to the project folder).
//
// Order: an answer is given only once every earlier recorded event has been given, so that
// parallel work (files written concurrently, tests running while a review is asked) completes
// in the recorded order and the replay's files, commits and trace come out the same. When
// nothing live is in flight and no answer has been given for a second, the run has diverged
// from the recording: the earlier events are skipped with a warning.
//
// Beyond what is recorded (or beyond `upto_seq` for a fork) nothing is answered and the caller
// goes live, or fails when the replay has no live model.
#pragma once
#include <cstdint>
#include <limits>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "replay/recorded_run.hpp"

namespace agentco {

struct ReplayOptions {
  bool strict = false;  // a call whose request differs from the recording is an error
  // Resume and fork do not reuse failures (an interrupted or failed call is asked again) nor
  // processes killed by the stop of the recorded run.
  bool reuse_failures = true;
  std::uint64_t upto_seq = std::numeric_limits<std::uint64_t>::max();  // fork point
  // A call whose request hash is not recorded may take a recorded answer of the same role and
  // action in order (replay, fork). Resume matches by hash only: a call the recording does not
  // hold exactly is asked live, never answered with another call's answer.
  bool match_by_order = true;
};

struct ReplayCounters {
  long calls_answered = 0;
  long calls_by_order = 0;  // matched by role/action/order, not by hash
  long processes_answered = 0;
  long tool_results_answered = 0;  // MCP tool calls answered from the recording
  long live_calls = 0;
  long live_processes = 0;
  long skipped = 0;  // recorded events never asked for (divergence)
};

class ReplayScript {
 public:
  ReplayScript(const RecordedRun& run, ReplayOptions options);

  // The recorded answer, an error (strict mismatch), or nullopt: nothing recorded for it.
  boost::asio::awaitable<std::optional<Result<ChatResult>>> answer_call(const ChatRequest& request);
  boost::asio::awaitable<std::optional<ProcessResult>> answer_process(const nlohmann::json& key);

  // Live work in flight (the divergence check waits while there is some).
  void live_started() { ++live_in_flight_; }
  void live_finished();

  const RecordedRun& recording() const { return run_; }
  const ReplayOptions& options() const { return options_; }
  const ReplayCounters& counters() const { return counters_; }
  ReplayCounters& counters() { return counters_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Recorded events still unused (e.g. the recording went further than the replay).
  std::size_t unused() const;

 private:
  struct Entry {
    RecordedEvent event;
    bool used = false;
    // Taken by a request that waits for its turn: two identical requests in flight at once
    // must get the two recorded answers, not one answer twice.
    bool claimed = false;
  };
  boost::asio::awaitable<void> wait_turn(std::size_t index);
  void mark_used(std::size_t index);

  const RecordedRun& run_;
  ReplayOptions options_;
  std::vector<Entry> entries_;
  std::size_t first_unused_ = 0;
  long progress_ = 0;
  int live_in_flight_ = 0;
  std::list<boost::asio::steady_timer*> waiters_;
  ReplayCounters counters_;
  std::vector<std::string> warnings_;
};

}  // namespace agentco
