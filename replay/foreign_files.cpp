#include "replay/foreign_files.hpp"

#include "core/hash.hpp"
#include "core/text.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

std::string content_hash(const fs::path& file) {
  std::string bytes;
  (void)read_file(file.string(), bytes);  // unreadable: hashes as empty, so it never matches the run's
  return sha256_hex(bytes);
}

bool is_runs_own(const fs::path& relative) {
  const std::string first = relative.begin()->string();
  return first == ".git" || relative == "run.jsonl" || relative == "meta.json";
}

}  // namespace

Result<ForeignFiles> keep_foreign_files(const fs::path& from, const fs::path& into, const RecordedRun& run) {
  ForeignFiles out;
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (fs::recursive_directory_iterator it(from, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path relative = it->path().lexically_relative(from);
    if (is_runs_own(relative)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec) || it->is_regular_file(ec)) candidates.push_back(relative);
  }
  if (ec) return make_error("resume", from.string() + ": cannot list the folder: " + ec.message());

  for (const fs::path& relative : candidates) {
    const fs::path source = from / relative;
    const fs::path target = into / relative;
    const bool link = fs::is_symlink(source, ec);
    const std::string hash = link ? std::string() : content_hash(source);
    if (!link) {
      if (auto it = run.written.find(relative.generic_string()); it != run.written.end() && it->second.count(hash)) continue;
    }
    if (fs::exists(fs::symlink_status(target, ec))) {
      if (!link && fs::is_regular_file(fs::symlink_status(target, ec)) && content_hash(target) == hash) continue;
      out.conflicts.push_back(relative.generic_string());
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (!ec) fs::rename(source, target, ec);
    if (ec) {
      return make_error("resume", "cannot move " + source.string() + " to " + target.string() + ": " + ec.message());
    }
    out.moved.push_back(relative.generic_string());
  }
  return out;
}

std::string list_for_message(const std::vector<std::string>& names, std::size_t shown) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

}  // namespace agentco
