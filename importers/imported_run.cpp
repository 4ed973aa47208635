#include "importers/imported_run.hpp"

#include <fstream>

#include <fmt/format.h>

#include "core/text.hpp"

namespace agentco {
namespace fs = std::filesystem;

std::string iso_time(int year, int month, int day, int hour, int minute, int second) {
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60)
    return "";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z", year, month, day, hour, minute, second);
}

ImportedRun::ImportedRun(std::unique_ptr<Workspace> workspace, std::unique_ptr<TraceWriter> trace)
    : workspace_(std::move(workspace)), trace_(std::move(trace)) {}

Result<std::unique_ptr<ImportedRun>> ImportedRun::create(const ImportRequest& request, const std::string& name,
                                                         const std::string& stamp) {
  std::error_code ec;
  fs::path folder;
  if (!request.out.empty()) {
    folder = fs::absolute(request.out);
    if (fs::exists(folder, ec) && !(fs::is_directory(folder, ec) && fs::is_empty(folder, ec)))
      return make_error("import", folder.string() + ": exists and is not an empty folder; choose another --out");
  } else {
    fs::path warehouse = fs::absolute(request.warehouse);
    std::string base = slugify(name) + "_" + stamp;
    folder = warehouse / base;
    for (int i = 2; fs::exists(folder, ec); ++i) folder = warehouse / fmt::format("{}-{}", base, i);
  }
  auto workspace = Workspace::open(folder);
  if (!workspace) return make_error("import", "cannot create " + folder.string() + ": " + workspace.error().message);
  auto trace = TraceWriter::open((*workspace)->root() / "run.jsonl");
  if (!trace) return make_error("import", "cannot write the trace: " + trace.error().message);
  auto run = std::unique_ptr<ImportedRun>(new ImportedRun(std::move(*workspace), std::move(*trace)));
  if (auto w = run->workspace_->write(".gitignore", "run.jsonl\nmeta.json\n__pycache__/\n*.pyc\n"))
    (void)run->workspace_->commit({w->path}, "agentco import", "Import: .gitignore");
  return run;
}

std::uint64_t ImportedRun::append(std::string_view type, nlohmann::json fields, const std::string& at) {
  if (!at.empty()) fields["at"] = at;
  return trace_->append(type, std::move(fields));
}

bool ImportedRun::write_file(const std::string& role, const std::string& path, const std::string& content,
                             const std::string& at) {
  auto written = workspace_->write(path, content);
  if (!written) {
    append("path_refused", {{"role", role}, {"path", path}, {"reason", written.error().message}}, at);
    warn(fmt::format("file '{}' not written: {}", path, written.error().message), at);
    return false;
  }
  append("file_write",
         {{"role", role}, {"path", written->path}, {"sha256", written->sha256}, {"bytes", written->bytes},
          {"content", content}},
         at);
  return true;
}

void ImportedRun::commit(const std::string& role, const std::string& message, const std::vector<std::string>& paths,
                         const std::string& at) {
  if (paths.empty()) return;
  auto id = workspace_->commit(paths, role, message);
  if (!id) {
    warn("git commit failed: " + id.error().message, at);
    return;
  }
  append("commit", {{"role", role}, {"message", message}, {"paths", paths}, {"commit", *id}}, at);
}

void ImportedRun::warn(const std::string& message, const std::string& at) {
  warnings_.push_back(message);
  append("warning", {{"role", "Importer"}, {"message", message}}, at);
}

Status ImportedRun::write_meta(const nlohmann::json& meta) {
  std::ofstream out(root() / "meta.json");
  out << meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (!out) return make_error("import", "cannot write " + (root() / "meta.json").string());
  return ok_status();
}

ImportReport ImportedRun::report() const {
  return ImportReport{root(), warnings_, static_cast<std::size_t>(trace_->last_seq())};
}

}  // namespace agentco
