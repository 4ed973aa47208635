#include "actions/reply_files.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace agentco {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The last "\w+\.\w+" in `text` (Python's \w on ASCII; other bytes count as word bytes too,
// as Python 3's \w matches Unicode letters).
std::string last_file_name(std::string_view text) {
  auto is_word = [](char c) { return word_char(c) || static_cast<unsigned char>(c) >= 0x80; };
  std::string found;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_word(text[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && is_word(text[i])) ++i;
    if (i + 1 < text.size() && text[i] == '.' && is_word(text[i + 1])) {
      std::size_t j = i + 1;
      while (j < text.size() && is_word(text[j])) ++j;
      found = std::string(text.substr(start, j - start));
      i = j;  // finditer continues after the match
    }
  }
  return to_lower(found);
}

// ChatDev: the last "class (\S+?):\n" in the code, lower-cased, cut at "(", plus ".py".
std::string file_name_from_code(std::string_view code) {
  std::string name;
  std::size_t pos = 0;
  while ((pos = code.find("class ", pos)) != std::string_view::npos) {
    std::size_t start = pos + 6, i = start;
    while (i < code.size() && !std::isspace(static_cast<unsigned char>(code[i])) &&
           !(code[i] == ':' && i + 1 < code.size() && code[i + 1] == '\n'))
      ++i;
    if (i > start && i + 1 < code.size() && code[i] == ':' && code[i + 1] == '\n') {
      name = std::string(code.substr(start, i - start));
      pos = i + 2;
    } else {
      pos = start;
    }
  }
  name = to_lower(name);
  if (auto paren = name.find('('); paren != std::string::npos) name.resize(paren);
  return name + ".py";
}


}  // namespace

std::vector<std::pair<std::string, std::string>> files_in_reply(std::string_view reply, bool keep_blank_lines) {
  // Python: re.finditer(r"(.+?)\n```.*?\n(.*?)```", reply, re.DOTALL)
  std::vector<std::pair<std::string, std::string>> files;
  std::size_t pos = 0;
  while (pos < reply.size()) {
    std::size_t fence = reply.find("\n```", pos + 1);
    if (fence == std::string_view::npos) break;
    std::size_t lang_end = reply.find('\n', fence + 4);
    if (lang_end == std::string_view::npos) break;
    std::size_t code_end = reply.find("```", lang_end + 1);
    if (code_end == std::string_view::npos) break;
    std::string_view label = reply.substr(pos, fence - pos);
    std::string_view code = reply.substr(lang_end + 1, code_end - lang_end - 1);
    pos = code_end + 3;
    if (code.find("CODE") != std::string_view::npos) continue;
    std::string name = last_file_name(label);
    // ChatDev names any file with a main guard main.py; our phases keep the name given.
    if (code.find("__main__") != std::string_view::npos && (!keep_blank_lines || name.empty())) name = "main.py";
    if (name.empty()) name = file_name_from_code(code);
    std::string formatted;
    for (const auto& line : split_lines(code)) {
      if (!keep_blank_lines && trim_view(line).empty()) continue;
      if (!formatted.empty()) formatted += '\n';
      formatted += line;
    }
    if (trim_view(formatted).empty()) continue;
    auto it = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.first == name; });
    if (it != files.end()) it->second = formatted;
    else files.emplace_back(name, formatted);
  }
  return files;
}

}  // namespace agentco
