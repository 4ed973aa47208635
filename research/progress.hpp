// The progress line of `agentco bench` on stderr: on a terminal one line redrawn with \r,
// otherwise a plain line whenever a run ends. Not thread-safe (the supervisor's thread).
#pragma once
#include <cstdio>
#include <string>

namespace agentco {

struct ProgressFigures {
  int done = 0, failed = 0, running = 0, total = 0;
  double spent_usd = 0;
  double eta_s = -1;  // < 0: unknown
  std::string note;   // e.g. "stopping", "budget reached"
};

// "bench: 7/12 done (1 failed), 2 running, $0.0123 spent, ETA 1m05s"
std::string render_progress(const ProgressFigures& figures);

// "1m05s", "2h03m", "12s"
std::string format_duration(double seconds);

class ProgressLine {
 public:
  ProgressLine(std::FILE* out, bool tty) : out_(out), tty_(tty) {}
  // Redraws (terminal) or prints when `event` (a run ended) and the text changed.
  void update(const std::string& text, bool event);
  // A line that stays (a failed run, a budget notice), printed above the progress line.
  void note(const std::string& text);
  // Ends the redrawn line.
  void finish();

 private:
  std::FILE* out_;
  bool tty_;
  std::string shown_, last_;
};

}  // namespace agentco
