// When a team spread over processes is idle: the four-counter method (Mattern, 1987).
//
// The coordinator asks every process for its counters in waves. A process answers a wave
// with what it has sent to the others, what it has received from them, and how many
// deliveries to its own roles are not handled yet, all read at one moment on its own
// thread. The team is idle when two consecutive complete waves give the same counters
// everywhere, with nothing pending anywhere and as many received as sent in total.
//
// Why that is enough: a process whose counters did not change between its two answers
// received nothing in between, so nothing could wake it; it was idle at its first answer,
// so it stayed idle. The second wave starts after the first is complete, so there is a
// moment when every process is between its answers: all idle at once, with every message
// sent also received (nothing in flight). No process can start again without a message.
#pragma once
#include <cstdint>
#include <map>
#include <optional>

namespace agentco {

struct ProcessCounters {
  std::uint64_t sent = 0, received = 0, pending = 0;
  bool operator==(const ProcessCounters&) const = default;
};

class TerminationDetector {
 public:
  explicit TerminationDetector(int processes) : processes_(processes) {}

  // Starts wave `number` (numbers only grow; answers to older waves are ignored).
  void start_wave(std::uint64_t number) {
    wave_ = number;
    current_.clear();
  }
  std::uint64_t wave() const { return wave_; }

  // A process's answer to a wave. True once the team is idle (stays true).
  bool answer(std::uint64_t wave, int process, const ProcessCounters& counters) {
    if (wave != wave_ || idle_) return idle_;
    current_[process] = counters;
    if (static_cast<int>(current_.size()) < processes_) return false;
    // A complete wave: compare it with the previous complete one.
    std::uint64_t sent = 0, received = 0;
    bool quiet = true;
    for (const auto& [p, c] : current_) {
      sent += c.sent;
      received += c.received;
      quiet = quiet && c.pending == 0;
    }
    const bool unchanged = previous_ && *previous_ == current_;
    idle_ = quiet && sent == received && unchanged;
    // Quiet and still, yet not everything sent arrived: a message was lost on the way (core
    // NATS drops messages for a slow consumer). Nothing will change that.
    stalled_ = quiet && sent != received && unchanged;
    previous_ = current_;
    complete_ = wave_;
    return idle_;
  }
  // The number of the last complete wave (0: none yet).
  std::uint64_t complete() const { return complete_; }
  bool idle() const { return idle_; }
  // The last two complete waves were quiet and the same, but more was sent than received.
  bool stalled() const { return stalled_; }
  // Total sent and received in the last complete wave (to say why a team is not idle).
  std::pair<std::uint64_t, std::uint64_t> balance() const {
    std::uint64_t sent = 0, received = 0;
    if (previous_)
      for (const auto& [p, c] : *previous_) {
        sent += c.sent;
        received += c.received;
      }
    return {sent, received};
  }

 private:
  int processes_;
  std::uint64_t wave_ = 0, complete_ = 0;
  std::map<int, ProcessCounters> current_;
  std::optional<std::map<int, ProcessCounters>> previous_;
  bool idle_ = false, stalled_ = false;
};

}  // namespace agentco
