#include "research/prompt_list.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace agentco {
namespace {

Error bad(const std::string& label, int line, const std::string& what) {
  return make_error("prompts", fmt::format("{}:{}: {}", label, line, what));
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The line of the first byte that is not valid UTF-8, or 0.
int invalid_utf8_line(std::string_view text) {
  int line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    int extra = 0;
    if (c < 0x80)
      extra = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
      extra = 1;
    else if ((c & 0xF0) == 0xE0)
      extra = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
      extra = 3;
    else
      return line;
    if (i + extra >= text.size()) return line;  // cut off at the end
    for (int k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return line;
    i += 1 + extra;
  }
  return 0;
}

struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

Result<std::vector<CsvRow>> parse_csv(std::string_view text, const std::string& label) {
  std::vector<CsvRow> rows;
  const std::size_t n = text.size();
  std::size_t i = 0;
  int line = 1;
  auto at_field_end = [&](std::size_t k) {
    return k >= n || text[k] == ',' || text[k] == '\n' || text[k] == '\r';
  };
  while (i < n) {
    CsvRow row;
    row.line = line;
    for (bool row_done = false; !row_done;) {
      std::string field;
      if (text[i] == '"') {
        const int opened = line;
        ++i;
        for (bool closed = false; !closed;) {
          if (i >= n) return bad(label, opened, "a quoted field is never closed (missing \")");
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            continue;
          }
          if (c == '\n') ++line;
          field.push_back(c);
          ++i;
        }
        if (!at_field_end(i))
          return bad(label, line,
                     "text after a closing quote (a quote inside a quoted field is written \"\")");
      } else {
        while (!at_field_end(i)) {
          if (text[i] == '"')
            return bad(
                label, line,
                "a quote inside an unquoted field (quote the whole field and write the quote as \"\")");
          field.push_back(text[i++]);
        }
      }
      row.fields.push_back(std::move(field));
      if (i >= n) {
        row_done = true;
      } else if (text[i] == ',') {
        ++i;
        if (i >= n) row.fields.emplace_back();
      } else {
        if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
        ++i;
        ++line;
        row_done = true;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool all_empty(const CsvRow& row) {
  return std::all_of(row.fields.begin(), row.fields.end(),
                     [](const std::string& f) { return trim(f).empty(); });
}

Result<std::vector<Prompt>> parse_csv_prompts(std::string_view text, const std::string& label) {
  auto rows = parse_csv(text, label);
  if (!rows) return rows.error();
  auto it = std::find_if(rows->begin(), rows->end(), [](const CsvRow& r) { return !all_empty(r); });
  if (it == rows->end()) return make_error("prompts", label + ": empty: no header line and no prompts");
  const CsvRow& header = *it;
  int idea_column = 0, name_column = -1;
  for (std::size_t c = 0; c < header.fields.size(); ++c) {
    const std::string key = lower(trim(header.fields[c]));
    if (key == "description") idea_column = static_cast<int>(c);
    if (key == "name") name_column = static_cast<int>(c);
  }
  std::vector<Prompt> prompts;
  for (++it; it != rows->end(); ++it) {
    if (all_empty(*it)) continue;
    if (it->fields.size() != header.fields.size())
      return bad(label, it->line,
                 fmt::format("{} fields, but the header (line {}) has {}", it->fields.size(), header.line,
                             header.fields.size()));
    Prompt p;
    p.id = static_cast<int>(prompts.size()) + 1;
    p.line = it->line;
    p.idea = trim(it->fields[idea_column]);
    if (name_column >= 0) p.name = trim(it->fields[name_column]);
    if (p.idea.empty())
      return bad(label, it->line, fmt::format("the {} column is empty", trim(header.fields[idea_column])));
    prompts.push_back(std::move(p));
  }
  if (prompts.empty()) return make_error("prompts", label + ": no prompts below the header line");
  return prompts;
}

Result<std::vector<Prompt>> parse_text_prompts(std::string_view text, const std::string& label) {
  std::vector<Prompt> prompts;
  int line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line_number;
    const std::string line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    Prompt p;
    p.id = static_cast<int>(prompts.size()) + 1;
    p.line = line_number;
    p.idea = line;
    prompts.push_back(std::move(p));
  }
  if (prompts.empty())
    return make_error("prompts", label + ": no prompts (one idea per line; # starts a comment)");
  return prompts;
}

}  // namespace

PromptFormat prompt_format_of(const std::filesystem::path& file) {
  return lower(file.extension().string()) == ".csv" ? PromptFormat::csv : PromptFormat::text;
}

Result<std::vector<Prompt>> parse_prompt_list(std::string_view text, PromptFormat format,
                                              const std::string& label) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const int line = invalid_utf8_line(text); line > 0) return bad(label, line, "not valid UTF-8 text");
  if (text.find('\0') != std::string_view::npos)
    return make_error("prompts", label + ": a binary file, not text");
  return format == PromptFormat::csv ? parse_csv_prompts(text, label) : parse_text_prompts(text, label);
}

Result<std::vector<Prompt>> read_prompt_list(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return make_error("prompts", file.string() + ": a folder; give a .txt or .csv file of prompts");
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("prompts", "cannot read " + file.string() + ": no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_prompt_list(text.str(), prompt_format_of(file), file.string());
}

std::string prompt_label(const Prompt& prompt) {
  if (!prompt.name.empty()) return prompt.name;
  std::istringstream words(prompt.idea);
  std::string out, word;
  for (int k = 0; k < 6 && words >> word; ++k) out += (out.empty() ? "" : " ") + word;
  return out;
}

}  // namespace agentco
