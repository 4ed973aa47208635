// Pins parse_test_output (actions/run_tests.hpp) on what test runners print, and on output
// that the model's own code controls: counts too large for an int are clamped, never thrown.
#include "actions/run_tests.hpp"

#include <gtest/gtest.h>

namespace agentco {
namespace {

TEST(TestOutputParse, CountsWhatEachRunnerPrints) {
  auto python = parse_test_output("python", "...\nRan 7 tests in 0.01s\n\nFAILED (failures=2, errors=1)\n");
  EXPECT_TRUE(python.parsed);
  EXPECT_EQ(python.passed, 4);
  EXPECT_EQ(python.failed, 3);
  auto node = parse_test_output("javascript", "# tests 5\n# pass 4\n# fail 1\n");
  EXPECT_EQ(node.passed, 4);
  EXPECT_EQ(node.failed, 1);
  auto ctest = parse_test_output("cpp", "67% tests passed, 1 tests failed out of 3\n");
  EXPECT_EQ(ctest.passed, 2);
  EXPECT_EQ(ctest.failed, 1);
}

TEST(TestOutputParse, NumbersTooLargeForAnIntAreClampedNotThrown) {
  const std::string huge = "99999999999999999999999999";
  auto python = parse_test_output("python", "Ran " + huge + " tests\nFAILED (failures=" + huge + ")\n");
  EXPECT_TRUE(python.parsed);
  EXPECT_EQ(python.failed, 1'000'000'000);
  EXPECT_EQ(python.passed, 0);
  auto node = parse_test_output("javascript", "# pass " + huge + "\n# fail " + huge + "\n");
  EXPECT_EQ(node.passed, 1'000'000'000);
  auto ctest = parse_test_output("cpp", "0% tests passed, " + huge + " tests failed out of 3\n");
  EXPECT_EQ(ctest.failed, 1'000'000'000);
  EXPECT_EQ(ctest.passed, 0);
}

}  // namespace
}  // namespace agentco
