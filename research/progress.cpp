#include "research/progress.hpp"

#include <fmt/format.h>

#include <cmath>

namespace agentco {

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string render_progress(const ProgressFigures& f) {
  std::string text = fmt::format("bench: {}/{} done", f.done, f.total);
  if (f.failed) text += fmt::format(" ({} failed)", f.failed);
  text += fmt::format(", {} running, ${:.4f} spent, ETA {}", f.running, f.spent_usd,
                      f.eta_s < 0 ? std::string("?") : format_duration(f.eta_s));
  if (!f.note.empty()) text += " — " + f.note;
  return text;
}

void ProgressLine::update(const std::string& text, bool event) {
  if (tty_) {
    if (text == shown_) return;
    std::fprintf(out_, "\r%s\x1b[K", text.c_str());
    std::fflush(out_);
    shown_ = text;
    return;
  }
  if (!event || text == last_) return;
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
  last_ = text;
}

void ProgressLine::note(const std::string& text) {
  if (tty_ && !shown_.empty()) std::fprintf(out_, "\r\x1b[K");
  std::fprintf(out_, "%s\n", text.c_str());
  if (tty_ && !shown_.empty()) std::fprintf(out_, "%s", shown_.c_str());
  std::fflush(out_);
}

void ProgressLine::finish() {
  if (tty_ && !shown_.empty()) std::fprintf(out_, "\n");
  std::fflush(out_);
  shown_.clear();
}

}  // namespace agentco
