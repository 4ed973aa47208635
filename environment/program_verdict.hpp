// What a program's smoke run says about it: it ran to a clean exit, was still running at its
// deadline without an error (a game waiting for keys), or crashed. One reading, shared by
// QA's run_tests, the run_program action and the executability measure of `quality`.
#pragma once
#include <string>

#include "environment/process_runner.hpp"

namespace agentco {

enum class ProgramVerdict { kExited, kStarted, kCrashed, kNotStarted };

// An error printed to stderr (a Python traceback, "...Error: ...") counts against a program
// that was still running at its deadline or that exited 0.
bool printed_an_error(const ProcessResult& result);

ProgramVerdict program_verdict(const ProcessResult& result);
// "exited", "started", "crashed" or "not_started".
std::string verdict_name(ProgramVerdict verdict);

}  // namespace agentco
