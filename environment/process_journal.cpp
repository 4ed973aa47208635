#include "environment/process_journal.hpp"

#include <limits>

#include "core/json_read.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

ProcessJournal* g_journal = nullptr;

std::string relative_to_project(std::string text, const std::string& root) {
  if (root.empty()) return text;
  for (std::size_t at = text.find(root); at != std::string::npos; at = text.find(root, at + 8))
    text.replace(at, root.size(), "$PROJECT");
  return text;
}

}  // namespace

void set_process_journal(ProcessJournal* journal) { g_journal = journal; }
ProcessJournal* process_journal() { return g_journal; }

nlohmann::json process_key(const ProcessSpec& spec, const std::string& project_root) {
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& arg : spec.argv) argv.push_back(relative_to_project(arg, project_root));
  return {{"argv", argv}, {"cwd", relative_to_project(spec.cwd, project_root)}, {"stdin", spec.stdin_text}};
}

nlohmann::json process_result_to_json(const ProcessResult& r) {
  return {{"exit_code", r.exit_code},   {"signal", r.signal},       {"timed_out", r.timed_out},
          {"started", r.started},       {"stdout", r.stdout_text},  {"stderr", r.stderr_text},
          {"output_truncated", r.output_truncated}, {"seconds", r.seconds}, {"sandbox", r.sandbox},
          {"error", r.error},           {"too_many_processes", r.too_many_processes}};
}

// A recorded result comes from a trace, a file a user can edit: a member of another type
// reads as its default, never as an exception or an out-of-range conversion.
ProcessResult process_result_from_json(const nlohmann::json& j) {
  constexpr long long kIntMin = std::numeric_limits<int>::min(), kIntMax = std::numeric_limits<int>::max();
  ProcessResult r;
  r.exit_code = static_cast<int>(read_integer(j, "exit_code", -1, kIntMin, kIntMax).value_or(-1));
  r.signal = static_cast<int>(read_integer(j, "signal", 0, kIntMin, kIntMax).value_or(0));
  r.timed_out = read_flag(j, "timed_out", false).value_or(false);
  r.started = read_flag(j, "started", false).value_or(false);
  r.stdout_text = read_text(j, "stdout", "").value_or("");
  r.stderr_text = read_text(j, "stderr", "").value_or("");
  r.output_truncated = read_flag(j, "output_truncated", false).value_or(false);
  r.seconds = read_number(j, "seconds", 0.0).value_or(0.0);
  r.sandbox = read_text(j, "sandbox", "").value_or("");
  r.error = read_text(j, "error", "").value_or("");
  r.too_many_processes = read_flag(j, "too_many_processes", false).value_or(false);
  return r;
}

TraceProcessJournal::TraceProcessJournal(TraceWriter& trace, std::function<std::string()> project_root,
                                         Recall recall_from)
    : trace_(trace), project_root_(std::move(project_root)), recall_from_(std::move(recall_from)) {}

boost::asio::awaitable<std::optional<ProcessResult>> TraceProcessJournal::recall(const ProcessSpec& spec) {
  if (!recall_from_) co_return std::nullopt;
  nlohmann::json key = process_key(spec, project_root_());
  co_return co_await recall_from_(key);
}

void TraceProcessJournal::record(const ProcessSpec& spec, const ProcessResult& result, bool recalled) {
  nlohmann::json fields = process_key(spec, project_root_());
  fields["result"] = process_result_to_json(result);
  if (recalled) fields["replayed"] = true;
  trace_.append("process", std::move(fields));
}

}  // namespace agentco
