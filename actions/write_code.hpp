// The engineer's and QA's code-writing action types.
//
// "write_code" (Engineer): one model call per source file of the plan
// (actions/code_plan.hpp). A file starts as soon as the files it depends on are written, so
// independent files are written concurrently. Each call sees the design, its task, the
// interfaces of its dependencies and the shared knowledge, not the whole project. After
// each file: a static check (syntax with the language's tool, imports of project names),
// then a review (LGTM/LBTM); LBTM or a failed check leads to a rewrite, at most
// run.code_review_rounds reviews a file. After all files: a summary with TODOs; files with
// TODOs are rewritten once. Every revision is its own commit.
// SOP keys: review_prompt, rewrite_prompt, summary_prompt (template names).
//
// "write_tests" (QA): one test file per source file written by write_code, concurrently,
// each its own commit.
//
// "fix_code" (Engineer): answers a QA message addressed to it ({file, evidence}) by
// rewriting that source file — never a test file — then checks and commits it.
#pragma once
#include <memory>

#include "actions/action.hpp"

namespace agentco {

std::unique_ptr<Action> make_write_code_action(const ActionSpec& spec);
std::unique_ptr<Action> make_write_tests_action(const ActionSpec& spec);
std::unique_ptr<Action> make_fix_code_action(const ActionSpec& spec);

// Asks the model to rewrite the existing file `path` with `template_name` (its {{code}} is
// the current text, {{feedback}} what must change), writes and commits it with `message`.
// Returns the normalized path written. Used for fixes after QA (code and tests alike).
boost::asio::awaitable<Result<std::string>> rewrite_existing_file(ActionContext& ctx, std::string path,
                                                                  std::string template_name, std::string language,
                                                                  std::string feedback, std::string kind,
                                                                  std::string message);

}  // namespace agentco
