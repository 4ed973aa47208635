#include "replay/recorded_run.hpp"

#include <map>

#include "environment/process_journal.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

ChatResult result_from(const nlohmann::json& r) {
  ChatResult out;
  out.text = r.value("text", "");
  out.reasoning = r.value("reasoning", "");
  out.finish_reason = r.value("finish_reason", "stop");
  out.model = r.value("model", "");
  if (r.contains("usage") && r["usage"].is_object()) {
    const auto& u = r["usage"];
    out.usage.prompt_tokens = u.value("prompt_tokens", 0L);
    out.usage.completion_tokens = u.value("completion_tokens", 0L);
    out.usage.estimated = u.value("estimated", false);
    out.usage.cached_tokens = u.value("cached_tokens", 0L);
  }
  out.latency_s = r.value("latency_s", 0.0);
  out.first_token_s = r.value("first_token_s", 0.0);
  return out;
}

void absorb_record(RecordedRun& run, std::map<long, const nlohmann::json*>& requests, const nlohmann::json& record);

}  // namespace

Result<RecordedRun> read_recorded_run(const fs::path& dir_or_trace) {
  std::error_code ec;
  fs::path file = fs::is_directory(dir_or_trace, ec) ? dir_or_trace / "run.jsonl" : dir_or_trace;
  if (!fs::exists(file, ec)) {
    return make_error("replay", file.string() + ": no such trace (give a project folder holding run.jsonl, or the file)");
  }
  auto contents = read_trace(file);
  if (!contents) return contents.error();

  RecordedRun run;
  run.trace_file = fs::absolute(file);
  run.folder = run.trace_file.parent_path();
  run.warnings = contents->warnings;
  run.valid_bytes = contents->valid_bytes;
  run.record_count = contents->records.size();

  std::map<long, const nlohmann::json*> requests;  // call_id -> llm_request
  for (const auto& record : contents->records) {
    // A record whose checksum holds can still carry a field of the wrong type (written by
    // hand, or by another tool): say which record instead of failing somewhere later.
    try {
      absorb_record(run, requests, record);
    } catch (const nlohmann::json::exception& e) {
      return make_error("replay", file.string() + ": record seq " + record["seq"].dump() + " (" +
                                      record.value("type", std::string("?")) + "): a field has the wrong type: " + e.what());
    }
  }
  if (run.run_start.is_null()) return make_error("replay", file.string() + ": the trace has no run_start record");
  return run;
}

namespace {

void absorb_record(RecordedRun& run, std::map<long, const nlohmann::json*>& requests, const nlohmann::json& record) {
  {
    const std::string type = record.value("type", "");
    const std::uint64_t seq = record.value("seq", std::uint64_t{0});
    run.last_seq = seq;
    if (type == "run_start") {
      ++run.run_starts;
      if (run.run_start.is_null()) run.run_start = record;
      else if (run.later_run_start_seq == 0) run.later_run_start_seq = seq;
    } else if (type == "file_write") {
      run.written[record.value("path", "")].insert(record.value("sha256", ""));
    } else if (type == "project_renamed") {
      run.renamed = true;
    } else if (type == "run_end") {
      run.run_end = record;
    } else if (type == "llm_request") {
      requests[record.value("call_id", 0L)] = &record;
    } else if (type == "llm_response" || type == "llm_error") {
      RecordedCall call;
      call.seq = seq;
      call.call_id = record.value("call_id", 0L);
      call.role = record.value("role", "");
      call.action = record.value("action", "");
      if (auto it = requests.find(call.call_id); it != requests.end()) {
        call.request_hash = it->second->value("request_hash", "");
      }
      call.ok = type == "llm_response";
      if (call.ok) call.result = result_from(record);
      else call.error = Error{record.value("code", "llm"), record.value("error", "")};
      run.events.push_back({RecordedEvent::Kind::call, run.calls.size(), seq});
      run.calls.push_back(std::move(call));
    } else if (type == "process") {
      RecordedProcess process;
      process.seq = seq;
      nlohmann::json argv = record.contains("argv") ? record["argv"] : nlohmann::json::array();
      // Traces written before commands named "python3" hold the interpreter's resolved path
      // (e.g. /usr/bin/python3.11): such a trace still replays on a machine whose Python lives elsewhere.
      if (!argv.empty() && argv[0].is_string()) {
        const fs::path program = argv[0].get<std::string>();
        if (program.is_absolute() && program.filename().string().starts_with("python3")) argv[0] = "python3";
      }
      process.key = {{"argv", std::move(argv)}, {"cwd", record.value("cwd", "")}, {"stdin", record.value("stdin", "")}};
      nlohmann::json result = record.contains("result") ? record["result"] : nlohmann::json::object();
      process.result = process_result_from_json(result);
      run.events.push_back({RecordedEvent::Kind::process, run.processes.size(), seq});
      run.processes.push_back(std::move(process));
    }
  }
}

}  // namespace

}  // namespace agentco
