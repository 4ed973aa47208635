// Fuzz target: a MetaGPT workspace folder through `agentco import metagpt DIR`. The input is
// cut into files at lines "=====" (at most 8): each part may start with "#file REL/PATH\n" to
// name its file, else parts are, in order, docs/requirement.txt, docs/prd/<stamp>.json,
// docs/system_design/<stamp>.json, docs/task/<stamp>.json, game/main.py, game/utils.py, ...
// The folder is written in a private temporary folder and imported into it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "importers/importer.hpp"

namespace {

// A relative path that stays inside the workspace, or "" to use the default name.
std::string safe_relative(std::string_view name) {
  std::filesystem::path p{std::string(name)};
  if (name.empty() || name.size() > 120 || p.is_absolute()) return "";
  for (const auto& part : p)
    if (part == ".." || part == "." || part.empty()) return "";
  if (name.find('\0') != std::string_view::npos) return "";
  return std::string(name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  namespace fs = std::filesystem;
  fuzz::quiet();
  static const char* kDefaults[] = {"docs/requirement.txt",
                                    "docs/prd/20240102030405.json",
                                    "docs/system_design/20240102030405.json",
                                    "docs/task/20240102030405.json",
                                    "game/main.py",
                                    "game/utils.py",
                                    "resources/prd/20240102030405.md",
                                    "requirements.txt"};
  const fs::path work = fuzz::scratch_dir() / "metagpt";
  std::error_code ec;
  fs::remove_all(work, ec);
  const fs::path workspace = work / "game";
  fs::create_directories(workspace, ec);

  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 8);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view body = parts[i];
    std::string name;
    if (body.starts_with("#file ")) {
      auto end = body.find('\n');
      name = safe_relative(body.substr(6, end == std::string_view::npos ? std::string_view::npos : end - 6));
      body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    }
    if (name.empty()) name = kDefaults[i];
    const fs::path file = workspace / name;
    if (fs::is_directory(file, ec)) continue;  // a name that is already a folder
    fs::create_directories(file.parent_path(), ec);
    if (ec || !fs::is_directory(file.parent_path(), ec)) continue;  // a folder name that is already a file
    fuzz::write_bytes(file, body);
  }

  ImportRequest request{"metagpt", workspace, work / "out", work / "warehouse"};
  Result<ImportReport> report = import_run(request);
  if (!report && report.error().message.empty()) fuzz::fail("a refused workspace without a message");
  return 0;
}
