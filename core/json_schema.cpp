#include "core/json_schema.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string_view>
#include <tuple>

#include "core/safe_regex.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace agentco {
namespace {

using nlohmann::json;

constexpr int kMaxValueDepth = 64;
constexpr int kMaxNesting = 256;
// A step is one subschema applied to one value, 64 bytes compared, or about 64 regex states
// stepped: a few microseconds at most in a release build, so a call ends within half a second.
constexpr std::size_t kMaxSteps = 100000;
constexpr std::size_t kPatternCostLimit = 1000;
constexpr std::size_t kListed = 10;      // enum values or property names a message lists
constexpr std::size_t kShownBytes = 40;  // of a string value quoted in a message
constexpr std::size_t kShownPatternBytes = 120;
constexpr std::size_t kMaxSchemaProblems = 50;
constexpr std::array<std::string_view, 7> kTypeNames{"null",   "boolean", "object", "array",
                                                     "number", "integer", "string"};

// ---- reading the schema -------------------------------------------------------------------

const json* keyword(const json& schema, const char* name) {
  if (!schema.is_object()) return nullptr;
  auto it = schema.find(name);
  return it == schema.end() ? nullptr : &*it;
}

const json* keyword_of_type(const json& schema, const char* name, json::value_t type) {
  const json* found = keyword(schema, name);
  return found && found->type() == type ? found : nullptr;
}

const json* number_keyword(const json& schema, const char* name) {
  const json* found = keyword(schema, name);
  return found && found->is_number() ? found : nullptr;
}

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;  // unsigned included
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

// A count such as minLength: a non-negative integer (3.0 included), else nothing.
std::optional<std::uint64_t> count_keyword(const json& schema, const char* name) {
  const json* found = keyword(schema, name);
  if (!found || !is_integer(*found)) return std::nullopt;
  if (found->is_number_unsigned()) return found->get<std::uint64_t>();
  if (found->is_number_integer()) {
    const auto n = found->get<std::int64_t>();
    if (n < 0) return std::nullopt;
    return static_cast<std::uint64_t>(n);
  }
  const double d = found->get<double>();
  if (d < 0) return std::nullopt;
  return d >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(d);
}

std::string_view type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::binary:
      return "binary";
    case json::value_t::discarded:
      break;
  }
  return "discarded";
}

bool is_type_name(std::string_view name) {
  return std::find(kTypeNames.begin(), kTypeNames.end(), name) != kTypeNames.end();
}

bool has_type(const json& v, std::string_view name) {
  return name == "integer" ? is_integer(v) : type_of(v) == name;
}

// Integers compare exactly: long double holds every int64, uint64 and double on x86-64.
std::partial_ordering compare_numbers(const json& a, const json& b) {
  auto wide = [](const json& v) -> long double {
    if (v.is_number_unsigned()) return static_cast<long double>(v.get<std::uint64_t>());
    if (v.is_number_integer()) return static_cast<long double>(v.get<std::int64_t>());
    return v.get<double>();
  };
  return wide(a) <=> wide(b);
}

std::uint64_t magnitude(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  const auto n = v.get<std::int64_t>();
  return n < 0 ? static_cast<std::uint64_t>(-(n + 1)) + 1 : static_cast<std::uint64_t>(n);
}

bool is_multiple_of(const json& value, const json& divisor) {
  if (value.is_number_integer() && divisor.is_number_integer())
    return magnitude(value) % magnitude(divisor) == 0;
  const double quotient = value.get<double>() / divisor.get<double>();
  if (!std::isfinite(quotient)) return false;
  // 0.3 / 0.1 is 2.9999999999999996: allow the rounding of the decimals and of one division.
  return std::fabs(quotient - std::round(quotient)) <= 4 * DBL_EPSILON * std::max(1.0, std::fabs(quotient));
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// ---- words for messages -------------------------------------------------------------------

// `text` as a JSON string, cut at `max_bytes` with "..." inside the quotes.
std::string quote(std::string_view text, std::size_t max_bytes = kShownBytes) {
  const std::string_view shown = cut_utf8(text, max_bytes);
  std::string out = json(std::string(shown)).dump(-1, ' ', false, json::error_handler_t::replace);
  if (shown.size() < text.size()) out.insert(out.size() - 1, "...");
  return out;
}

// Appends `v` as JSON, stopping with "..." once `out` passes `limit` bytes; the recursion is
// therefore no deeper than `limit`, however deep `v` is.
void render(const json& v, std::string& out, std::size_t limit) {
  if (out.size() > limit) return;
  if (v.is_string()) {
    out += quote(v.get_ref<const std::string&>(), limit - out.size());
  } else if (v.is_array() || v.is_object()) {
    out += v.is_array() ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ',';
      first = false;
      if (out.size() > limit) {
        out += "...";
        break;
      }
      if (v.is_object()) out += quote(it.key()) + ':';
      render(*it, out, limit);
    }
    out += v.is_array() ? ']' : '}';
  } else if (v.is_null() || v.is_boolean() || v.is_number()) {
    out += v.dump();  // holds no string, so it cannot meet bad UTF-8
  } else {
    out += '<' + std::string(type_of(v)) + '>';
  }
}

std::string shown(const json& v) {
  std::string out;
  render(v, out, kShownBytes);
  return out;
}

std::string got(const json& v) {
  std::string text = "got " + std::string(type_of(v));
  if (v.is_string() || v.is_number() || v.is_boolean()) text += ' ' + shown(v);
  return text;
}

// "a", "a or b", "a, b or c"; with `more` left out: "a, b, c or 7 more".
std::string join_or(const std::vector<std::string>& items, std::size_t more = 0) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() && more == 0 ? " or " : ", ";
    out += items[i];
  }
  if (more > 0) out += " or " + std::to_string(more) + " more";
  return out;
}

// "1 item", "3 items".
std::string count_of(std::uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? one : many);
}

// ---- paths --------------------------------------------------------------------------------

void append_token(std::string& path, std::string_view token) {
  path += '/';
  for (char c : token) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
}

// Appends a token to a path for its lifetime.
class PathStep {
 public:
  PathStep(std::string& path, std::string_view token) : path_(path), size_(path.size()) {
    append_token(path, token);
  }
  ~PathStep() { path_.resize(size_); }
  PathStep(const PathStep&) = delete;
  PathStep& operator=(const PathStep&) = delete;

 private:
  std::string& path_;
  std::size_t size_;
};

std::vector<std::string_view> tokens_of(std::string_view path) {
  std::vector<std::string_view> tokens;
  while (!path.empty()) {
    path.remove_prefix(1);
    const std::size_t end = std::min(path.find('/'), path.size());
    tokens.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  return tokens;
}

bool is_index(std::string_view token) {
  return !token.empty() &&
         std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Document order: a parent before its members, array indices as numbers, keys as
// nlohmann::json orders them (except that keys made of digits come first, also as numbers:
// comparing "2" < "10" but "10" < "1z" would be no order at all, and sorting needs one).
bool path_before(std::string_view a, std::string_view b) {
  const auto ta = tokens_of(a), tb = tokens_of(b);
  auto rank = [](std::string_view t) { return std::make_tuple(!is_index(t), is_index(t) ? t.size() : 0, t); };
  return std::lexicographical_compare(
      ta.begin(), ta.end(), tb.begin(), tb.end(),
      [&](std::string_view x, std::string_view y) { return rank(x) < rank(y); });
}

// ---- $ref ---------------------------------------------------------------------------------

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex(text[i + 1]), low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::optional<std::string> unescape_token(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out += token[i];
    } else if (i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[++i] == '0' ? '~' : '/';
    } else {
      return std::nullopt;
    }
  }
  return out;
}

bool is_local_ref(std::string_view ref) { return !ref.empty() && ref[0] == '#'; }

// The schema a local $ref ("#", "#/$defs/X", any JSON Pointer) names, or nullptr.
const json* resolve_ref(const json& root, std::string_view ref) {
  if (!is_local_ref(ref)) return nullptr;
  const std::optional<std::string> pointer = percent_decode(ref.substr(1));
  if (!pointer) return nullptr;
  if (pointer->empty()) return &root;
  if ((*pointer)[0] != '/') return nullptr;  // "#name" is an $anchor: not supported
  const json* at = &root;
  for (std::string_view raw : tokens_of(*pointer)) {
    const std::optional<std::string> token = unescape_token(raw);
    if (!token) return nullptr;
    if (at->is_object()) {
      auto it = at->find(*token);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      std::size_t index = 0;
      const char* end = token->data() + token->size();
      if (!is_index(*token) || (token->size() > 1 && (*token)[0] == '0') ||
          std::from_chars(token->data(), end, index).ptr != end || index >= at->size())
        return nullptr;
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

// ---- patterns -----------------------------------------------------------------------------

using Pattern = SafeRegex;

// Each pattern is compiled once per call; compiling adds to `steps` (0.3 to 1 ms in a release build).
class Patterns {
 public:
  const Pattern& get(const std::string& source, std::size_t& steps) {
    auto it = cache_.find(source);
    if (it == cache_.end()) {
      it = cache_.emplace(source, compile_safe_regex(source, kPatternCostLimit)).first;
      steps += 100 + it->second.cost / 4;
    }
    return it->second;
  }

 private:
  std::map<std::string, Pattern> cache_;
};

// Matching time grows with the text's length times the pattern's size, plus a per-byte cost.
std::size_t regex_steps(const Pattern& pattern, std::string_view text) {
  return 1 + text.size() * (pattern.cost + 16) / 64;
}

// ---- equality -----------------------------------------------------------------------------

// Appends a key that two values share exactly when JSON Schema calls them equal (1 == 1.0,
// objects regardless of order); false when `v` is nested deeper than `depth_left`.
bool append_key(const json& v, int depth_left, std::string& out) {
  if (depth_left < 0) return false;
  switch (v.type()) {
    case json::value_t::null:
      out += 'n';
      return true;
    case json::value_t::boolean:
      out += v.get<bool>() ? 't' : 'f';
      return true;
    case json::value_t::number_integer:
      out += '#' + std::to_string(v.get<std::int64_t>()) + ';';
      return true;
    case json::value_t::number_unsigned:
      out += '#' + std::to_string(v.get<std::uint64_t>()) + ';';
      return true;
    case json::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        out += '#' + std::to_string(static_cast<std::int64_t>(d)) + ';';
      } else {
        char text[40];
        std::snprintf(text, sizeof text, "#%.17g;", d);
        out += text;
      }
      return true;
    }
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      out += 's' + std::to_string(s.size()) + ':' + s;
      return true;
    }
    case json::value_t::array:
    case json::value_t::object:
      out += v.is_array() ? '[' : '{';
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (v.is_object()) out += 's' + std::to_string(it.key().size()) + ':' + it.key();
        if (!append_key(*it, depth_left - 1, out)) return false;
      }
      out += v.is_array() ? ']' : '}';
      return true;
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  out += 'x';
  return true;
}

// ---- validation ---------------------------------------------------------------------------

enum class Kind {
  type,   // the value has none of the types allowed
  value,  // the value is none of the values allowed (const, enum)
  other,
};

struct Found {
  std::string path;
  std::string message;
  Kind kind = Kind::other;
  std::vector<std::string> expected;  // for type and value: the allowed types or values, shown
  std::size_t more = 0;               // allowed values left out of `expected`
};

// Where problems go, up to a limit; a full sink tells the checks to stop.
struct Sink {
  explicit Sink(std::size_t max) : limit(max) {}
  std::size_t limit;
  std::vector<Found> found;
  bool full() const { return found.size() >= limit; }
  void add(Found f) {
    if (!full()) found.push_back(std::move(f));
  }
};

Found mismatch(const std::string& path, Kind kind, std::vector<std::string> expected, std::size_t more,
               const json& value) {
  std::string message = "expected " + join_or(expected, more) + ", " + got(value);
  return Found{path, std::move(message), kind, std::move(expected), more};
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  void check(const json& value, const json& schema, Sink& sink);
  bool stopped() const { return stopped_; }

 private:
  // Enters a member or item of the value for its lifetime.
  class Descend {
   public:
    Descend(Validator& v, std::string_view token) : v_(v), step_(v.path_, token) { ++v.value_depth_; }
    ~Descend() { --v_.value_depth_; }

   private:
    Validator& v_;
    PathStep step_;
  };

  bool charge(std::size_t steps) {
    steps_ += steps;
    if (steps_ > kMaxSteps) stopped_ = true;
    return !stopped_;
  }
  void report(Sink& sink, std::string message) {
    sink.add(Found{path_, std::move(message), Kind::other, {}, 0});
  }
  std::optional<std::string> key_of(const json& v, int depth_left);
  // What a $ref names, or nullptr (remote, unresolved: check_schema() says so); resolved once.
  const json* target_of(const json& ref) {
    auto [it, inserted] = refs_.emplace(&ref, nullptr);
    if (inserted) {
      const std::string& text = ref.get_ref<const std::string&>();
      charge(1 + text.size() / 64);
      it->second = resolve_ref(root_, text);
    }
    return it->second;
  }
  // The compiled pattern, or nullptr when it is unusable (check_schema() says why) or the
  // work is spent.
  const Pattern* usable_pattern(const std::string& source) {
    const Pattern& pattern = patterns_.get(source, steps_);
    return charge(0) && pattern.regex ? &pattern : nullptr;
  }

  void check_here(const json& value, const json& schema, Sink& sink);
  bool check_type(const json& value, const json& schema, Sink& sink);
  void check_allowed_values(const json& value, const json& schema, Sink& sink);
  void check_number(const json& value, const json& schema, Sink& sink);
  void check_string(const json& value, const json& schema, Sink& sink);
  void check_object(const json& value, const json& schema, Sink& sink);
  void check_array(const json& value, const json& schema, Sink& sink);
  void check_combinators(const json& value, const json& schema, Sink& sink);
  void check_alternatives(const json& value, const json& alternatives, Sink& sink, std::string_view name);

  const json& root_;
  Patterns patterns_;
  std::map<const json*, const json*> refs_;
  std::string path_;
  int value_depth_ = 0;
  int nesting_ = 0;
  std::size_t steps_ = 0;
  bool stopped_ = false;
};

std::optional<std::string> Validator::key_of(const json& v, int depth_left) {
  std::string key;
  if (!append_key(v, depth_left, key)) return std::nullopt;
  charge(1 + key.size() / 64);
  return key;
}

void Validator::check(const json& value, const json& schema, Sink& sink) {
  if (sink.full() || !charge(1)) return;
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) report(sink, "no value is allowed here");
    return;
  }
  if (!schema.is_object()) return;  // constrains nothing; check_schema() reports it
  if (value_depth_ > kMaxValueDepth) {
    report(sink, "nested deeper than " + std::to_string(kMaxValueDepth) + " levels; not checked further");
    return;
  }
  if (nesting_ >= kMaxNesting) {
    report(sink, "the schema nests more than " + std::to_string(kMaxNesting) +
                     " subschemas here (a $ref loop?); not checked further");
    return;
  }
  ++nesting_;
  check_here(value, schema, sink);
  --nesting_;
}

void Validator::check_here(const json& value, const json& schema, Sink& sink) {
  if (!check_type(value, schema, sink)) return;  // the other keywords would only repeat it
  if (const json* ref = keyword_of_type(schema, "$ref", json::value_t::string)) {
    if (const json* target = target_of(*ref)) check(value, *target, sink);
  }
  check_allowed_values(value, schema, sink);
  if (value.is_number()) check_number(value, schema, sink);
  if (value.is_string()) check_string(value, schema, sink);
  if (value.is_object()) check_object(value, schema, sink);
  if (value.is_array()) check_array(value, schema, sink);
  check_combinators(value, schema, sink);
}

bool Validator::check_type(const json& value, const json& schema, Sink& sink) {
  const json* type = keyword(schema, "type");
  if (!type) return true;
  auto known = [](const json& name) {
    return name.is_string() && is_type_name(name.get_ref<const std::string&>());
  };
  auto fits = [&](const json& name) {
    return known(name) && has_type(value, name.get_ref<const std::string&>());
  };
  const bool array = type->is_array();
  if (array ? std::any_of(type->begin(), type->end(), fits) : fits(*type)) return true;
  std::vector<std::string> names;
  auto take = [&](const json& name) {
    if (known(name)) names.push_back(name.get<std::string>());
  };
  if (array) {
    for (const json& name : *type) take(name);
  } else {
    take(*type);
  }
  if (names.empty()) return true;  // no known name: check_schema() reports it
  sink.add(mismatch(path_, Kind::type, std::move(names), 0, value));
  return false;
}

void Validator::check_allowed_values(const json& value, const json& schema, Sink& sink) {
  const json* constant = keyword(schema, "const");
  const json* choices = keyword_of_type(schema, "enum", json::value_t::array);
  if (!constant && !choices) return;
  if (choices && choices->empty()) {
    report(sink, "no value is allowed here (the enum is empty)");
    return;
  }
  const std::optional<std::string> key = key_of(value, kMaxValueDepth - value_depth_);
  if (!key) {
    report(sink, "nested too deeply to compare with the allowed values");
    return;
  }
  if (constant && key_of(*constant, kMaxValueDepth) != key) {
    sink.add(mismatch(path_, Kind::value, {shown(*constant)}, 0, value));
    return;
  }
  if (!choices) return;
  for (const json& choice : *choices)
    if (stopped_ || key_of(choice, kMaxValueDepth) == key) return;
  std::vector<std::string> allowed;
  for (std::size_t i = 0; i < choices->size() && i < kListed; ++i) allowed.push_back(shown((*choices)[i]));
  const std::size_t more = choices->size() - allowed.size();
  sink.add(mismatch(path_, Kind::value, std::move(allowed), more, value));
}

void Validator::check_number(const json& value, const json& schema, Sink& sink) {
  struct Bound {
    const char* name;
    bool upper;
  };
  const json* exclusive_flag_min = keyword_of_type(schema, "exclusiveMinimum", json::value_t::boolean);
  const json* exclusive_flag_max = keyword_of_type(schema, "exclusiveMaximum", json::value_t::boolean);
  for (const Bound& b : {Bound{"minimum", false}, Bound{"exclusiveMinimum", false}, Bound{"maximum", true},
                         Bound{"exclusiveMaximum", true}}) {
    const json* limit = number_keyword(schema, b.name);
    if (!limit) continue;
    const json* draft4_flag = b.upper ? exclusive_flag_max : exclusive_flag_min;
    const bool strict =
        std::string_view(b.name).starts_with("exclusive") || (draft4_flag && draft4_flag->get<bool>());
    const std::partial_ordering order = compare_numbers(value, *limit);
    const bool fits = b.upper ? (strict ? order < 0 : order <= 0) : (strict ? order > 0 : order >= 0);
    if (fits) continue;
    const char* words =
        b.upper ? (strict ? "less than " : "at most ") : (strict ? "more than " : "at least ");
    report(sink, "expected " + std::string(words) + limit->dump() + ", " + got(value));
  }
  const json* divisor = number_keyword(schema, "multipleOf");
  if (divisor && compare_numbers(*divisor, json(0)) > 0 && !is_multiple_of(value, *divisor))
    report(sink, "expected a multiple of " + divisor->dump() + ", " + got(value));
}

void Validator::check_string(const json& value, const json& schema, Sink& sink) {
  const std::string& text = value.get_ref<const std::string&>();
  const std::optional<std::uint64_t> min_length = count_keyword(schema, "minLength");
  const std::optional<std::uint64_t> max_length = count_keyword(schema, "maxLength");
  if (min_length || max_length) {
    const std::size_t length = code_points(text);
    if (min_length && length < *min_length)
      report(sink, "expected at least " + count_of(*min_length, "character", "characters") + ", got " +
                       std::to_string(length));
    if (max_length && length > *max_length)
      report(sink, "expected at most " + count_of(*max_length, "character", "characters") + ", got " +
                       std::to_string(length));
  }
  const json* source = keyword_of_type(schema, "pattern", json::value_t::string);
  if (!source) return;
  const Pattern* pattern = usable_pattern(source->get_ref<const std::string&>());
  if (!pattern) return;
  const std::string shown_pattern = quote(source->get_ref<const std::string&>(), kShownPatternBytes);
  if (text.size() > kRegexInputLimit) {
    report(sink, "too long to check against the pattern " + shown_pattern + ": " +
                     std::to_string(text.size()) + " bytes, at most " + std::to_string(kRegexInputLimit));
    return;
  }
  if (!charge(regex_steps(*pattern, text))) return;
  if (!safe_regex_search(*pattern, text))
    report(sink, "expected a string matching the pattern " + shown_pattern + ", " + got(value));
}

// The message for a property that additionalProperties: false refuses, naming the allowed ones.
std::string unexpected_property(const std::string& key, const json& properties,
                                const json& pattern_properties) {
  std::vector<std::string> allowed;
  std::vector<std::string> names;  // for "did you mean"
  for (auto p = properties.begin(); p != properties.end(); ++p) {
    if (allowed.size() < kListed) allowed.push_back(quote(p.key()));
    if (names.size() < 200) names.push_back(p.key());
  }
  const std::size_t more = properties.size() - allowed.size();
  for (auto p = pattern_properties.begin(); p != pattern_properties.end() && allowed.size() < 2 * kListed;
       ++p)
    allowed.push_back("names matching " + quote(p.key(), kShownPatternBytes));
  std::string message = "unexpected property";
  message += allowed.empty() ? " (no properties are allowed here)" : "; allowed: " + join_or(allowed, more);
  if (key.size() <= 64) {  // closest_name's cost grows with the product of the lengths
    if (const std::string near = closest_name(key, names); !near.empty())
      message += "; did you mean " + quote(near) + "?";
  }
  return message;
}

void Validator::check_object(const json& value, const json& schema, Sink& sink) {
  if (const json* required = keyword_of_type(schema, "required", json::value_t::array)) {
    for (const json& name : *required)
      if (name.is_string() && !value.contains(name.get_ref<const std::string&>()))
        report(sink, "missing required property " + quote(name.get_ref<const std::string&>()));
  }
  if (const auto min = count_keyword(schema, "minProperties"); min && value.size() < *min)
    report(sink, "expected at least " + count_of(*min, "property", "properties") + ", got " +
                     std::to_string(value.size()));
  if (const auto max = count_keyword(schema, "maxProperties"); max && value.size() > *max)
    report(sink, "expected at most " + count_of(*max, "property", "properties") + ", got " +
                     std::to_string(value.size()));

  static const json kNone = json::object();
  const json* properties = keyword_of_type(schema, "properties", json::value_t::object);
  const json* pattern_properties = keyword_of_type(schema, "patternProperties", json::value_t::object);
  const json* additional = keyword(schema, "additionalProperties");
  const json* names = keyword(schema, "propertyNames");
  if (!properties && !pattern_properties && !additional && !names) return;
  for (auto it = value.begin(); it != value.end() && !sink.full() && !stopped_; ++it) {
    const std::string& key = it.key();
    Descend member(*this, key);
    if (names) {
      Sink name_problems{sink.limit};
      check(json(key), *names, name_problems);
      for (Found& f : name_problems.found) report(sink, "the property name: " + f.message);
    }
    bool matched = false;
    if (properties) {
      if (auto p = properties->find(key); p != properties->end()) {
        matched = true;
        check(*it, *p, sink);
      }
    }
    const json& patterns = pattern_properties ? *pattern_properties : kNone;
    for (auto p = patterns.begin(); p != patterns.end(); ++p) {
      const Pattern* pattern = usable_pattern(p.key());
      if (!pattern) continue;
      if (key.size() > kRegexInputLimit) {
        matched = true;  // reported here rather than refused as additional
        report(sink, "the property name is too long to check against patternProperties: " +
                         std::to_string(key.size()) + " bytes, at most " + std::to_string(kRegexInputLimit));
        continue;
      }
      if (!charge(regex_steps(*pattern, key))) return;
      if (!safe_regex_search(*pattern, key)) continue;
      matched = true;
      check(*it, p.value(), sink);
    }
    if (matched || !additional) continue;
    if (additional->is_boolean() && !additional->get<bool>()) {
      report(sink, unexpected_property(key, properties ? *properties : kNone, patterns));
    } else {
      check(*it, *additional, sink);
    }
  }
}

void Validator::check_array(const json& value, const json& schema, Sink& sink) {
  if (const auto min = count_keyword(schema, "minItems"); min && value.size() < *min)
    report(sink,
           "expected at least " + count_of(*min, "item", "items") + ", got " + std::to_string(value.size()));
  if (const auto max = count_keyword(schema, "maxItems"); max && value.size() > *max)
    report(sink,
           "expected at most " + count_of(*max, "item", "items") + ", got " + std::to_string(value.size()));
  if (const json* unique = keyword_of_type(schema, "uniqueItems", json::value_t::boolean);
      unique && unique->get<bool>()) {
    std::map<std::string, std::size_t> first_index;  // sorted keys: n log n, not n squared
    for (std::size_t i = 0; i < value.size() && !stopped_; ++i) {
      std::optional<std::string> key = key_of(value[i], kMaxValueDepth - value_depth_ - 1);
      if (!key) {
        report(sink, "item " + std::to_string(i) + " is nested too deeply to compare with the others");
        break;
      }
      auto [at, inserted] = first_index.emplace(std::move(*key), i);
      if (!inserted) {
        report(sink, "expected unique items, but items " + std::to_string(at->second) + " and " +
                         std::to_string(i) + " are equal");
        break;
      }
    }
  }

  const json* prefix = keyword_of_type(schema, "prefixItems", json::value_t::array);
  const json* rest = keyword(schema, "items");
  if (rest && rest->is_array()) {  // draft-07's tuple form
    prefix = rest;
    rest = keyword(schema, "additionalItems");
  }
  const std::size_t fixed = prefix ? prefix->size() : 0;
  if (rest && rest->is_boolean() && !rest->get<bool>()) {
    if (value.size() > fixed)
      report(sink, "expected at most " + count_of(fixed, "item", "items") + ", got " +
                       std::to_string(value.size()));
    rest = nullptr;
  }
  if (!prefix && !rest) return;
  for (std::size_t i = 0; i < value.size() && !sink.full() && !stopped_; ++i) {
    if (i >= fixed && !rest) break;
    Descend item(*this, std::to_string(i));
    check(value[i], i < fixed ? (*prefix)[i] : *rest, sink);
  }
}

void Validator::check_combinators(const json& value, const json& schema, Sink& sink) {
  if (const json* all = keyword_of_type(schema, "allOf", json::value_t::array))
    for (const json& sub : *all) check(value, sub, sink);
  if (const json* any = keyword_of_type(schema, "anyOf", json::value_t::array))
    check_alternatives(value, *any, sink, "anyOf");
  if (const json* one = keyword_of_type(schema, "oneOf", json::value_t::array))
    check_alternatives(value, *one, sink, "oneOf");
  if (const json* negated = keyword(schema, "not");
      negated && (negated->is_object() || negated->is_boolean())) {
    Sink probe{1};
    check(value, *negated, probe);
    if (probe.found.empty() && !stopped_)
      report(sink, "not allowed: the value matches the schema under \"not\"");
  }
  if (const json* condition = keyword(schema, "if");
      condition && (condition->is_object() || condition->is_boolean())) {
    Sink probe{1};
    check(value, *condition, probe);
    if (stopped_) return;
    if (const json* branch = keyword(schema, probe.found.empty() ? "then" : "else"))
      check(value, *branch, sink);
  }
}

void Validator::check_alternatives(const json& value, const json& alternatives, Sink& sink,
                                   std::string_view name) {
  if (alternatives.empty()) return;  // check_schema() reports it
  const bool exactly_one = name == "oneOf";
  std::vector<std::size_t> matched;
  std::vector<std::pair<std::size_t, Sink>> failed;
  for (std::size_t i = 0; i < alternatives.size(); ++i) {
    Sink attempt{sink.limit};
    check(value, alternatives[i], attempt);
    if (stopped_) return;
    if (!attempt.found.empty()) {
      failed.emplace_back(i, std::move(attempt));
      continue;
    }
    matched.push_back(i);
    if (!exactly_one || matched.size() == 2) break;
  }
  if (matched.size() == 1 || (!exactly_one && !matched.empty())) return;
  if (matched.size() == 2) {
    report(sink, "matches alternatives " + std::to_string(matched[0] + 1) + " and " +
                     std::to_string(matched[1] + 1) + " of oneOf; it must match exactly one");
    return;
  }

  // When every alternative wants another type or value here, one line lists them all:
  // "expected string or null, got number 3".
  auto first_mismatch = [&](const Sink& s) -> const Found* {
    for (const Found& f : s.found)
      if (f.path == path_ && f.kind != Kind::other) return &f;
    return nullptr;
  };
  if (std::all_of(failed.begin(), failed.end(),
                  [&](const auto& f) { return first_mismatch(f.second) != nullptr; })) {
    std::vector<std::string> expected;
    std::size_t more = 0;
    bool all_types = true;
    for (const auto& [index, attempt] : failed) {
      const Found* f = first_mismatch(attempt);
      all_types = all_types && f->kind == Kind::type;
      more += f->more;
      for (const std::string& e : f->expected)
        if (std::find(expected.begin(), expected.end(), e) == expected.end()) expected.push_back(e);
    }
    if (expected.size() > kListed) {
      more += expected.size() - kListed;
      expected.resize(kListed);
    }
    sink.add(mismatch(path_, all_types ? Kind::type : Kind::value, std::move(expected), more, value));
    return;
  }

  // Otherwise the problems of the closest alternative: one of the right type whose consts
  // and enums fit (a discriminated union's tag), with the fewest problems.
  auto rank = [&](const Sink& s) {
    std::size_t wrong_type = 0, wrong_value = 0;
    for (const Found& f : s.found) {
      wrong_type += f.kind == Kind::type && f.path == path_;
      wrong_value += f.kind == Kind::value;
    }
    return std::make_tuple(wrong_type, wrong_value, s.found.size());
  };
  auto closest = std::min_element(failed.begin(), failed.end(), [&](const auto& a, const auto& b) {
    return rank(a.second) < rank(b.second);
  });
  report(sink, "matches none of the " + std::to_string(alternatives.size()) + " alternatives of " +
                   std::string(name) + "; the closest is alternative " + std::to_string(closest->first + 1) +
                   ", whose problems follow");
  for (Found& f : closest->second.found) sink.add(std::move(f));
}

// ---- checking the schema ------------------------------------------------------------------

class SchemaChecker {
 public:
  explicit SchemaChecker(const json& root) : root_(root) {}
  void walk(const json& schema, int depth);
  // "#<pointer>: <what>", in document order.
  std::vector<std::string> take_problems() {
    if (steps_ > kMaxSteps) {
      if (problems_.size() >= kMaxSchemaProblems) problems_.pop_back();
      problems_.emplace_back("", "too large to check completely (more than " + std::to_string(kMaxSteps) +
                                     " steps); the rest is not checked");
    }
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const auto& a, const auto& b) { return path_before(a.first, b.first); });
    std::vector<std::string> lines;
    for (const auto& [pointer, message] : problems_) lines.push_back("#" + pointer + ": " + message);
    return lines;
  }

 private:
  void add(std::string message) {
    if (problems_.size() < kMaxSchemaProblems)
      problems_.emplace_back(cut_utf8(pointer_, 200), std::move(message));
  }
  void walk_member(const json& schema, std::string_view key, int depth) {
    PathStep step(pointer_, key);
    walk(schema, depth + 1);
  }
  void check_type(const json& schema);
  void check_keyword_values(const json& schema);
  void check_pattern(const std::string& source);
  void check_ref(const json& schema, const json& ref);
  void walk_subschemas(const json& schema, int depth);

  const json& root_;
  std::string pointer_;
  std::vector<std::pair<std::string, std::string>> problems_;  // pointer, message
  Patterns patterns_;
  std::size_t steps_ = 0;  // as in validation: a big schema is checked in bounded time
};

void SchemaChecker::walk(const json& schema, int depth) {
  if (problems_.size() >= kMaxSchemaProblems || ++steps_ > kMaxSteps || schema.is_boolean()) return;
  if (!schema.is_object()) {
    add("expected a schema (an object, true or false), got " + std::string(type_of(schema)));
    return;
  }
  if (depth > kMaxNesting) {
    add("nested deeper than " + std::to_string(kMaxNesting) + " levels; not checked further");
    return;
  }
  check_type(schema);
  check_keyword_values(schema);
  if (const json* ref = keyword(schema, "$ref")) check_ref(schema, *ref);
  walk_subschemas(schema, depth);
}

void SchemaChecker::check_type(const json& schema) {
  const json* type = keyword(schema, "type");
  if (!type) return;
  if (!type->is_string() && !type->is_array()) {
    add("\"type\" must be a type name or a list of them, got " + std::string(type_of(*type)));
    return;
  }
  const std::vector<std::string> known(kTypeNames.begin(), kTypeNames.end());
  auto check_name = [&](const json& name) {
    if (!name.is_string()) {
      add("\"type\" lists a " + std::string(type_of(name)) + ", not a type name");
    } else if (!is_type_name(name.get_ref<const std::string&>())) {
      const std::string& text = name.get_ref<const std::string&>();
      std::string message = "unknown type " + quote(text) + " (the types are " + join_or(known) + ")";
      if (text.size() <= 64)
        if (const std::string near = closest_name(text, known); !near.empty())
          message += "; did you mean \"" + near + "\"?";
      add(message);
    }
  };
  if (type->is_array()) {
    for (const json& name : *type) check_name(name);
  } else {
    check_name(*type);
  }
}

void SchemaChecker::check_keyword_values(const json& schema) {
  if (const json* required = keyword(schema, "required")) {
    const bool strings = required->is_array() && std::all_of(required->begin(), required->end(),
                                                             [](const json& n) { return n.is_string(); });
    if (!strings) add("\"required\" must be a list of property names");
  }
  if (const json* choices = keyword(schema, "enum")) {
    if (!choices->is_array()) {
      add("\"enum\" must be a list, got " + std::string(type_of(*choices)));
    } else if (choices->empty()) {
      add("\"enum\" is empty, so no value can match");
    }
  }
  for (const char* name : {"minimum", "maximum", "multipleOf"}) {
    const json* n = keyword(schema, name);
    if (n && !n->is_number())
      add('"' + std::string(name) + "\" must be a number, got " + std::string(type_of(*n)));
  }
  if (const json* divisor = number_keyword(schema, "multipleOf");
      divisor && !(compare_numbers(*divisor, json(0)) > 0))
    add("\"multipleOf\" must be greater than 0");
  for (const char* name : {"exclusiveMinimum", "exclusiveMaximum"}) {
    const json* n = keyword(schema, name);
    if (n && !n->is_number() && !n->is_boolean())
      add('"' + std::string(name) + "\" must be a number, got " + std::string(type_of(*n)));
  }
  for (const char* name :
       {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
    if (keyword(schema, name) && !count_keyword(schema, name))
      add('"' + std::string(name) + "\" must be a non-negative integer");
  }
  if (const json* unique = keyword(schema, "uniqueItems"); unique && !unique->is_boolean())
    add("\"uniqueItems\" must be true or false");
  if (const json* pattern = keyword(schema, "pattern")) {
    if (!pattern->is_string()) {
      add("\"pattern\" must be a string, got " + std::string(type_of(*pattern)));
    } else {
      check_pattern(pattern->get_ref<const std::string&>());
    }
  }
}

void SchemaChecker::check_pattern(const std::string& source) {
  const Pattern& pattern = patterns_.get(source, steps_);
  if (!pattern.regex)
    add("the pattern " + quote(source, kShownPatternBytes) + ' ' + pattern.problem + "; it is not checked");
}

void SchemaChecker::check_ref(const json& schema, const json& ref) {
  if (!ref.is_string()) {
    add("\"$ref\" must be a string, got " + std::string(type_of(ref)));
    return;
  }
  const std::string& text = ref.get_ref<const std::string&>();
  if (!is_local_ref(text)) {
    add("$ref " + quote(text, kShownPatternBytes) +
        " is not in this document (only \"#...\" references are followed); it accepts any value");
    return;
  }
  const json* target = resolve_ref(root_, text);
  if (!target) {
    add("$ref " + quote(text, kShownPatternBytes) + " does not resolve; it accepts any value");
    return;
  }
  // A chain of $refs that comes back to where it passed applies to the same value forever.
  std::set<const json*> seen{&schema};
  for (int hop = 0; hop < kMaxNesting && target && ++steps_ <= kMaxSteps; ++hop) {
    if (!seen.insert(target).second) {
      add("$ref " + quote(text, kShownPatternBytes) + " leads into a loop of $refs, which no value can pass");
      return;
    }
    const json* next = keyword_of_type(*target, "$ref", json::value_t::string);
    if (!next) return;
    steps_ += next->get_ref<const std::string&>().size() / 64;
    target = resolve_ref(root_, next->get_ref<const std::string&>());
  }
}

void SchemaChecker::walk_subschemas(const json& schema, int depth) {
  for (const char* name : {"additionalProperties", "additionalItems", "propertyNames", "not", "if", "then",
                           "else", "contains"}) {
    if (const json* sub = keyword(schema, name)) walk_member(*sub, name, depth);
  }
  if (const json* items = keyword(schema, "items")) {
    if (items->is_array()) {
      PathStep step(pointer_, "items");
      for (std::size_t i = 0; i < items->size(); ++i) walk_member((*items)[i], std::to_string(i), depth);
    } else {
      walk_member(*items, "items", depth);
    }
  }
  for (const char* name : {"allOf", "anyOf", "oneOf", "prefixItems"}) {
    const json* list = keyword(schema, name);
    if (!list) continue;
    if (!list->is_array() || list->empty()) {
      add('"' + std::string(name) + "\" must be a non-empty list of schemas");
      continue;
    }
    PathStep step(pointer_, name);
    for (std::size_t i = 0; i < list->size(); ++i) walk_member((*list)[i], std::to_string(i), depth);
  }
  for (const char* name : {"properties", "patternProperties", "$defs", "definitions"}) {
    const json* map = keyword(schema, name);
    if (!map) continue;
    if (!map->is_object()) {
      add('"' + std::string(name) + "\" must be an object of schemas, got " + std::string(type_of(*map)));
      continue;
    }
    PathStep step(pointer_, name);
    for (auto it = map->begin(); it != map->end(); ++it) {
      if (std::string_view(name) == "patternProperties") {
        PathStep key_step(pointer_, it.key());
        check_pattern(it.key());
      }
      walk_member(*it, it.key(), depth);
    }
  }
}

}  // namespace

std::vector<SchemaProblem> validate_against_schema(const nlohmann::json& value, const nlohmann::json& schema,
                                                   std::size_t max_problems) {
  Validator validator(schema);
  Sink sink{std::max<std::size_t>(max_problems, 1)};
  validator.check(value, schema, sink);
  if (validator.stopped()) {
    Found stop{"",
               "too much work to check (more than " + std::to_string(kMaxSteps) +
                   " steps: the value is too large for this schema, or the schema nests alternatives too "
                   "deeply); not accepted",
               Kind::other,
               {},
               0};
    if (sink.full()) sink.found.pop_back();
    sink.found.push_back(std::move(stop));
  }
  std::stable_sort(sink.found.begin(), sink.found.end(),
                   [](const Found& a, const Found& b) { return path_before(a.path, b.path); });
  std::vector<SchemaProblem> problems;
  for (Found& f : sink.found) problems.push_back(SchemaProblem{std::move(f.path), std::move(f.message)});
  return problems;
}

std::string describe_problems(const std::vector<SchemaProblem>& problems) {
  std::string out;
  for (const SchemaProblem& p : problems) {
    if (!out.empty()) out += "; ";
    if (!p.path.empty()) {
      const std::string_view path = cut_utf8(p.path, 200);
      out += path;
      if (path.size() < p.path.size()) out += "...";
      out += ": ";
    }
    out += p.message;
  }
  return out;
}

std::vector<std::string> check_schema(const nlohmann::json& schema) {
  SchemaChecker checker(schema);
  checker.walk(schema, 0);
  return checker.take_problems();
}

}  // namespace agentco
