#include "importers/chatdev_log.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "actions/reply_files.hpp"
#include "importers/imported_run.hpp"

namespace agentco::chatdev {

namespace {

struct Header {
  int year, a, b, hour, minute, second;
  std::string level;
  std::size_t length;  // bytes of "[... LEVEL] "
};

bool digits(std::string_view s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

int number(std::string_view s, std::size_t from, std::size_t count) {
  int n = 0;
  for (std::size_t i = from; i < from + count; ++i) n = n * 10 + (s[i] - '0');
  return n;
}

// "[2023-22-10 15:41:24 INFO] " at the start of `line`.
bool parse_header(std::string_view line, Header& h) {
  if (line.size() < 23 || line[0] != '[' || !digits(line, 1, 4) || line[5] != '-' || !digits(line, 6, 2) ||
      line[8] != '-' || !digits(line, 9, 2) || line[11] != ' ' || !digits(line, 12, 2) || line[14] != ':' ||
      !digits(line, 15, 2) || line[17] != ':' || !digits(line, 18, 2) || line[20] != ' ')
    return false;
  std::size_t close = line.find(']', 21);
  if (close == std::string_view::npos || close == 21) return false;
  for (std::size_t i = 21; i < close; ++i)
    if (!std::isupper(static_cast<unsigned char>(line[i]))) return false;
  h.year = number(line, 1, 4);
  h.a = number(line, 6, 2);
  h.b = number(line, 9, 2);
  h.hour = number(line, 12, 2);
  h.minute = number(line, 15, 2);
  h.second = number(line, 18, 2);
  h.level = std::string(line.substr(21, close - 21));
  h.length = close + 1 < line.size() && line[close + 1] == ' ' ? close + 2 : close + 1;
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace


SplitLog split_log(std::string_view text, const std::string& stamp) {
  SplitLog out;
  std::vector<Header> headers;
  std::size_t pos = 0, line_no = 1;
  std::string* body = nullptr;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, next - pos);
    Header h;
    if (parse_header(line, h)) {
      headers.push_back(h);
      out.records.push_back(LogRecord{line_no, "", h.level, std::string(line.substr(h.length))});
      body = &out.records.back().body;
    } else if (body) {
      body->append(line);
    }
    pos = next;
    ++line_no;
  }
  // Day and month: a value above 12 decides (per record, and by majority for the others);
  // else the stamp; else ChatDev's own "%Y-%d-%m".
  std::size_t day_first_votes = 0, month_first_votes = 0;
  for (const auto& h : headers) {
    if (h.a > 12 && h.b <= 12) ++day_first_votes;
    if (h.b > 12 && h.a <= 12) ++month_first_votes;
  }
  if (day_first_votes != month_first_votes) {
    out.day_first = day_first_votes > month_first_votes;
    out.order_reason = "a day above 12";
  } else if (stamp.size() >= 8 && !headers.empty()) {
    int month = std::atoi(stamp.substr(4, 2).c_str()), day = std::atoi(stamp.substr(6, 2).c_str());
    out.day_first = !(headers.front().a == month && headers.front().b == day && month != day);
    out.order_reason = "the folder's timestamp";
  } else {
    out.day_first = true;
    out.order_reason = "a guess (ChatDev writes YYYY-DD-MM)";
  }
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const Header& h = headers[i];
    bool day_first = h.a > 12 ? true : (h.b > 12 ? false : out.day_first);
    int month = day_first ? h.b : h.a, day = day_first ? h.a : h.b;
    out.records[i].at = iso_time(h.year, month, day, h.hour, h.minute, h.second);
  }
  return out;
}

Usage parse_usage(std::string_view body) {
  Usage u;
  for (const auto& line : split_lines(body)) {
    // Clamped to 0..10^12, so that sums of what a log claims cannot overflow.
    auto value = [&](std::string_view prefix) {
      return std::clamp(std::strtol(line.c_str() + prefix.size(), nullptr, 10), 0L, 1000000000000L);
    };
    if (starts_with(line, "prompt_tokens:")) {
      u.any = true;
      u.prompt_tokens += value("prompt_tokens:");
    } else if (starts_with(line, "completion_tokens:")) {
      u.any = true;
      u.completion_tokens += value("completion_tokens:");
    } else if (starts_with(line, "total_tokens:")) {
      u.any = true;
      u.total_tokens += value("total_tokens:");
    } else if (starts_with(line, "cost: $")) {
      u.logged_cost = std::strtod(line.c_str() + 7, nullptr);
    }
  }
  return u;
}

std::string model_name(const std::string& model_type) {
  if (model_type == "GPT_3_5_TURBO" || model_type == "GPT_3_5_TURBO_NEW") return "gpt-3.5-turbo";
  if (model_type == "GPT_4") return "gpt-4";
  if (model_type == "GPT_4_32k" || model_type == "GPT_4_32K") return "gpt-4-32k";
  if (model_type == "GPT_4_TURBO" || model_type == "GPT_4_TURBO_V") return "gpt-4-1106-preview";
  if (model_type == "GPT_4O") return "gpt-4o";
  if (model_type == "GPT_4O_MINI") return "gpt-4o-mini";
  return lower(model_type);
}

double price_usd(const std::string& model, long prompt_tokens, long completion_tokens) {
  // ChatDev's statistics.py prices, USD per 1,000 tokens (input, output).
  struct Price {
    const char* model;
    double input, output;
  };
  static const Price kPrices[] = {{"gpt-3.5-turbo", 0.0015, 0.002},     {"gpt-3.5-turbo-16k", 0.003, 0.004},
                                  {"gpt-3.5-turbo-0613", 0.0015, 0.002}, {"gpt-3.5-turbo-16k-0613", 0.003, 0.004},
                                  {"gpt-4", 0.03, 0.06},                 {"gpt-4-0613", 0.03, 0.06},
                                  {"gpt-4-32k", 0.06, 0.12},             {"gpt-4-1106-preview", 0.01, 0.03},
                                  {"gpt-4o", 0.005, 0.015},              {"gpt-4o-mini", 0.00015, 0.0006}};
  for (const auto& p : kPrices)
    if (model == p.model)
      return static_cast<double>(prompt_tokens) * p.input / 1000.0 +
             static_cast<double>(completion_tokens) * p.output / 1000.0;
  return -1;
}

std::vector<std::string> apply_unified_diff(const std::vector<std::string>& old_lines,
                                            const std::vector<std::string>& diff, bool& clean) {
  struct Hunk {
    std::size_t start = 0, old_count = 0;
    std::vector<std::string> old_text, new_text;
  };
  std::vector<Hunk> hunks;
  for (std::size_t k = 0; k < diff.size();) {
    const std::string& h = diff[k];
    if (!starts_with(h, "@@ -")) {
      ++k;
      continue;
    }
    long s = 0, n = 1, m = 1;
    char* e = nullptr;
    s = std::strtol(h.c_str() + 4, &e, 10);
    if (*e == ',') n = std::strtol(e + 1, &e, 10);
    if (std::strncmp(e, " +", 2) == 0) {
      std::strtol(e + 2, &e, 10);
      if (*e == ',') m = std::strtol(e + 1, &e, 10);
    }
    Hunk hunk;
    hunk.start = static_cast<std::size_t>(n > 0 ? std::max(s - 1, 0L) : std::max(s, 0L));
    hunk.old_count = static_cast<std::size_t>(std::max(n, 0L));
    long old_seen = 0, new_seen = 0;
    for (++k; k < diff.size() && (old_seen < n || new_seen < m) && !starts_with(diff[k], "@@ -"); ++k) {
      const std::string& l = diff[k];
      char tag = l.empty() ? ' ' : l[0];
      std::string text = l.empty() ? std::string() : l.substr(1);
      if (tag == '+') {
        hunk.new_text.push_back(text);
        ++new_seen;
      } else if (tag == '-') {
        hunk.old_text.push_back(text);
        ++old_seen;
      } else if (tag != '\\') {  // "\ No newline at end of file" is no line
        hunk.old_text.push_back(text);
        hunk.new_text.push_back(text);
        ++old_seen;
        ++new_seen;
      }
    }
    hunks.push_back(std::move(hunk));
  }
  clean = true;
  std::size_t at = 0;
  for (const auto& h : hunks) {
    bool fits = h.start >= at && h.start + h.old_text.size() <= old_lines.size() &&
                std::equal(h.old_text.begin(), h.old_text.end(), old_lines.begin() + static_cast<long>(h.start));
    if (!fits || h.old_text.size() != h.old_count) clean = false;
    at = h.start + h.old_count;
  }
  std::vector<std::string> out;
  std::size_t i = 0;
  for (const auto& h : hunks) {
    std::size_t start = std::clamp(h.start, i, std::max(i, old_lines.size()));
    if (i < old_lines.size())
      out.insert(out.end(), old_lines.begin() + static_cast<long>(i),
                 old_lines.begin() + static_cast<long>(std::min(start, old_lines.size())));
    out.insert(out.end(), h.new_text.begin(), h.new_text.end());
    i = std::max(i, h.start + h.old_count);
  }
  // When the diff does not fit what we hold, the file was changed without a log entry:
  // the diff is all that is known, so nothing after its last hunk is kept.
  if (clean && i < old_lines.size()) out.insert(out.end(), old_lines.begin() + static_cast<long>(i), old_lines.end());
  return out;
}

std::vector<std::pair<std::string, std::string>> extract_codes(std::string_view reply) {
  return files_in_reply(reply, false);  // ChatDev drops blank lines
}

std::map<std::string, double> parse_software_info(std::string_view body) {
  std::map<std::string, double> figures;
  // "**key**=value" (value may start with '$' and end with 's')
  std::size_t pos = 0;
  while ((pos = body.find("**", pos)) != std::string_view::npos) {
    std::size_t key_start = pos + 2;
    std::size_t key_end = body.find("**", key_start);
    if (key_end == std::string_view::npos) break;
    std::string key(body.substr(key_start, key_end - key_start));
    bool is_key = !key.empty() && std::all_of(key.begin(), key.end(), word_char);
    if (is_key && key_end + 2 < body.size() && body[key_end + 2] == '=') {
      std::size_t v = key_end + 3;
      while (v < body.size() && (body[v] == '$' || body[v] == ' ')) ++v;
      std::string value;
      while (v < body.size() && (std::isdigit(static_cast<unsigned char>(body[v])) || body[v] == '.' || body[v] == '-'))
        value += body[v++];
      if (!value.empty()) figures[key] = std::strtod(value.c_str(), nullptr);
      pos = v;
    } else {
      pos = key_end;
    }
  }
  if (!figures.empty()) return figures;
  // Older: "Software Info: version_updates: -1 num_code_files: 1 ..."
  std::size_t at = body.find("Software Info:");
  if (at == std::string_view::npos) return figures;
  std::string_view rest = body.substr(at + 14);
  rest = rest.substr(0, rest.find('\n'));
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::size_t j = i;
    while (j < rest.size() && rest[j] != ' ') ++j;
    if (j > i) words.emplace_back(rest.substr(i, j - i));
    i = j;
  }
  for (std::size_t w = 0; w + 1 < words.size(); ++w) {
    if (words[w].size() > 1 && words[w].back() == ':') {
      char* end = nullptr;
      double value = std::strtod(words[w + 1].c_str(), &end);
      if (end != words[w + 1].c_str()) figures[words[w].substr(0, words[w].size() - 1)] = value;
    }
  }
  return figures;
}

std::map<std::string, std::string> parse_parameter_table(std::string_view body) {
  std::map<std::string, std::string> rows;
  for (const auto& line : split_lines(body)) {
    if (!starts_with(line, "| **")) continue;
    std::size_t key_end = line.find("** |", 4);
    if (key_end == std::string::npos) continue;
    std::string key = line.substr(4, key_end - 4);
    std::string value = line.substr(key_end + 4);
    if (value.size() >= 2 && value.compare(value.size() - 2, 2, " |") == 0) value.resize(value.size() - 2);
    rows[key] = trim(value);
  }
  return rows;
}

}  // namespace agentco::chatdev
