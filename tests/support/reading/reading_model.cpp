#include "tests/support/reading_model.hpp"

#include <regex>

#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading/steps.hpp"

namespace agentco::testing {

std::vector<ReadingStepPhrase> reading_step_phrases() {
  // Order matters: the first row that matches wins.
  return {
      {"prd", R"(Write the product requirement document)"},
      {"design", R"(Write the system design)"},
      {"tasks", R"(Break the design into tasks)"},
      {"code", R"(Write the complete code of)"},
      {"review", R"(^\s*Review \S+)"},
      {"rewrite", R"(^\s*Rewrite \S+)"},
      {"summary", R"(Summarize the project)"},
      {"manual", R"(Write README)"},
      {"tests", R"(Write tests/|unit tests for)"},
      {"triage", R"(Decide what to do about the failures)"},
      {"fix_test", R"(^\s*Fix the test)"},
      {"fix_code", R"(^\s*Fix \S+ so that)"},
  };
}

namespace {

// The prompt: the first user message (a re-ask repeats it, then adds the complaint).
std::string prompt_of(const std::vector<ChatMessage>& messages) {
  for (const auto& m : messages)
    if (m.role == "user") return m.content;
  return {};
}

}  // namespace

std::string reading_step(const std::vector<ChatMessage>& messages) {
  const auto prompt = prompt_of(messages);
  auto task = reading::task_section(prompt);
  if (task.empty()) task = prompt;
  for (const auto& row : reading_step_phrases())
    if (std::regex_search(task, std::regex(std::string(row.pattern)))) return std::string(row.step);
  return "unknown";
}

std::string reading_reply(const std::vector<ChatMessage>& messages, const ReadingOptions& options) {
  using namespace reading;
  if (auto chat = answer_chat(messages, options)) return *chat;
  const auto prompt = prompt_of(messages);
  if (auto ballot = answer_vote(prompt)) return *ballot;
  const auto step = reading_step(messages);
  if (step == "prd") return answer_prd(prompt);
  if (step == "design") return answer_design(prompt);
  if (step == "tasks") return answer_tasks(prompt);
  if (step == "code") return answer_code(prompt, options);
  if (step == "review") return answer_review(prompt);
  if (step == "rewrite") return answer_rewrite(prompt);
  if (step == "summary") return answer_summary(prompt);
  if (step == "manual") return answer_manual(prompt);
  if (step == "tests") return answer_tests(prompt);
  if (step == "triage") return answer_triage(prompt);
  if (step == "fix_code") return answer_fix_code(prompt);
  if (step == "fix_test") return answer_fix_test(prompt);
  return "reading model: I cannot tell what this prompt asks for (no instruction I know under \"## Task\").";
}

}  // namespace agentco::testing
