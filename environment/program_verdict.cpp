#include "environment/program_verdict.hpp"

namespace agentco {

bool printed_an_error(const ProcessResult& r) {
  return r.stderr_text.find("Traceback") != std::string::npos || r.stderr_text.find("Error") != std::string::npos;
}

ProgramVerdict program_verdict(const ProcessResult& r) {
  if (!r.started) return ProgramVerdict::kNotStarted;
  if (r.timed_out) return printed_an_error(r) ? ProgramVerdict::kCrashed : ProgramVerdict::kStarted;
  if (r.signal == 0 && r.exit_code == 0) return ProgramVerdict::kExited;
  return ProgramVerdict::kCrashed;
}

std::string verdict_name(ProgramVerdict verdict) {
  switch (verdict) {
    case ProgramVerdict::kExited: return "exited";
    case ProgramVerdict::kStarted: return "started";
    case ProgramVerdict::kCrashed: return "crashed";
    case ProgramVerdict::kNotStarted: return "not_started";
  }
  return "?";
}

}  // namespace agentco
