// The reading model's answer to each step it recognizes, from the prompt text alone.
#pragma once
#include <string>
#include <string_view>

#include "tests/support/reading_model.hpp"

namespace agentco::testing::reading {

std::string answer_prd(std::string_view prompt);
std::string answer_design(std::string_view prompt);
std::string answer_tasks(std::string_view prompt);
std::string answer_code(std::string_view prompt, const ReadingOptions& options);
std::string answer_rewrite(std::string_view prompt);
std::string answer_review(std::string_view prompt);
std::string answer_summary(std::string_view prompt);
std::string answer_manual(std::string_view prompt);
std::string answer_tests(std::string_view prompt);
std::string answer_triage(std::string_view prompt);
std::string answer_fix_code(std::string_view prompt);
std::string answer_fix_test(std::string_view prompt);

}  // namespace agentco::testing::reading
