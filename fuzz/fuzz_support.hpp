// Helpers shared by the fuzz targets: quiet logging, a private scratch folder, byte views.
// A target treats any escaping exception, abort or sanitizer report as a bug in the parser:
// untrusted input must end in a value (a parsed result or a clear Error), never in a crash.
#pragma once
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace agentco::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Silences spdlog once (parsers warn about repaired input; a fuzzer calls them millions of times).
inline void quiet() {
  static const bool done = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)done;
}

// A folder private to this process, created once, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "agentco_fuzz_XXXXXX").string();
    if (!::mkdtemp(templ.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return std::filesystem::path(templ);
  }();
  return dir;
}

inline void write_bytes(const std::filesystem::path& file, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Splits the input at a separator line ("\n=====\n" by default) into at most `max_parts` parts.
inline std::vector<std::string_view> split_parts(std::string_view text, std::size_t max_parts,
                                                 std::string_view separator = "\n=====\n") {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = text.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.push_back(text);
  return parts;
}

// Stops the run with a message (libFuzzer and the smoke driver both report the abort).
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz target invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace agentco::fuzz
