#include "cluster/trace_merge.hpp"

#include <charconv>

namespace agentco {
namespace {

// Hand-written rather than nlohmann's SAX parser: only the top-level members' boundaries are
// wanted, and a SAX pass would still decode every string and number inside them.
struct Scanner {
  std::string_view text;
  std::size_t at = 0;

  void skip_space() {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
      ++at;
  }
  bool take(char c) {
    skip_space();
    if (at >= text.size() || text[at] != c) return false;
    ++at;
    return true;
  }
  // Past a string whose opening quote is at `at`; false when it does not end.
  bool skip_string() {
    ++at;
    while (at < text.size()) {
      const char c = text[at++];
      if (c == '\\') {
        ++at;
      } else if (c == '"') {
        return true;
      }
    }
    return false;
  }
  // Past one value (string, object, array, or a scalar up to the next ',' or '}').
  bool skip_value() {
    skip_space();
    if (at >= text.size()) return false;
    if (text[at] == '"') return skip_string();
    if (text[at] == '{' || text[at] == '[') {
      int depth = 0;
      while (at < text.size()) {
        const char c = text[at];
        if (c == '"') {
          if (!skip_string()) return false;
          continue;
        }
        ++at;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) return true;
        }
      }
      return false;
    }
    while (at < text.size() && text[at] != ',' && text[at] != '}') ++at;
    return at < text.size();
  }
};

}  // namespace

std::optional<ForeignRecord> split_trace_line(std::string_view line) {
  Scanner s{line};
  if (!s.take('{')) return std::nullopt;
  ForeignRecord record;
  bool has_type = false;
  if (s.take('}')) return std::nullopt;
  while (true) {
    s.skip_space();
    if (s.at >= line.size() || line[s.at] != '"') return std::nullopt;
    const std::size_t key_begin = s.at;
    if (!s.skip_string()) return std::nullopt;
    const std::string_view key = line.substr(key_begin + 1, s.at - key_begin - 2);
    if (!s.take(':')) return std::nullopt;
    s.skip_space();
    const std::size_t value_begin = s.at;
    if (!s.skip_value()) return std::nullopt;
    std::string_view value = line.substr(value_begin, s.at - value_begin);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\n')) value.remove_suffix(1);
    if (key == "type") {
      // Record types are plain words: a type with an escape is not one of ours.
      if (value.size() < 2 || value.front() != '"' || value.find('\\') != std::string_view::npos)
        return std::nullopt;
      record.type = std::string(value.substr(1, value.size() - 2));
      has_type = true;
    } else if (key == "seq") {
      std::from_chars(value.data(), value.data() + value.size(), record.seq);
    } else if (key != "ts" && key != "crc") {
      if (!record.members.empty()) record.members += ',';
      record.members.append(line.substr(key_begin, s.at - key_begin));
    }
    if (s.take(',')) continue;
    if (s.take('}')) break;
    return std::nullopt;
  }
  if (!has_type) return std::nullopt;
  return record;
}

}  // namespace agentco
