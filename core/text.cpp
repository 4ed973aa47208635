#include "core/text.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
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

std::string render_template(std::string_view templ,
                            const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  out.reserve(templ.size() + 256);
  std::size_t pos = 0;
  while (pos < templ.size()) {
    auto open = templ.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = templ.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(templ.substr(pos, open - pos));
    std::string_view name = templ.substr(open + 2, close - open - 2);
    bool found = false;
    for (const auto& [key, value] : vars) {
      if (key == name) {
        out.append(value);
        found = true;
        break;
      }
    }
    if (!found) out.append(templ.substr(open, close + 2 - open));
    pos = close + 2;
  }
  out.append(templ.substr(pos));
  return out;
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

}  // namespace agentco
