// The reading model's answer to each step it recognizes, from the prompt text alone.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// A chat phase (SOP type chat), read from the system prompt: the answering side, told which
// marker ends the discussion, answers the phase first (files in the format its prompt shows
// when it is told to give files) and concludes once it has heard back, or at once when a
// review finds nothing; the leading side agrees. nullopt for messages of no chat phase.
std::optional<std::string> answer_chat(const std::vector<ChatMessage>& messages, const ReadingOptions& options);
// A ballot ("Answer with exactly one of: A, B. Put it first, ..."): the option whose words the
// prompt shows most often (the first listed on a tie or when none shows), then one sentence.
// nullopt when the prompt asks for no ballot.
std::optional<std::string> answer_vote(std::string_view prompt);

}  // namespace agentco::testing::reading
