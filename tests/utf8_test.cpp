// Pins core/utf8.hpp: which bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF, no truncated characters), the U+FFFD repair, and the
// words a warning says about it.
#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agentco {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(Utf8, WellFormedTextIsLeftAsItIs) {
  for (const std::string text : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x90\x8D snake",
                                 "\xEF\xBF\xBD already a replacement", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_FALSE(first_invalid_utf8(text).has_value()) << text;
    const Utf8Repair repair = repair_utf8(text);
    EXPECT_EQ(repair.text, text);
    EXPECT_EQ(repair.replaced, 0u);
  }
}

TEST(Utf8, EachIllFormedByteBecomesOneReplacementCharacter) {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"write a \xFF game", "write a " + kReplacement + " game"},
           {"\xC0\x80", kReplacement + kReplacement},                   // overlong NUL
           {"\xED\xA0\x80", kReplacement + kReplacement + kReplacement},  // a surrogate
           {"\xF5\x80\x80\x80", kReplacement + kReplacement + kReplacement + kReplacement},  // past U+10FFFF
           {"ok \xE2\x82", "ok " + kReplacement + kReplacement},        // a character cut at the end
           {"\x80 lone continuation", kReplacement + " lone continuation"},
       }) {
    EXPECT_TRUE(first_invalid_utf8(c.in).has_value()) << c.in;
    const Utf8Repair repair = repair_utf8(c.in);
    EXPECT_EQ(repair.text, c.out);
    EXPECT_FALSE(first_invalid_utf8(repair.text).has_value());
  }
}

TEST(Utf8, TheRepairSaysHowManyAndWhereTheFirstWas) {
  const Utf8Repair repair = repair_utf8("name: t\nroles:\n  - name: Al\xFFi\xFE\n");
  EXPECT_EQ(repair.replaced, 2u);
  EXPECT_EQ(repair.first_line, 3);
  EXPECT_EQ(repair.first_offset, 27u);
  EXPECT_EQ(describe_utf8_repair(repair),
            "2 bytes that are not UTF-8 (the first at line 3, byte 28) were replaced by U+FFFD");
  EXPECT_EQ(describe_utf8_repair(repair_utf8("\xFF")),
            "1 byte that is not UTF-8 (the first at line 1, byte 1) was replaced by U+FFFD");
}

}  // namespace
}  // namespace agentco
