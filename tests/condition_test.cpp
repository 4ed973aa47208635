// Conditions on messages (environment/condition.hpp): what each operator and operand says,
// how and/or/not combine, and the errors that name the column.
#include <gtest/gtest.h>

#include "environment/condition.hpp"

namespace agentco {
namespace {

Message message(std::string content, nlohmann::json payload = nullptr, int round = 0, bool exit = false) {
  Message m;
  m.content = std::move(content);
  m.payload = std::move(payload);
  m.round = round;
  m.exit = exit;
  return m;
}

bool holds(const std::string& text, const Message& m) {
  auto c = Condition::parse(text);
  EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error().message);
  return c.ok() && c->holds(m);
}

TEST(Condition, ComparesPayloadFieldsContentRoundAndExit) {
  const Message m = message("  <INFO> Finished, nothing to change",
                            {{"decision", "Build"}, {"votes", {{"build", 2}}}, {"passed", true}, {"files", {"a.py", "b.py"}}},
                            2, false);
  EXPECT_TRUE(holds("payload.decision == 'build'", m));  // text ignores case
  EXPECT_FALSE(holds("payload.decision != 'build'", m));
  EXPECT_TRUE(holds("payload.votes.build >= 2", m));
  EXPECT_FALSE(holds("payload.votes.build > 2", m));
  EXPECT_TRUE(holds("payload.passed == true", m));
  EXPECT_TRUE(holds("payload.passed", m));
  EXPECT_FALSE(holds("payload.missing", m));
  EXPECT_TRUE(holds("payload.missing == null", m));
  EXPECT_TRUE(holds("payload.files contains 'B.py'", m));
  EXPECT_TRUE(holds("content starts_with '<info> finished'", m));  // after leading blanks
  EXPECT_TRUE(holds("content contains 'nothing'", m));
  EXPECT_TRUE(holds("round < 3 and not exit", m));
  EXPECT_FALSE(holds("exit", m));
  EXPECT_TRUE(holds("exit or (round == 2 and content contains \"Finished\")", m));
  EXPECT_TRUE(holds("not (exit or round > 2)", m));
}

TEST(Condition, SaysWhetherItReadsALoopsState) {
  EXPECT_TRUE(Condition::parse("not exit")->reads_loop());
  EXPECT_TRUE(Condition::parse("payload.x == 1 or round >= 2")->reads_loop());
  EXPECT_FALSE(Condition::parse("payload.exit == 1")->reads_loop());
}

TEST(Condition, ErrorsNameTheColumnAndWhatWasExpected) {
  auto e = Condition::parse("content = 'x'");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "'=' at column 9: use == or !=");
  e = Condition::parse("payload.x == 'open");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "the text that starts at column 14 is not closed with '");
  e = Condition::parse("colour == 'red'");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "expected content, round, exit or payload.FIELD at column 1, found 'colour'");
  e = Condition::parse("exit and");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "expected content, round, exit, payload.FIELD, not or '(' at column 9, found the end");
  e = Condition::parse("(exit");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "expected ')' at column 6, found the end");
  e = Condition::parse("round < ");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "expected a value ('text', a number, true, false or null) at column 9, found the end");
}

}  // namespace
}  // namespace agentco
