// Text from outside (an idea typed in a terminal, a model's reply, a SOP or template file, a
// person's answer) may hold bytes that are not UTF-8: a local model streams a multi-byte
// character split across tokens, a file is Latin-1. JSON, and so the trace, the requests and
// every document, needs UTF-8. The one policy: at the boundary where such text enters, each
// byte that does not begin or continue a well-formed UTF-8 character (overlong forms,
// surrogates and code points past U+10FFFF included) becomes U+FFFD, and the caller says so
// in a warning naming where the text came from and where the first bad byte was.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace agentco {

struct Utf8Repair {
  std::string text;              // valid UTF-8
  std::size_t replaced = 0;      // bytes replaced by U+FFFD
  std::size_t first_offset = 0;  // byte offset of the first one (when replaced > 0)
  int first_line = 0;            // its 1-based line
};

// The longest prefix of `text` of at most `max_bytes` that does not end inside a character.
std::string_view cut_utf8(std::string_view text, std::size_t max_bytes);

// The offset of the first byte that is not well-formed UTF-8, or nothing when all is.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// `text` with every ill-formed byte replaced by U+FFFD (EF BF BD).
Utf8Repair repair_utf8(std::string_view text);

// "3 bytes that are not UTF-8 (the first at line 2, byte 17) were replaced by U+FFFD",
// for a warning that begins with where the text came from.
std::string describe_utf8_repair(const Utf8Repair& repair);

}  // namespace agentco
