#include "tests/support/reading/prompt_text.hpp"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace agentco::testing::reading {

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      if (start < text.size()) out.emplace_back(text.substr(start));
      break;
    }
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::uint64_t fnv(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

namespace {

// A fence line: optional indentation, then three or more backticks.
std::size_t fence_length(std::string_view line) {
  const auto start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) return 0;
  std::size_t n = 0;
  while (start + n < line.size() && line[start + n] == '`') ++n;
  return n >= 3 ? n : 0;
}

}  // namespace

std::vector<Heading> headings(std::string_view text) {
  std::vector<Heading> out;
  std::size_t fence = 0;  // length of the open fence, 0 outside
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(pos, end - pos);
    if (const auto n = fence_length(line); n > 0) {
      if (fence == 0)
        fence = n;
      else if (n >= fence && trim(line).size() == n)
        fence = 0;
    } else if (fence == 0 && line.starts_with('#')) {
      int level = 0;
      while (level < static_cast<int>(line.size()) && line[level] == '#') ++level;
      if (level <= 6 && level < static_cast<int>(line.size()) && line[level] == ' ') {
        for (auto& open : out)
          if (open.body_end == std::string::npos && open.level >= level) open.body_end = pos;
        out.push_back({level, trim(line.substr(level)), std::min(end + 1, text.size()), std::string::npos});
      }
    }
    pos = end + 1;
  }
  for (auto& open : out)
    if (open.body_end == std::string::npos) open.body_end = text.size();
  return out;
}

namespace {

std::optional<std::string> section_at(std::string_view text, const Heading& h) {
  return std::string(text.substr(h.body_begin, h.body_end - h.body_begin));
}

}  // namespace

std::optional<std::string> section(std::string_view text, std::string_view title) {
  for (const auto& h : headings(text))
    if (h.title.starts_with(title)) return section_at(text, h);
  return std::nullopt;
}

std::optional<std::string> last_section(std::string_view text, std::string_view title) {
  const auto all = headings(text);
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->title.starts_with(title)) return section_at(text, *it);
  return std::nullopt;
}

std::string task_section(std::string_view text) {
  const auto all = headings(text);
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->title == "Task") return *section_at(text, *it);
  return {};
}

std::optional<std::string> heading_rest(std::string_view text, std::string_view prefix) {
  for (const auto& h : headings(text))
    if (h.title.starts_with(prefix)) return trim(std::string_view(h.title).substr(prefix.size()));
  return std::nullopt;
}

std::optional<std::string> first_fence(std::string_view text) {
  std::size_t fence = 0;
  std::string body;
  for (const auto& line : lines(text)) {
    const auto n = fence_length(line);
    if (fence == 0) {
      if (n > 0) fence = n;
      continue;
    }
    if (n >= fence && trim(line).size() == n) return body;
    body += line + "\n";
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> named_fences(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto all = headings(text);
  for (const auto& h : all) {
    if (h.title.empty() || h.title.find(' ') != std::string::npos && !h.title.ends_with(" (interface)")) continue;
    auto name = h.title;
    if (name.ends_with(" (interface)")) name.resize(name.size() - 12);
    if (name.find('.') == std::string::npos) continue;
    if (auto body = first_fence(text.substr(h.body_begin, h.body_end - h.body_begin))) out.emplace_back(name, *body);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> format_nodes(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto nodes = section(text, "Nodes");
  if (!nodes) return out;
  for (const auto& line : lines(*nodes)) {
    if (!line.starts_with("- ")) continue;
    const auto hash = line.find("  #");
    const auto body = std::string_view(line).substr(2, hash == std::string::npos ? std::string::npos : hash - 2);
    const auto colon = body.rfind(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(trim(body.substr(0, colon)), trim(body.substr(colon + 1)));
  }
  return out;
}

namespace {

// The JSON value that starts at text[pos], parsed; nullopt when it is not JSON.
std::optional<nlohmann::json> json_value_at(std::string_view text, std::size_t pos) {
  // Try the shortest prefix that parses, growing to each closing bracket or quote. Values
  // shown in prompts are small, so a linear scan of candidate ends is enough.
  for (std::size_t end = pos + 1; end <= text.size(); ++end) {
    const char last = text[end - 1];
    if (last != '"' && last != ']' && last != '}' && !(last >= '0' && last <= '9')) continue;
    auto value = nlohmann::json::parse(text.substr(pos, end - pos), nullptr, false);
    if (!value.is_discarded()) return value;
  }
  return std::nullopt;
}

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) {
      if (item.is_array()) {
        std::string row;
        for (const auto& cell : item) row += (row.empty() ? "" : ": ") + json_text(cell);
        out += "- " + row + "\n";
      } else {
        out += "- " + json_text(item) + "\n";
      }
    }
    return out;
  }
  return value.dump();
}

}  // namespace

std::optional<std::string> shown_field(std::string_view text, std::string_view field) {
  for (const auto& h : headings(text)) {
    if (h.title != field) continue;
    auto body = std::string(text.substr(h.body_begin, h.body_end - h.body_begin));
    if (auto fence = first_fence(body); fence && trim(body).starts_with("```")) return *fence;
    return trim(body);
  }
  const std::string key = "\"" + std::string(field) + "\"";
  for (auto pos = text.find(key); pos != std::string_view::npos; pos = text.find(key, pos + 1)) {
    auto colon = text.find_first_not_of(" \t", pos + key.size());
    if (colon == std::string_view::npos || text[colon] != ':') continue;
    const auto value_pos = text.find_first_not_of(" \t\r\n", colon + 1);
    if (value_pos == std::string_view::npos) break;
    if (auto value = json_value_at(text, value_pos)) return json_text(*value);
  }
  return std::nullopt;
}

std::vector<std::string> list_items(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& raw : lines(text)) {
    auto line = trim(raw);
    if (line.starts_with("- ") || line.starts_with("* ")) {
      out.push_back(trim(std::string_view(line).substr(2)));
    } else if (!line.empty() && line[0] >= '0' && line[0] <= '9') {
      const auto dot = line.find(". ");
      if (dot != std::string::npos && dot < 4) out.push_back(trim(std::string_view(line).substr(dot + 2)));
    }
  }
  return out;
}

}  // namespace agentco::testing::reading
