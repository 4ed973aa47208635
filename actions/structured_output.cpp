#include "actions/structured_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace agentco {
namespace {

using nlohmann::json;
constexpr auto npos = std::string_view::npos;

constexpr std::string_view kOpenTag = "[CONTENT]";
constexpr std::string_view kCloseTag = "[/CONTENT]";
constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kFence = "```";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ci_at(std::string_view hay, std::size_t pos, std::string_view needle) {
  if (pos + needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i < needle.size(); ++i) {
    if (ascii_lower(hay[pos + i]) != ascii_lower(needle[i])) return false;
  }
  return true;
}

// Tags are matched case-insensitively: models write "[content]" too.
std::size_t find_ci(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  if (needle.size() > hay.size()) return npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (equal_ci_at(hay, i, needle)) return i;
  }
  return npos;
}

std::size_t rfind_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return npos;
  for (std::size_t i = hay.size() - needle.size() + 1; i-- > 0;) {
    if (equal_ci_at(hay, i, needle)) return i;
  }
  return npos;
}

// Calls fn(line_begin, line) for each line of `text` (without its '\n'); stops when fn
// returns false.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == npos ? npos : end - pos);
    if (!fn(pos, line)) return;
    if (end == npos) return;
    pos = end + 1;
  }
}

bool is_fence_line(std::string_view line) { return trim_left(line).starts_with(kFence); }

// A closing fence: only backticks (at least `ticks` of them) on the line.
bool is_closing_fence(std::string_view line, std::size_t ticks) {
  line = trim(line);
  return line.size() >= ticks && std::all_of(line.begin(), line.end(), [](char c) { return c == '`'; });
}

// Text found around the JSON object: code fence lines, and anything else ("chatter").
struct Stray {
  bool fence = false;
  bool chatter = false;
};

void classify_stray(std::string_view text, Stray& stray) {
  for_each_line(text, [&](std::size_t, std::string_view line) {
    line = trim(line);
    if (line.starts_with(kFence)) {
      stray.fence = true;
    } else if (!line.empty()) {
      stray.chatter = true;
    }
    return true;
  });
}

// Index one past the '}' or ']' closing the bracket at `start`, or npos when the text ends
// first. Brackets inside strings do not count; mismatched kinds are not checked here.
std::size_t find_matching_close(std::string_view text, std::size_t start) {
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return npos;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Number of trailing bytes that form an incomplete UTF-8 sequence (a reply cut mid-character).
std::size_t incomplete_utf8_tail(std::string_view s) {
  std::size_t back = 0;
  while (back < s.size() && back < 4 && (static_cast<unsigned char>(s[s.size() - 1 - back]) & 0xC0) == 0x80) {
    ++back;
  }
  if (back == s.size()) return 0;
  auto lead = static_cast<unsigned char>(s[s.size() - 1 - back]);
  std::size_t need = 1;
  if ((lead & 0xE0) == 0xC0) {
    need = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    need = 3;
  } else if ((lead & 0xF8) == 0xF0) {
    need = 4;
  }
  return back + 1 < need ? back + 1 : 0;
}

struct Repaired {
  std::string text;
  std::vector<std::string> notes;
};

// One pass over broken JSON that fixes what models commonly break, outside and inside
// strings, then closes what a truncated reply left open. Never evaluates anything.
Repaired repair_json(std::string_view in) {
  struct Level {
    char kind;        // '{' or '['
    bool expect_key;  // objects only: the next string is a key
  };
  std::vector<Level> stack;
  std::string out;
  out.reserve(in.size() + 16);
  bool in_string = false;
  bool string_is_key = false;
  bool escape = false;
  std::size_t unicode_left = 0;  // hex digits still expected after "\u"
  std::size_t escape_at = 0;     // out index of the backslash of the current escape
  std::size_t last_good = 0;     // out prefix that is a complete value or an open bracket
  std::size_t control_chars = 0, trailing_commas = 0, py_literals = 0, comments = 0;

  auto is_word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };

  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    auto uc = static_cast<unsigned char>(c);
    if (in_string) {
      if (unicode_left > 0) {
        --unicode_left;
        out.push_back(c);
        continue;
      }
      if (escape) {
        escape = false;
        if (uc < 0x20) {  // a backslash before a raw line break: the model meant "\n"
          out.push_back(c == '\t' ? 't' : c == '\r' ? 'r' : 'n');
          ++control_chars;
        } else {
          if (c == 'u') unicode_left = 4;
          out.push_back(c);
        }
        continue;
      }
      if (c == '\\') {
        escape = true;
        escape_at = out.size();
        out.push_back(c);
      } else if (c == '"') {
        in_string = false;
        out.push_back(c);
        if (!string_is_key) last_good = out.size();
      } else if (uc < 0x20) {
        ++control_chars;
        switch (c) {
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          default: {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(uc));
            out += buf;
          }
        }
      } else {
        out.push_back(c);
      }
      continue;
    }

    if (c == '"') {
      in_string = true;
      string_is_key = !stack.empty() && stack.back().kind == '{' && stack.back().expect_key;
      out.push_back(c);
    } else if (c == '{' || c == '[') {
      stack.push_back({c, c == '{'});
      out.push_back(c);
      last_good = out.size();
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      out.push_back(c);
      last_good = out.size();
    } else if (c == ':') {
      if (!stack.empty() && stack.back().kind == '{') stack.back().expect_key = false;
      out.push_back(c);
    } else if (c == ',') {
      std::size_t j = i + 1;
      while (j < in.size() && is_space(in[j])) ++j;
      if (j < in.size() && (in[j] == '}' || in[j] == ']')) {
        ++trailing_commas;
        continue;
      }
      if (!stack.empty() && stack.back().kind == '{') stack.back().expect_key = true;
      out.push_back(c);
    } else if (c == '/' && i + 1 < in.size() && (in[i + 1] == '/' || in[i + 1] == '*')) {
      ++comments;
      if (in[i + 1] == '/') {
        std::size_t end = in.find('\n', i);
        i = (end == npos ? in.size() : end) - 1;  // keep the line break
      } else {
        std::size_t end = in.find("*/", i + 2);
        i = (end == npos ? in.size() : end + 2) - 1;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t j = i;
      while (j < in.size() && (is_word_char(in[j]) || in[j] == '.' || in[j] == '+' || in[j] == '-')) {
        ++j;
      }
      out.append(in.substr(i, j - i));
      if (in[j - 1] >= '0' && in[j - 1] <= '9') last_good = out.size();
      i = j - 1;
    } else if (is_word_char(c)) {
      std::size_t j = i;
      while (j < in.size() && is_word_char(in[j])) ++j;
      std::string_view word = in.substr(i, j - i);
      if (word == "None" || word == "True" || word == "False") {
        ++py_literals;
        out += word == "None" ? "null" : word == "True" ? "true" : "false";
        last_good = out.size();
      } else {
        out.append(word);
        if (word == "null" || word == "true" || word == "false") last_good = out.size();
      }
      i = j - 1;
    } else {
      out.push_back(c);
    }
  }

  Repaired result;
  if (control_chars > 0) {
    result.notes.push_back("escaped " +
                           plural(control_chars, "raw control character", "raw control characters") +
                           " inside strings");
  }
  if (trailing_commas > 0) {
    result.notes.push_back("removed " + plural(trailing_commas, "trailing comma", "trailing commas"));
  }
  if (py_literals > 0) {
    result.notes.push_back("replaced " + plural(py_literals, "Python literal", "Python literals") +
                           " (None/True/False)");
  }
  if (comments > 0) result.notes.push_back("removed " + plural(comments, "comment", "comments"));

  if (!in_string && stack.empty()) {
    result.text = std::move(out);
    return result;
  }

  // Truncated: close what is open. First keep as much as possible (a cut string value keeps
  // its text); when that does not parse, fall back to the last complete value.
  auto closers = [&] {
    std::string s;
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) s.push_back(it->kind == '{' ? '}' : ']');
    return s;
  };
  auto finish = [&](std::string body) {
    while (true) {
      std::string_view t = trim_right(body);
      if (!t.empty() && t.back() == ',') {
        body.resize(t.size() - 1);
        continue;
      }
      body.resize(t.size());
      break;
    }
    return body + closers();
  };
  std::string bracket_note = stack.empty()
                                 ? std::string()
                                 : "closed " + plural(stack.size(), "unclosed bracket", "unclosed brackets") +
                                       " at the end of a truncated reply";
  if (!in_string || !string_is_key) {
    std::string keep = out;
    if (in_string) {
      if (escape || unicode_left > 0) keep.resize(escape_at);
      keep.resize(keep.size() - incomplete_utf8_tail(keep));
      keep.push_back('"');
    }
    std::string candidate = finish(std::move(keep));
    if (json::accept(candidate)) {
      if (in_string) result.notes.push_back("closed a string cut off at the end of a truncated reply");
      if (!bracket_note.empty()) result.notes.push_back(bracket_note);
      result.text = std::move(candidate);
      return result;
    }
  }
  result.text = finish(out.substr(0, last_good));
  result.notes.push_back("dropped an incomplete entry at the end of a truncated reply");
  if (!bracket_note.empty()) result.notes.push_back(bracket_note);
  return result;
}

// Replaces each byte that does not start a well-formed UTF-8 sequence by '?': error messages
// quote the reply and end up in JSON traces, whose writer rejects invalid UTF-8.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  for (std::size_t i = 0; i < s.size();) {
    unsigned b = byte(i);
    std::size_t len = 0;
    if (b < 0x80) {
      len = 1;
    } else if (in(b, 0xC2, 0xDF)) {
      len = in(byte(i + 1), 0x80, 0xBF) ? 2 : 0;
    } else if (in(b, 0xE0, 0xEF)) {
      unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      len = in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
    } else if (in(b, 0xF0, 0xF4)) {
      unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      len = in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF) ? 4 : 0;
    }
    if (len == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// Collects nlohmann's parse error without exceptions, to tell the model where its JSON breaks.
class ParseErrorCatcher : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    position_ = position;
    message_ = ex.what();
    return false;
  }

  std::size_t position() const { return position_; }
  const std::string& message() const { return message_; }

 private:
  std::size_t position_ = 0;
  std::string message_;
};

std::string describe_parse_error(std::string_view text) {
  ParseErrorCatcher catcher;
  json::sax_parse(text, &catcher);
  std::string message = catcher.message();
  if (message.starts_with("[json.exception.")) {
    if (auto close = message.find("] "); close != std::string::npos) message.erase(0, close + 2);
  }
  if (message.empty()) message = "it does not parse";
  std::size_t end = std::min(catcher.position(), text.size());
  std::size_t begin = end > 40 ? end - 40 : 0;
  while (begin < end && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) ++begin;
  std::string near(text.substr(begin, end - begin));
  for (char& c : near) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  std::string out = "the JSON is invalid (" + message + ")";
  if (!trim(near).empty()) out += " near \"" + near + "\"";
  return valid_utf8(out);
}

// The JSON text of the reply, plus notes about what was cut away around it.
struct Located {
  std::string_view json_text;
  bool truncated = false;
};

Result<Located> locate_json(std::string_view text, std::vector<std::string>& repairs) {
  Stray before, after;
  std::string_view region = text;
  bool tagged = true;
  std::size_t close = rfind_ci(text, kCloseTag);
  std::size_t open = close == npos ? find_ci(text, kOpenTag) : rfind_ci(text.substr(0, close), kOpenTag);
  if (open != npos && close != npos) {
    classify_stray(text.substr(0, open), before);
    classify_stray(text.substr(close + kCloseTag.size()), after);
    region = text.substr(open + kOpenTag.size(), close - open - kOpenTag.size());
  } else if (open != npos) {
    repairs.push_back("added the missing closing [/CONTENT]");
    classify_stray(text.substr(0, open), before);
    region = text.substr(open + kOpenTag.size());
  } else if (close != npos) {
    repairs.push_back("added the missing opening [CONTENT]");
    classify_stray(text.substr(close + kCloseTag.size()), after);
    region = text.substr(0, close);
  } else {
    tagged = false;
  }

  // Prefer a fenced block that holds an object; chatter before it may contain braces.
  std::size_t start = npos;
  for_each_line(region, [&](std::size_t line_begin, std::string_view line) {
    if (!is_fence_line(line)) return true;
    std::size_t body = line_begin + line.size();
    while (body < region.size() && is_space(region[body])) ++body;
    if (body < region.size() && region[body] == '{') {
      start = body;
      return false;
    }
    return true;
  });
  if (start == npos) start = region.find('{');
  if (start == npos) {
    if (tagged) return make_error("parse", "no JSON object between [CONTENT] and [/CONTENT]");
    return make_error("parse", "no JSON object found in the reply; answer with [CONTENT]{...}[/CONTENT]");
  }

  std::string_view prefix = trim_right(region.substr(0, start));
  if (prefix.ends_with('[')) {
    std::string_view rest = trim_right(prefix.substr(0, prefix.size() - 1));
    std::size_t line_start = rest.rfind('\n');
    std::string_view last_line = rest.substr(line_start == npos ? 0 : line_start + 1);
    if (rest.empty() || is_fence_line(last_line)) {
      return make_error("parse", "expected a JSON object {...}, got an array");
    }
  }
  if (!tagged) repairs.push_back("found no [CONTENT] tags; took the JSON object from the reply");
  classify_stray(region.substr(0, start), before);

  Located located;
  std::size_t end = find_matching_close(region, start);
  if (end != npos) {
    located.json_text = region.substr(start, end - start);
    classify_stray(region.substr(end), after);
  } else {
    located.truncated = true;
    std::string_view body = trim_right(region.substr(start));
    std::size_t line_start = body.rfind('\n');
    if (line_start != npos && is_closing_fence(body.substr(line_start + 1), kFence.size())) {
      after.fence = true;
      body = body.substr(0, line_start);
    }
    located.json_text = body;
  }

  if (before.fence || after.fence) repairs.push_back("removed code fences around the JSON");
  if (before.chatter) repairs.push_back("ignored text before the JSON object");
  if (after.chatter) repairs.push_back("ignored text after the JSON object");
  return located;
}

std::string kind_name(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "binary";
  }
}

bool is_integer(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  double d = value.get<double>();
  return std::isfinite(d) && std::trunc(d) == d;
}

// Why `value` is not of `type`, or nothing when it is.
std::optional<std::string> type_problem(const json& value, std::string_view type) {
  auto got = [&] { return "got " + kind_name(value); };
  if (type == "str") {
    if (!value.is_string()) return got();
  } else if (type == "int") {
    if (!is_integer(value)) return value.is_number() ? "got a number with a fraction" : got();
  } else if (type == "float") {
    if (!value.is_number()) return got();
  } else if (type == "bool") {
    if (!value.is_boolean()) return got();
  } else if (type == "list") {
    if (!value.is_array()) return got();
  } else if (type == "object") {
    if (!value.is_object()) return got();
  } else if (type == "list[str]") {
    if (!value.is_array()) return got();
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        return "but item [" + std::to_string(i) + "] is " + kind_name(value[i]);
      }
    }
  } else if (type == "list[list[str]]") {
    if (!value.is_array()) return got();
    for (std::size_t i = 0; i < value.size(); ++i) {
      const json& row = value[i];
      if (!row.is_array()) return "but item [" + std::to_string(i) + "] is " + kind_name(row);
      for (std::size_t j = 0; j < row.size(); ++j) {
        if (!row[j].is_string()) {
          return "but item [" + std::to_string(i) + "][" + std::to_string(j) + "] is " + kind_name(row[j]);
        }
      }
    }
  }
  return std::nullopt;
}

// A value of the type for the format example when the schema gives none: plain words that
// say what kind of thing goes there, never "...", which models copy.
nlohmann::ordered_json placeholder(const FieldSpec& field) {
  using ojson = nlohmann::ordered_json;
  const std::string& type = field.type;
  if (field.example.is_string() && (type == "int" || type == "float" || type == "bool")) {
    // From YAML every scalar is text; "3" is an int here.
    ojson parsed = ojson::parse(field.example.get<std::string>(), nullptr, false);
    if (!parsed.is_discarded()) return parsed;
  }
  if (!field.example.is_null()) return ojson::parse(field.example.dump());
  if (type == "str") return "a short text: " + field.name;
  if (type == "int") return 1;
  if (type == "float") return 0.5;
  if (type == "bool") return true;
  if (type == "list[str]") return ojson::array({"first " + field.name + " item", "second " + field.name + " item"});
  if (type == "list[list[str]]") return ojson::array({ojson::array({"main.py", "what it holds"})});
  if (type == "list") return ojson::array();
  if (type == "object") return ojson::object();
  return nullptr;
}

}  // namespace

std::string strip_think(std::string_view reply) {
  std::string out;
  std::string_view rest = reply;
  // A lone closing tag: the opening one was part of the prompt template.
  std::size_t open = rest.find(kThinkOpen);
  std::size_t close = rest.find(kThinkClose);
  if (close != npos && (open == npos || close < open)) rest.remove_prefix(close + kThinkClose.size());
  while (true) {
    open = rest.find(kThinkOpen);
    if (open == npos) {
      out.append(rest);
      break;
    }
    out.append(rest.substr(0, open));
    std::string_view thought = rest.substr(open + kThinkOpen.size());
    close = thought.find(kThinkClose);
    if (close != npos) {
      rest = thought.substr(close + kThinkClose.size());
      continue;
    }
    std::size_t answer = std::min(find_ci(thought, kOpenTag), thought.find('{'));
    if (answer != npos) out.append(thought.substr(answer));
    break;
  }
  return std::string(trim(out));
}

Result<StructuredReply> extract_structured(std::string_view reply, const OutputSchema& schema) {
  for (const auto& field : schema.fields) {
    if (!is_known_field_type(field.type)) {
      return make_error("schema", "unknown type \"" + field.type + "\" for key \"" + field.name + "\"");
    }
  }

  StructuredReply result;
  std::string text = strip_think(reply);
  auto located = locate_json(text, result.repairs);
  if (!located) return located.error();

  std::string_view json_text = located->json_text;
  result.value = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (result.value.is_discarded()) {
    Repaired repaired = repair_json(json_text);
    result.value = json::parse(repaired.text, nullptr, false);
    if (result.value.is_discarded()) return make_error("parse", describe_parse_error(repaired.text));
    result.repairs.insert(result.repairs.end(), repaired.notes.begin(), repaired.notes.end());
  }
  if (!result.value.is_object()) {
    return make_error("parse", "expected a JSON object {...}, got " + kind_name(result.value));
  }

  std::vector<std::string> problems;
  for (const auto& field : schema.fields) {
    auto it = result.value.find(field.name);
    bool absent = it == result.value.end() || (it->is_null() && !field.required);
    if (absent) {
      if (field.required) problems.push_back("missing key \"" + field.name + "\"");
      continue;
    }
    if (auto problem = type_problem(*it, field.type)) {
      problems.push_back("key \"" + field.name + "\" must be " + field.type + ", " + *problem);
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) {
      if (!message.empty()) message += "; ";
      message += p;
    }
    return make_error("parse", std::move(message));
  }
  return result;
}

std::string format_instructions(const OutputSchema& schema) {
  std::string out = "## Nodes: \"<node>: <type>  # <instruction>\"\n";
  nlohmann::ordered_json example = nlohmann::ordered_json::object();
  for (const auto& field : schema.fields) {
    std::string instruction = field.instruction;
    std::replace_if(
        instruction.begin(), instruction.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    instruction = std::string(trim(instruction));
    if (!field.required) instruction += instruction.empty() ? "(optional)" : " (optional)";
    out += "- " + field.name + ": " + field.type;
    if (!instruction.empty()) out += "  # " + instruction;
    out += "\n";
    example[field.name] = placeholder(field);
  }
  out += "\n## Format example\n[CONTENT]\n";
  out += example.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out += "\n[/CONTENT]\n";
  return out;
}

std::string extract_code(std::string_view reply) {
  std::string text = strip_think(reply);
  std::string_view t = text;
  std::optional<std::string_view> best;
  std::size_t pos = 0;
  while (pos < t.size()) {
    std::size_t line_end = t.find('\n', pos);
    std::string_view line = t.substr(pos, line_end == npos ? npos : line_end - pos);
    std::size_t next_line = line_end == npos ? t.size() : line_end + 1;
    std::string_view opener = trim_left(line);
    if (!opener.starts_with(kFence)) {
      pos = next_line;
      continue;
    }
    std::size_t ticks = opener.find_first_not_of('`');
    if (ticks == npos) ticks = opener.size();
    // The body runs to a line of backticks only, or to the end when the fence is unterminated.
    std::size_t body_begin = next_line;
    std::size_t body_end = t.size();
    std::size_t after = t.size();
    for (std::size_t q = body_begin; q < t.size();) {
      std::size_t end = t.find('\n', q);
      if (is_closing_fence(t.substr(q, end == npos ? npos : end - q), ticks)) {
        body_end = q;
        after = end == npos ? t.size() : end + 1;
        break;
      }
      q = end == npos ? t.size() : end + 1;
    }
    std::string_view body = t.substr(body_begin, body_end - body_begin);
    if (!best || body.size() > best->size()) best = body;
    pos = after;
  }
  if (!best) return text;
  return std::string(*best);
}

}  // namespace agentco
