// The "write_code" action type (Engineer): one model call per source file of the plan
// (actions/code_plan.hpp). A file starts as soon as the files it depends on are written,
// so independent files are written concurrently. Each call sees the design, its task, the
// interfaces of its dependencies and the shared knowledge, not the whole project. Each
// file is its own commit. A refused file name is skipped with a warning.
//
// The "write_tests" action type (QA): one test file per source file written by
// write_code, concurrently, each its own commit.
#pragma once
#include <memory>

#include "actions/action.hpp"

namespace agentco {

std::unique_ptr<Action> make_write_code_action(const ActionSpec& spec);
std::unique_ptr<Action> make_write_tests_action(const ActionSpec& spec);

}  // namespace agentco
