// `agentco import metagpt <zip|dir>`: a MetaGPT workspace (docs/requirement.txt,
// docs/prd|system_design|task/<stamp>.json, resources/, the sources in <name>/) as an
// agentco run: the documents become the messages of MetaGPT's roles (Alice the product
// manager, Bob the architect, Eve the project manager, Alex the engineer), every file a
// file_write, one commit per step. A workspace records no model calls: the import says so.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "core/text.hpp"
#include "environment/existing_project.hpp"
#include "importers/imported_run.hpp"
#include "importers/importer.hpp"
#include "trace/trace.hpp"

extern char** environ;

namespace agentco {
namespace fs = std::filesystem;

namespace {

// Runs a program (found on PATH) and waits; returns its exit status, -1 when it cannot start.
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A temporary folder removed when this goes out of scope.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "agentco_import_XXXXXX").string();
    if (char* made = ::mkdtemp(templ.data())) path = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

std::string iso_of_stamp(const std::string& stamp) {
  if (stamp.size() < 14) return "";
  auto n = [&](std::size_t at, std::size_t len) { return std::atoi(stamp.substr(at, len).c_str()); };
  return iso_time(n(0, 4), n(4, 2), n(6, 2), n(8, 2), n(10, 2), n(12, 2));
}

std::string iso_of_mtime(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  if (ec) return "";
  auto sys = std::chrono::file_clock::to_sys(t);
  std::time_t tt = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::system_clock::duration>(sys));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return iso_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// The ISO time one day after `iso` (same format), "" when it does not parse.
std::string day_after(const std::string& iso) {
  std::tm tm{};
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return "";
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm) + 86400;
  gmtime_r(&t, &tm);
  return iso_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// The newest "<stamp>.json" of docs/<kind>/, or "".
std::string newest_stamp(const fs::path& folder) {
  std::error_code ec;
  std::string best;
  if (!fs::is_directory(folder, ec)) return best;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (e.path().extension() == ".json") best = std::max(best, e.path().stem().string());
  return best;
}

long non_blank_lines(const std::string& text) {
  long lines = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.find_first_not_of(" \t\r", start) < end) ++lines;
    start = end + 1;
  }
  return lines;
}

struct Step {
  std::string role, profile, action, doc_kind, next_role;
};

}  // namespace

Result<ImportReport> import_metagpt(const ImportRequest& request) {
  std::error_code ec;
  TempDir temp;
  fs::path root = request.source;
  std::string format = "folder";
  if (fs::is_regular_file(root, ec)) {
    if (root.extension() != ".zip")
      return make_error("import", root.string() + ": expected a MetaGPT workspace folder or a .zip of one");
    if (temp.path.empty()) return make_error("import", "cannot create a temporary folder");
    if (auto status = check_zip_limits(root, request.limits); !status) return status.error();
    int rc = run_program({"unzip", "-q", "-o", root.string(), "-d", temp.path.string()});
    if (rc == -1) return make_error("import", "cannot run 'unzip' (install the Debian package unzip)");
    if (rc != 0) return make_error("import", fmt::format("{}: unzip failed (exit {})", root.string(), rc));
    // The listing could lie about sizes: what was unpacked is checked again before it is read.
    if (auto status = check_tree_limits(temp.path, request.limits); !status) return status.error();
    format = "zip";
    // A zip of one folder: that folder is the workspace.
    std::vector<fs::path> top;
    for (const auto& e : fs::directory_iterator(temp.path, ec)) top.push_back(e.path());
    root = top.size() == 1 && fs::is_directory(top.front(), ec) ? top.front() : temp.path;
  }
  auto project = read_existing_project(root);
  if (!project) return make_error("import", request.source.string() + ": " + project.error().message);
  if (project->layout != "metagpt")
    return make_error("import", request.source.string() + ": not a MetaGPT workspace (no docs/prd/*.json)");

  const std::string name = root.filename().string();
  const std::string prd_stamp = newest_stamp(root / "docs" / "prd");
  const std::string stamp = prd_stamp.size() >= 14 ? prd_stamp.substr(0, 8) + "_" + prd_stamp.substr(8, 6)
                                                   : folder_timestamp_now();
  auto created = ImportedRun::create(request, name, stamp);
  if (!created) return created.error();
  ImportedRun& run = **created;

  std::string requirement = project->requirement;
  while (!requirement.empty() && (requirement.back() == '\n' || requirement.back() == ' ')) requirement.pop_back();
  const fs::path req_file = root / "docs" / "requirement.txt";
  std::string started_at = iso_of_stamp(prd_stamp);
  if (std::string m = iso_of_mtime(req_file); !m.empty() && (started_at.empty() || (m < started_at && day_after(m) >= started_at)))
    started_at = m;
  nlohmann::json imported_from = {{"tool", "metagpt"},
                                  {"path", fs::absolute(request.source).string()},
                                  {"format", format},
                                  {"version", ""},
                                  {"stamp", prd_stamp},
                                  {"model", ""},
                                  {"source_root", project->source_root}};
  run.append("run_start",
             {{"schema_version", kTraceSchemaVersion},
              {"agentco_version", AGENTCO_VERSION},
              {"idea", requirement},
              {"name", name},
              {"started_at", started_at},
              {"folder_stamp", stamp},
              {"config", nullptr},
              {"provider", "metagpt"},
              {"sop", {{"name", "metagpt"}, {"source", "MetaGPT software company"}, {"text", ""}}},
              {"prompts", nlohmann::json::object()},
              {"roles",
               {{"Alice", "Product Manager"}, {"Bob", "Architect"}, {"Eve", "Project Manager"}, {"Alex", "Engineer"}}},
              {"imported_from", imported_from}},
             started_at);
  run.warn("a MetaGPT workspace records no model calls: calls, tokens, cost and latency are unknown (0)", started_at);
  run.warn("a MetaGPT workspace records no test runs: executability unknown", started_at);
  run.warn("a MetaGPT workspace records no event times: they come from document names and file dates", started_at);

  // Every file of the workspace, grouped by the step that wrote it.
  std::map<std::string, std::vector<fs::path>> by_step;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string fname = it->path().filename().string();
    if (it->is_directory() && (fname == "__pycache__" || fname == ".git" || fname == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->path().extension() == ".pyc") continue;
    std::string rel = fs::relative(it->path(), root, ec).generic_string();
    std::string step = "WriteCode";
    if (rel == "docs/requirement.txt") step = "UserRequirement";
    else if (rel.starts_with("docs/prd/") || rel.starts_with("resources/prd/") ||
             rel.starts_with("resources/competitive_analysis/"))
      step = "WritePRD";
    else if (rel.starts_with("docs/system_design/") || rel.starts_with("resources/system_design/") ||
             rel.starts_with("resources/data_api_design/") || rel.starts_with("resources/seq_flow/"))
      step = "WriteDesign";
    else if (rel.starts_with("docs/task/") || rel.starts_with("resources/api_spec_and_task/"))
      step = "WriteTasks";
    by_step[step].push_back(it->path());
  }

  const std::vector<Step> steps = {{"User", "Human", "UserRequirement", "", "Alice"},
                                   {"Alice", "Product Manager", "WritePRD", "prd", "Bob"},
                                   {"Bob", "Architect", "WriteDesign", "system_design", "Eve"},
                                   {"Eve", "Project Manager", "WriteTasks", "task", "Alex"},
                                   {"Alex", "Engineer", "WriteCode", "", ""}};
  long messages = 0;
  std::string last_at = started_at;
  std::string trigger;
  long files = 0;
  for (const auto& step : steps) {
    auto& paths = by_step[step.action];
    std::sort(paths.begin(), paths.end());
    // A workspace keeps no event times: documents are named by the run's stamp, and file
    // dates are trusted only within a day after it (zips are often re-saved later).
    std::string at = step.doc_kind.empty() ? "" : iso_of_stamp(newest_stamp(root / "docs" / step.doc_kind));
    if (at.empty()) at = last_at;
    std::string step_end = at;
    for (const auto& p : paths) {
      std::string m = iso_of_mtime(p);
      if (m > step_end && m <= day_after(at)) step_end = m;
    }
    if (paths.empty() && step.action != "UserRequirement") {
      run.warn(fmt::format("the workspace has nothing from {} ({})", step.profile, step.action), at);
      continue;
    }
    if (step.role != "User") run.append("action_start", {{"role", step.role}, {"action", step.action}, {"trigger", trigger}}, at);
    std::vector<std::string> written;
    for (const auto& p : paths) {
      std::string text;
      read_file(p.string(), text);
      std::string rel = fs::relative(p, root, ec).generic_string();
      if (run.write_file(step.role, rel, text, step_end)) {
        written.push_back(rel);
        ++files;
      }
    }
    run.commit(step.role, fmt::format("{}: {} files", step.action, written.size()), written, step_end);
    // The step's document is the message MetaGPT's next role watched.
    std::string content;
    nlohmann::json payload = nullptr;
    if (step.action == "UserRequirement") content = requirement;
    else if (step.action == "WritePRD") payload = project->prd;
    else if (step.action == "WriteDesign") payload = project->system_design;
    else if (step.action == "WriteTasks") payload = project->tasks;
    else content = fmt::format("{} source files written", written.size());
    if (!payload.is_null() && content.empty()) content = payload.dump(2);
    std::vector<std::string> to;
    if (!step.next_role.empty()) to.push_back(step.next_role);
    std::string id = fmt::format("metagpt-msg-{}", ++messages);
    run.append("message",
               {{"id", id}, {"msg_seq", messages}, {"content", content}, {"payload", payload}, {"role", step.profile},
                {"cause_by", step.action}, {"sent_from", step.role}, {"send_to", to}, {"timestamp", step_end},
                {"recipients", to}},
               step_end);
    trigger = id;
    if (step.role != "User") run.append("action_end", {{"role", step.role}, {"action", step.action}, {"ok", true}}, step_end);
    last_at = std::max(last_at, step_end);
  }

  long lines_of_code = 0;
  for (const auto& [path, text] : project->code)
    if (!path.starts_with("tests/")) lines_of_code += non_blank_lines(text);
  double start_s = 0, end_s = 0;
  {
    std::tm a{}, b{};
    if (std::sscanf(started_at.c_str(), "%d-%d-%dT%d:%d:%d", &a.tm_year, &a.tm_mon, &a.tm_mday, &a.tm_hour, &a.tm_min,
                    &a.tm_sec) == 6 &&
        std::sscanf(last_at.c_str(), "%d-%d-%dT%d:%d:%d", &b.tm_year, &b.tm_mon, &b.tm_mday, &b.tm_hour, &b.tm_min,
                    &b.tm_sec) == 6) {
      a.tm_year -= 1900, b.tm_year -= 1900, a.tm_mon -= 1, b.tm_mon -= 1;
      start_s = static_cast<double>(timegm(&a));
      end_s = static_cast<double>(timegm(&b));
    }
  }
  double duration = std::max(0.0, end_s - start_s);
  run.append("imported_summary",
             {{"tool", "metagpt"},
              {"source", "workspace files"},
              {"software_info", nlohmann::json::object()},
              {"reconstructed",
               {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"cost_usd", 0}, {"code_lines", lines_of_code}, {"calls", 0}}}},
             last_at);
  run.append("run_end",
             {{"reason", "idle"},
              {"detail", "imported MetaGPT workspace"},
              {"duration_s", duration},
              {"total",
               {{"calls", 0}, {"prompt_tokens", 0}, {"completion_tokens", 0}, {"cost_usd", 0}, {"model_seconds", 0},
                {"estimated", true}}}},
             last_at);
  nlohmann::json meta = {{"idea", requirement},
                         {"name", name},
                         {"sop", "metagpt"},
                         {"started_at", started_at},
                         {"ended_at", last_at},
                         {"duration_s", duration},
                         {"outcome", {{"status", "finished"}, {"reason", "idle"}}},
                         {"files", files},
                         {"lines_of_code", lines_of_code},
                         {"verdict", {{"decision", "not_run"}}},
                         {"imported_from", imported_from}};
  if (auto status = run.write_meta(meta); !status) return status.error();
  return run.report();
}

}  // namespace agentco
