// The `run_program` action type: runs the project's program once in the sandbox, on a
// terminal of its own, for `deadline_s` seconds (default 5), and says what happened: it
// exited cleanly, was still running at the deadline without an error (a game waiting for
// keys), crashed, or there was no program to run. ChatDev's test phase runs the software
// the same way. The message holds the command and what it printed; the payload holds
// {passed, program, command}, so a loop can end `until: payload.passed == true`.
// Python (main.py, app.py, run.py, else a file with a __main__ guard) and JavaScript
// (main.js, index.js, app.js).
#pragma once
#include "actions/action.hpp"

namespace agentco {

ActionType run_program_action_type();

}  // namespace agentco
