#include "core/safe_regex.hpp"

#include <algorithm>
#include <vector>

namespace agentco {
namespace {

std::size_t capped_sum(std::size_t a, std::size_t b) { return std::min<std::size_t>(a + b, 1u << 30); }
std::size_t capped_product(std::size_t a, std::size_t b) {
  return b != 0 && a > (std::size_t{1} << 30) / b ? std::size_t{1} << 30 : a * b;
}

struct PatternShape {
  std::size_t cost = 0;  // about the number of NFA states std::regex will build
  bool back_reference = false;
};

// Estimates a pattern's size with its repetitions expanded ("(ab){100}" is about 200), since
// std::regex's polynomial mode takes time proportional to input length times that size.
PatternShape shape_of(std::string_view p) {
  struct Group {
    std::size_t total = 0, last = 0;
  };
  std::vector<Group> groups(1);
  PatternShape shape;
  auto atom = [&](std::size_t size) {
    groups.back().total = capped_sum(groups.back().total, size);
    groups.back().last = size;
  };
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9') shape.back_reference = true;
      ++i;
      atom(1);
    } else if (c == '[') {
      for (++i; i < p.size() && p[i] != ']'; ++i)
        if (p[i] == '\\') ++i;
      atom(1);
    } else if (c == '(') {
      groups.emplace_back();
    } else if (c == ')' && groups.size() > 1) {
      const std::size_t size = capped_sum(groups.back().total, 2);
      groups.pop_back();
      atom(size);
    } else if (c == '{') {
      std::size_t j = i + 1, low = 0, high = 0;
      bool comma = false, digits = false, high_digits = false;
      for (; j < p.size() && ((p[j] >= '0' && p[j] <= '9') || (p[j] == ',' && !comma)); ++j) {
        if (p[j] == ',') {
          comma = true;
        } else if (comma) {
          high = capped_sum(capped_product(high, 10), p[j] - '0');
          high_digits = true;
        } else {
          low = capped_sum(capped_product(low, 10), p[j] - '0');
          digits = true;
        }
      }
      if (!digits || j >= p.size() || p[j] != '}') {
        atom(1);
        continue;
      }
      const std::size_t count = std::max<std::size_t>({high_digits ? high : low + (comma ? 1 : 0), low, 1});
      Group& g = groups.back();
      g.total = capped_sum(g.total, capped_product(g.last, count - 1));
      g.last = capped_product(g.last, count);
      i = j;
    } else {
      atom(1);  // a character; *, +, ?, | add about one state too
    }
  }
  for (const Group& g : groups) shape.cost = capped_sum(shape.cost, g.total);
  return shape;
}

}  // namespace

SafeRegex compile_safe_regex(const std::string& source, std::size_t cost_limit) {
  SafeRegex pattern;
  const PatternShape shape = shape_of(source);
  pattern.cost = shape.cost;
  if (shape.back_reference) {
    pattern.problem = "uses a back-reference, which cannot be matched in bounded time";
    return pattern;
  }
  if (shape.cost > cost_limit) {
    pattern.problem = "is too large to match in bounded time (about " + std::to_string(shape.cost) +
                      " states with repetitions expanded, at most " + std::to_string(cost_limit) + ")";
    return pattern;
  }
  // __polynomial (libstdc++) runs the NFA breadth-first: no exponential backtracking, and the
  // stack no longer grows with the input. regex_search would still restart at every offset
  // (quadratic), so the pattern is wrapped to be matched once: "^" and "$" keep their meaning
  // because they anchor at the ends of the input, not after the prefix.
  const auto flags = std::regex::ECMAScript | std::regex::nosubs | std::regex_constants::__polynomial;
  try {
    const std::regex alone(source, flags);  // compiling alone first, ")|(" cannot leave the group
    pattern.regex.emplace("[\\s\\S]*(?:" + source + ")[\\s\\S]*", flags);
  } catch (const std::regex_error& e) {
    pattern.regex.reset();
    pattern.problem = std::string("does not compile as an ECMAScript regex (") + e.what() + ")";
  }
  return pattern;
}

bool safe_regex_search(const SafeRegex& pattern, std::string_view text) {
  return pattern.regex && std::regex_match(text.begin(), text.end(), *pattern.regex);
}

}  // namespace agentco
