#include "replay/recorded_run.hpp"

#include <limits>
#include <map>
#include <optional>

#include "core/json_read.hpp"
#include "environment/process_journal.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

// Reads members as replay needs them. A trace is a file a user can edit or another tool
// wrote: the first member of another type (or a number out of range) is remembered, and the
// record is then refused with its line, instead of json::value() throwing.
class Members {
 public:
  explicit Members(const nlohmann::json& record) : record_(record) {}
  std::string text(const char* key, const std::string& fallback = "") {
    return check(key, "text", read_text(record_, key, fallback), fallback);
  }
  long whole(const char* key, long fallback) {
    constexpr auto kMin = std::numeric_limits<long>::min(), kMax = std::numeric_limits<long>::max();
    return static_cast<long>(check(key, "a whole number", read_integer(record_, key, fallback, kMin, kMax),
                                   static_cast<long long>(fallback)));
  }
  std::uint64_t seq() {
    return static_cast<std::uint64_t>(
        check("seq", "a record number", read_integer(record_, "seq", 0, 0, kMaxSeq), 0LL));
  }
  double number(const char* key, double fallback) {
    return check(key, "a number", read_number(record_, key, fallback), fallback);
  }
  bool flag(const char* key, bool fallback) {
    return check(key, "true or false", read_flag(record_, key, fallback), fallback);
  }
  // "'usage.prompt_tokens' must be a whole number", for the first wrong member; "" when none.
  const std::string& problem() const { return problem_; }
  Members in(const char* key) {
    Members inner(record_.is_object() && record_.contains(key) ? record_[key] : kNull);
    inner.prefix_ = prefix_ + key + ".";
    return inner;
  }
  void adopt(const Members& inner) {
    if (problem_.empty()) problem_ = inner.problem_;
  }
  // A list of tool calls, each {"id", "name", "arguments"} as text; absent: none.
  std::vector<ToolCall> tool_calls(const char* key) {
    std::vector<ToolCall> out;
    if (!record_.is_object() || !record_.contains(key) || record_[key].is_null()) return out;
    const nlohmann::json& list = record_[key];
    if (!list.is_array()) return check<std::vector<ToolCall>>(key, "a list of tool calls", std::nullopt, {});
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string element = std::string(key) + "[" + std::to_string(i) + "]";
      if (!list[i].is_object()) {
        check<int>(element.c_str(), "an object", std::nullopt, 0);
        return out;
      }
      Members call(list[i]);
      call.prefix_ = prefix_ + element + ".";
      out.push_back({call.text("id"), call.text("name"), call.text("arguments")});
      adopt(call);
    }
    return out;
  }

 private:
  static constexpr long long kMaxSeq = std::numeric_limits<long long>::max();
  static inline const nlohmann::json kNull = nullptr;

  template <typename T>
  T check(const char* key, const char* wanted, std::optional<T> value, T fallback) {
    if (value) return *value;
    if (problem_.empty()) problem_ = "'" + prefix_ + key + "' must be " + wanted;
    return fallback;
  }

  const nlohmann::json& record_;
  std::string prefix_;
  std::string problem_;
};

ChatResult result_from(Members& r) {
  ChatResult out;
  out.text = r.text("text");
  out.reasoning = r.text("reasoning");
  out.finish_reason = r.text("finish_reason", "stop");
  out.model = r.text("model");
  out.tool_calls = r.tool_calls("tool_calls");
  Members u = r.in("usage");
  out.usage.prompt_tokens = u.whole("prompt_tokens", 0);
  out.usage.completion_tokens = u.whole("completion_tokens", 0);
  out.usage.estimated = u.flag("estimated", false);
  out.usage.cached_tokens = u.whole("cached_tokens", 0);
  r.adopt(u);
  out.latency_s = r.number("latency_s", 0.0);
  out.first_token_s = r.number("first_token_s", 0.0);
  return out;
}

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
  // Normalized: "." or ".." in what the user typed must not name the folder ("./run.jsonl"
  // has the parent "x/.", and a replay beside "." would land inside the run).
  run.trace_file = fs::absolute(file).lexically_normal();
  run.folder = run.trace_file.parent_path();
  run.warnings = contents->warnings;
  run.valid_bytes = contents->valid_bytes;
  run.record_count = contents->records.size();

  std::map<long, const nlohmann::json*> requests;  // call_id -> llm_request
  std::map<std::pair<std::string, std::string>, std::string> tool_arguments;  // (role, call id) -> arguments
  std::size_t line = 0;
  for (const auto& record : contents->records) {
    ++line;  // records are the trace's lines, in order (a bad line before the last is an error)
    Members m(record);
    const std::string type = m.text("type");
    const std::uint64_t seq = m.seq();
    run.last_seq = seq;
    if (type == "run_start") {
      ++run.run_starts;
      if (run.run_start.is_null()) run.run_start = record;
      else if (run.later_run_start_seq == 0) run.later_run_start_seq = seq;
    } else if (type == "file_write") {
      run.written[m.text("path")].insert(m.text("sha256"));
    } else if (type == "project_renamed") {
      run.renamed = true;
    } else if (type == "run_end") {
      run.run_end = record;
    } else if (type == "llm_request") {
      requests[m.whole("call_id", 0)] = &record;
    } else if (type == "llm_response" || type == "llm_error") {
      RecordedCall call;
      call.seq = seq;
      call.call_id = m.whole("call_id", 0);
      call.role = m.text("role");
      call.action = m.text("action");
      if (auto it = requests.find(call.call_id); it != requests.end()) {
        Members request(*it->second);
        call.request_hash = request.text("request_hash");
        m.adopt(request);
      }
      call.ok = type == "llm_response";
      if (call.ok) call.result = result_from(m);
      else call.error = Error{m.text("code", "llm"), m.text("error")};
      run.events.push_back({RecordedEvent::Kind::call, run.calls.size(), seq});
      run.calls.push_back(std::move(call));
    } else if (type == "mcp_server") {
      m.text("server");
      run.mcp_servers.push_back(record);
    } else if (type == "tool_call") {
      const std::string role = m.text("role");
      const std::string id = m.text("call_id");
      tool_arguments[{role, id}] = m.text("arguments");
    } else if (type == "tool_result") {
      RecordedToolResult result;
      result.seq = seq;
      result.role = m.text("role");
      result.tool = m.text("tool");
      result.server = m.text("server");
      result.text = m.text("text");
      result.is_error = m.flag("is_error", false);
      if (record.contains("structured")) result.structured = record["structured"];
      const std::string id = m.text("call_id");
      if (auto it = tool_arguments.find({result.role, id}); it != tool_arguments.end()) {
        nlohmann::json arguments = nlohmann::json::parse(it->second.empty() ? "{}" : it->second, nullptr, false);
        if (!arguments.is_discarded()) result.arguments = std::move(arguments);
      }
      if (!result.server.empty()) run.tool_results.push_back(std::move(result));
    } else if (type == "process") {
      RecordedProcess process;
      process.seq = seq;
      nlohmann::json argv = record.contains("argv") ? record["argv"] : nlohmann::json::array();
      // Traces written before commands named "python3" hold the interpreter's resolved path
      // (e.g. /usr/bin/python3.11): such a trace still replays on a machine whose Python lives elsewhere.
      if (argv.is_array() && !argv.empty() && argv[0].is_string()) {
        const fs::path program = argv[0].get<std::string>();
        if (program.is_absolute() && program.filename().string().starts_with("python3")) argv[0] = "python3";
      }
      process.key = {{"argv", std::move(argv)}, {"cwd", m.text("cwd")}, {"stdin", m.text("stdin")}};
      nlohmann::json result = record.contains("result") ? record["result"] : nlohmann::json::object();
      process.result = process_result_from_json(result);
      run.events.push_back({RecordedEvent::Kind::process, run.processes.size(), seq});
      run.processes.push_back(std::move(process));
    }
    if (!m.problem().empty())
      return make_error("replay", file.string() + ":" + std::to_string(line) + ": " +
                                      (type.empty() ? std::string("a record") : "the " + type + " record") + ": " +
                                      m.problem());
  }
  if (run.run_start.is_null()) return make_error("replay", file.string() + ": the trace has no run_start record");
  return run;
}

}  // namespace agentco
