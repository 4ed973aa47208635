#include "environment/process_journal.hpp"

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

ProcessResult process_result_from_json(const nlohmann::json& j) {
  ProcessResult r;
  r.exit_code = j.value("exit_code", -1);
  r.signal = j.value("signal", 0);
  r.timed_out = j.value("timed_out", false);
  r.started = j.value("started", false);
  r.stdout_text = j.value("stdout", "");
  r.stderr_text = j.value("stderr", "");
  r.output_truncated = j.value("output_truncated", false);
  r.seconds = j.value("seconds", 0.0);
  r.sandbox = j.value("sandbox", "");
  r.error = j.value("error", "");
  r.too_many_processes = j.value("too_many_processes", false);
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
