// The engineer's and QA's code-writing action types.
//
// "write_code" (Engineer): one model call per source file of the plan
// (actions/code_plan.hpp). A file starts as soon as the files it depends on are written, so
// independent files are written concurrently. Each call sees the design and the task list,
// how QA will run the code and the packages it may use, then its own task row and the files
// it imports (their full code, or their interfaces when the prompt must be shortened). After
// each file: a static check (syntax with the language's tool, imports of project names),
// then a review (LGTM/LBTM) shown exactly that file as last written; LBTM or a failed check
// leads to a rewrite, at most run.code_review_rounds reviews a file. After all files: a
// summary with TODOs; files with TODOs are rewritten once. Every revision is its own commit.
// SOP keys: review_prompt, rewrite_prompt, summary_prompt (template names).
//
// "write_tests" (QA): one test file per source file written by write_code, concurrently,
// each its own commit; each call is shown that source file as it is on disk.
//
// "fix_code" (Engineer): answers a QA message addressed to it ({file, test_file, evidence,
// reason}) by rewriting that source file — never a test file — shown the file, the failing
// test and what running it printed; then commits it.
#pragma once

#include "actions/action.hpp"

namespace agentco {

ActionType write_code_action_type();
ActionType write_tests_action_type();
ActionType fix_code_action_type();

}  // namespace agentco
