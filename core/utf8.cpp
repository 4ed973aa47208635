#include "core/utf8.hpp"

#include <algorithm>

#include <fmt/format.h>

// Written by hand: nlohmann::json can replace ill-formed bytes when it writes a string, but it
// says neither how many nor where, which the warning needs; the check is one short loop.
namespace agentco {
namespace {

// The length of the well-formed UTF-8 character at `i`, or 0 when the byte there begins none.
std::size_t character_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string_view cut_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // a continuation byte
  return text.substr(0, n);
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = character_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

Utf8Repair repair_utf8(std::string_view text) {
  Utf8Repair out;
  const auto first = first_invalid_utf8(text);
  if (!first) {
    out.text = std::string(text);
    return out;
  }
  out.first_offset = *first;
  out.first_line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(*first), '\n'));
  out.text.reserve(text.size() + 8);
  out.text.append(text.substr(0, *first));
  for (std::size_t i = *first; i < text.size();) {
    const std::size_t n = character_length(text, i);
    if (n == 0) {
      out.text += "\xEF\xBF\xBD";
      ++out.replaced;
      ++i;
    } else {
      out.text.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string describe_utf8_repair(const Utf8Repair& repair) {
  return fmt::format("{} byte{} that {} not UTF-8 (the first at line {}, byte {}) {} replaced by U+FFFD",
                     repair.replaced, repair.replaced == 1 ? "" : "s", repair.replaced == 1 ? "is" : "are",
                     repair.first_line, repair.first_offset + 1, repair.replaced == 1 ? "was" : "were");
}

}  // namespace agentco
