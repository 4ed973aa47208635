// The "run_tests" action type (QA): runs the project's tests and the program itself in the
// sandbox (environment/process_runner.hpp), writes the outputs to test_outputs/ and the
// trace, and on failure asks the model to triage: fix the code (a message addressed to the
// role named by the SOP key `fixer`, holding the file and the evidence), fix the test (QA
// rewrites the test file and runs again), or give up. At most run.test_rounds runs. The
// verdict (tests passed/failed, program started/crashed, rounds) becomes the run's
// "qa_verdict" document, which meta.json reports.
// SOP keys: fixer (role name), triage_prompt, test_prompt (template names).
#pragma once
#include <memory>

#include "actions/action.hpp"

namespace agentco {

std::unique_ptr<Action> make_run_tests_action(const ActionSpec& spec);

struct TestCounts {
  int passed = 0;
  int failed = 0;  // failures + errors
  bool parsed = false;
};

// Reads the counts from a test runner's output (Python unittest/pytest, node --test, ctest).
TestCounts parse_test_output(const std::string& language, const std::string& output);

}  // namespace agentco
