// Condition: a test on a published message, for conditional edges (`watch: [{action: X,
// when: ...}]`) and loop exits (`until:`). The language is small on purpose:
//
//   when: not exit
//   when: payload.decision == 'yes' and round < 3
//   until: content contains 'Finished' or payload.passed == true
//
// Operands: `content` (the message text), `round` (how many times its action has run in
// this run, 1 first), `exit` (its loop ended: `until:` held or `max_rounds:` was reached),
// `payload.a.b` (a field of its structured payload; a missing field is null). Operators:
// == != < <= > >= contains starts_with; a bare operand tests for a true, non-empty,
// non-zero value. Combine with and, or, not and parentheses; values are 'quoted text',
// numbers, true, false or null. Text comparisons ignore case.
#pragma once
#include <memory>
#include <string>

#include "core/result.hpp"
#include "environment/message.hpp"

namespace agentco {

// The value of an operand (content, round, exit, payload.a.b) in `message`; null when absent.
nlohmann::json message_field(const Message& message, const std::string& operand);

class Condition {
 public:
  // Parses `text`; the error says where in the text it stopped and what it expected.
  static Result<Condition> parse(const std::string& text);

  bool holds(const Message& message) const;
  const std::string& text() const { return text_; }
  // Whether it reads `exit` or `round` (a loop's exit edge).
  bool reads_loop() const { return reads_loop_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
  bool reads_loop_ = false;
};

}  // namespace agentco
