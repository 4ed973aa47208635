#include "environment/path_guard.hpp"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/utf8.hpp"

namespace agentco {
namespace {

constexpr std::size_t kMaxComponentBytes = 255;
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxShownBytes = 120;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// The value as it can be shown in a message: control bytes escaped, very long values cut
// (on a UTF-8 boundary) so that one refusal does not flood the log or the model's context.
std::string shown(std::string_view value) {
  std::string out;
  const std::size_t limit = cut_utf8(value, kMaxShownBytes).size();
  for (std::size_t i = 0; i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (limit < value.size()) out += "...";
  return out;
}

Error refuse(std::string_view proposed, std::string_view reason) {
  return make_error("path", "refused path \"" + shown(proposed) + "\": " + std::string(reason));
}

// Windows treats these names as devices whatever the extension ("con.txt", "LPT1.log"), and
// also with trailing spaces before the dot; a project written here may be opened there.
bool is_windows_device_name(std::string_view component) {
  std::string_view stem = component.substr(0, component.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.remove_suffix(1);
  static constexpr std::array<std::string_view, 4> kPlain = {"con", "prn", "aux", "nul"};
  for (auto name : kPlain) {
    if (iequals(stem, name)) return true;
  }
  if (stem.size() == 4 && (iequals(stem.substr(0, 3), "com") || iequals(stem.substr(0, 3), "lpt")) &&
      stem[3] >= '1' && stem[3] <= '9') {
    return true;
  }
  return false;
}

}  // namespace

Result<std::string> safe_project_path(const std::filesystem::path& root, std::string_view proposed) {
  if (proposed.empty()) return refuse(proposed, "the name is empty");
  if (proposed.size() > kMaxPathBytes) {
    return refuse(proposed, "the path is longer than " + std::to_string(kMaxPathBytes) + " bytes");
  }
  for (unsigned char c : proposed) {
    if (c == 0) return refuse(proposed, "it contains a NUL byte");
    if (c < 0x20 || c == 0x7f) return refuse(proposed, "it contains a control character");
    if (c == '\\') return refuse(proposed, "it contains a backslash (use '/' between folders)");
  }
  if (proposed.front() == '/') return refuse(proposed, "absolute paths are not allowed");

  std::vector<std::string_view> components;
  std::size_t start = 0;
  while (start <= proposed.size()) {
    std::size_t slash = proposed.find('/', start);
    if (slash == std::string_view::npos) slash = proposed.size();
    std::string_view component = proposed.substr(start, slash - start);
    start = slash + 1;
    if (component.empty() || component == ".") continue;
    if (component == "..") return refuse(proposed, "\"..\" is not allowed");
    if (components.empty() && component.front() == '~') {
      return refuse(proposed, "\"~\" (a home folder) is not allowed");
    }
    if (component.size() > kMaxComponentBytes) {
      return refuse(proposed, "a name is longer than " + std::to_string(kMaxComponentBytes) + " bytes");
    }
    if (is_windows_device_name(component)) {
      return refuse(proposed, "\"" + shown(component) + "\" is a reserved Windows device name");
    }
    if (iequals(component, ".git")) return refuse(proposed, "files inside .git are not allowed");
    components.push_back(component);
  }
  if (components.empty()) return refuse(proposed, "the name is empty");
  if (components.size() == 1 &&
      (iequals(components[0], "run.jsonl") || iequals(components[0], "meta.json"))) {
    return refuse(proposed, "\"" + std::string(components[0]) + "\" is one of the run's own files");
  }

  std::string normalized;
  for (auto component : components) {
    if (!normalized.empty()) normalized.push_back('/');
    normalized.append(component);
  }

  // The part that already exists must be plain folders (and a plain file at the end): a link
  // could point anywhere. Writers re-check with O_NOFOLLOW, since this is only a snapshot.
  std::filesystem::path current = root;
  std::string prefix;
  for (auto component : components) {
    current /= std::string(component);
    if (!prefix.empty()) prefix.push_back('/');
    prefix.append(component);
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) break;
      return refuse(proposed, std::string("cannot inspect it: ") + std::strerror(errno));
    }
    if (S_ISLNK(info.st_mode)) {
      return refuse(proposed, "it passes through a symbolic link (\"" + shown(prefix) + "\")");
    }
  }
  return normalized;
}

}  // namespace agentco
