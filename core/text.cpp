#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

namespace agentco {

std::string slugify(std::string_view text, std::size_t max_length) {
  std::string out;
  bool pending_sep = false;
  for (unsigned char c : text) {
    if (std::isalnum(c) && c < 0x80) {
      if (pending_sep && !out.empty()) out.push_back('_');
      pending_sep = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      pending_sep = true;
    }
    if (out.size() >= max_length) break;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "project" : out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  const std::size_t threshold = word.size() <= 4 ? 1 : word.size() <= 10 ? 2 : 3;
  std::string best;
  std::size_t best_distance = threshold + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance && distance < std::max<std::size_t>(word.size(), 1)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A variable starting at `at` ("{{"): its name and the position just past "}}", or nothing.
std::optional<std::pair<std::string_view, std::size_t>> variable_at(std::string_view text, std::size_t at) {
  if (at + 1 >= text.size() || text[at] != '{' || text[at + 1] != '{') return std::nullopt;
  std::size_t j = at + 2;
  while (j < text.size() && text[j] == ' ') ++j;
  const std::size_t start = j;
  while (j < text.size() && is_name_char(text[j])) ++j;
  const std::size_t end = j;
  while (j < text.size() && text[j] == ' ') ++j;
  if (end == start || std::isdigit(static_cast<unsigned char>(text[start]))) return std::nullopt;
  if (j + 1 >= text.size() || text[j] != '}' || text[j + 1] != '}') return std::nullopt;
  return std::make_pair(text.substr(start, end - start), j + 2);
}

}  // namespace

std::vector<TemplateVariable> template_variables(std::string_view templ) {
  std::vector<TemplateVariable> out;
  int line = 1;
  for (std::size_t i = 0; i < templ.size();) {
    if (templ[i] == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (auto variable = variable_at(templ, i)) {
      out.push_back({std::string(variable->first), line});
      i = variable->second;
      continue;
    }
    ++i;
  }
  return out;
}

std::string fill_template(std::string_view templ, const std::function<const std::string*(std::string_view)>& value) {
  std::string out;
  out.reserve(templ.size() + 256);
  std::size_t copied = 0;
  for (std::size_t i = templ.find("{{"); i != std::string_view::npos; i = templ.find("{{", i)) {
    auto variable = variable_at(templ, i);
    if (!variable) {
      ++i;
      continue;
    }
    const std::string* text = value(variable->first);
    if (text) {
      out.append(templ.substr(copied, i - copied));
      out.append(*text);
      copied = variable->second;
    }
    i = variable->second;
  }
  out.append(templ.substr(copied));
  return out;
}

std::string render_template(std::string_view templ,
                            const std::vector<std::pair<std::string, std::string>>& vars) {
  return fill_template(templ, [&](std::string_view name) -> const std::string* {
    for (const auto& [key, text] : vars) {
      if (key == name) return &text;
    }
    return nullptr;
  });
}

std::string iso_timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buffer;
}

std::string folder_timestamp_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d_%H%M%S", &tm);
  return buffer;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace agentco
