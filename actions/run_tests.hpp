// The "run_tests" action type (QA): runs the project's tests and the program itself in the
// sandbox (environment/process_runner.hpp), writes the outputs to test_outputs/ and the
// trace, and on failure asks the model to triage, shown the output, the failing test file
// and the source file the traceback points to: fix the code (a message addressed to the
// role named by the SOP key `fixer`, holding the file, the failing test and the output), fix
// the test (QA rewrites the test file, shown it, its subject and the output, and runs
// again), or give up. At most run.test_rounds runs. The
// verdict (tests passed/failed, program started/crashed, rounds) becomes the run's
// "qa_verdict" document, which meta.json reports.
// SOP keys: fixer (role name), triage_prompt, test_prompt (template names).
#pragma once
#include <string>

#include "actions/action.hpp"

namespace agentco {

ActionType run_tests_action_type();

struct TestCounts {
  int passed = 0;
  int failed = 0;  // failures + errors
  bool parsed = false;
};

// Reads the counts from a test runner's output (Python unittest/pytest, node --test, ctest).
TestCounts parse_test_output(const std::string& language, const std::string& output);

}  // namespace agentco
