#include "stats/run_stats.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "stats/prefix_share.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.mmm][Z]"; NaN when it does not parse.
double parse_iso_time(const std::string& text) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  double second = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lf", &year, &month, &day, &hour, &minute, &second) != 6)
    return std::nan("");
  // Out-of-range fields (an edited trace) are no time; they would also overflow `year - 1900`.
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 24 ||
      minute < 0 || minute > 59 || !(second >= 0 && second < 61))
    return std::nan("");
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  return static_cast<double>(timegm(&tm)) + second;
}

// Imported records carry the source tool's own time in "at"; ours only "ts".
double record_time(const nlohmann::json& record) {
  if (auto at = record.find("at"); at != record.end() && at->is_string()) return parse_iso_time(at->get<std::string>());
  if (auto ts = record.find("ts"); ts != record.end() && ts->is_string()) return parse_iso_time(ts->get<std::string>());
  return std::nan("");
}

std::string str(const nlohmann::json& record, const char* key) {
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double num(const nlohmann::json& record, const char* key) {
  auto it = record.find(key);
  return it != record.end() && it->is_number() ? it->get<double>() : 0.0;
}

// A count or round number: clamped to +-10^12 so that the conversion is defined whatever the
// (editable, imported) trace says.
long whole(const nlohmann::json& record, const char* key) {
  return static_cast<long>(std::clamp(num(record, key), -1e12, 1e12));
}

bool flag(const nlohmann::json& record, const char* key, bool fallback) {
  auto it = record.find(key);
  return it != record.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

long non_blank_lines(const std::string& text) {
  long lines = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r\f\v") != std::string::npos) ++lines;
  }
  return lines;
}

const std::set<std::string> kSourceExtensions{".py", ".js", ".mjs", ".ts", ".cpp", ".cc", ".hpp", ".h", ".c",
                                              ".go", ".rs", ".java", ".html", ".css"};

struct RoleAccumulator {
  RoleStats stats;
  std::vector<double> latencies;
  std::set<long> test_rounds;
  int depth = 0;
  double started = 0;
};

class Accumulator {
 public:
  RoleAccumulator& role(const std::string& name) {
    auto it = index_.find(name);
    if (it != index_.end()) return roles_[it->second];
    index_[name] = roles_.size();
    roles_.push_back(RoleAccumulator{});
    roles_.back().stats.role = name;
    return roles_.back();
  }
  std::vector<RoleAccumulator>& all() { return roles_; }

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<RoleAccumulator> roles_;
};

std::vector<std::string> recipients_of(const nlohmann::json& record) {
  std::vector<std::string> out;
  for (const char* key : {"recipients", "send_to"}) {
    auto it = record.find(key);
    if (it == record.end()) continue;
    if (it->is_array()) {
      for (const auto& r : *it)
        if (r.is_string()) out.push_back(r.get<std::string>());
    } else if (it->is_string() && !it->get<std::string>().empty()) {
      out.push_back(it->get<std::string>());
    }
    if (!out.empty()) break;
  }
  return out;
}

std::string verdict_of(const nlohmann::json& meta, const std::map<long, bool>& round_failed) {
  if (meta.is_object()) {
    auto v = meta.find("verdict");
    if (v != meta.end()) {
      if (v->is_string()) return v->get<std::string>();
      if (v->is_object()) {
        std::string decision = str(*v, "decision");
        if (decision == "passed" || decision == "failed" || decision == "not_run") return decision;
        if (v->contains("tests_failed")) {
          long failed = whole(*v, "tests_failed");
          auto prog = v->find("program");
          bool program = prog == v->end() || !prog->is_object() || flag(*prog, "started", true);
          if (!decision.empty() && decision != "passed") return failed > 0 || !program ? "failed" : decision;
          return failed > 0 || !program ? "failed" : "passed";
        }
        if (!decision.empty()) return decision;
      }
    }
  }
  if (round_failed.empty()) return "";
  return round_failed.rbegin()->second ? "failed" : "passed";
}

}  // namespace

RunStats compute_run_stats(const std::vector<nlohmann::json>& records, const nlohmann::json& meta) {
  RunStats run;
  run.source = "agentco";
  run.outcome = "unfinished";
  Accumulator roles;
  std::set<std::string> code_extensions = kSourceExtensions;
  bool imported = false;
  std::map<std::string, std::string> final_content;  // path -> last content written
  std::map<long, bool> round_failed;                  // test round -> any execution failed
  double first = std::nan(""), last = std::nan(""), duration = -1;
  std::vector<std::pair<double, double>> intervals;  // every role's working intervals
  PrefixShareCounter prefixes;                        // over every request of the run, in trace order

  for (const auto& record : records) {
    const std::string type = str(record, "type");
    const double t = record_time(record);
    if (!std::isnan(t)) {
      if (std::isnan(first) || t < first) first = t;
      if (std::isnan(last) || t > last) last = t;
    }
    const std::string role_name = str(record, "role");
    if (type == "run_start") {
      run.idea = str(record, "idea");
      run.started_at = str(record, "started_at");
      if (auto from = record.find("imported_from"); from != record.end() && from->is_object()) {
        imported = true;
        run.source = from->contains("tool") ? str(*from, "tool") : "imported";
        if (auto ext = from->find("code_extensions"); ext != from->end() && ext->is_array()) {
          code_extensions.clear();
          for (const auto& e : *ext)
            if (e.is_string()) code_extensions.insert(e.get<std::string>());
        }
      }
    } else if (type == "run_end") {
      run.outcome = str(record, "reason");
      if (record.contains("duration_s") && record["duration_s"].is_number()) duration = num(record, "duration_s");
    } else if (type == "llm_request") {
      if (role_name.empty()) continue;
      auto& r = roles.role(role_name);
      ++r.stats.calls;
      if (auto request = record.find("request"); request != record.end() && request->is_object()) {
        if (auto messages = request->find("messages"); messages != request->end()) {
          const auto figures = prefixes.add(*messages);
          r.stats.request_tokens += figures.prompt_tokens;
          r.stats.prefix_tokens += figures.prefix_tokens;
        }
      }
    } else if (type == "llm_response") {
      if (role_name.empty()) continue;
      auto& r = roles.role(role_name);
      if (auto usage = record.find("usage"); usage != record.end() && usage->is_object()) {
        r.stats.prompt_tokens += whole(*usage, "prompt_tokens");
        r.stats.completion_tokens += whole(*usage, "completion_tokens");
        r.stats.cached_tokens += whole(*usage, "cached_tokens");
      }
      r.stats.cost_usd += num(record, "cost_usd");
      if (auto lat = record.find("latency_s"); lat != record.end() && lat->is_number())
        r.latencies.push_back(lat->get<double>());
    } else if (type == "llm_error") {
      if (!role_name.empty()) ++roles.role(role_name).stats.failed_calls;
    } else if (type == "action_start") {
      if (role_name.empty() || std::isnan(t)) continue;
      auto& r = roles.role(role_name);
      if (r.depth++ == 0) r.started = t;
    } else if (type == "action_end") {
      if (role_name.empty() || std::isnan(t)) continue;
      auto& r = roles.role(role_name);
      if (r.depth > 0 && --r.depth == 0) {
        r.stats.working_s += std::max(0.0, t - r.started);
        intervals.emplace_back(r.started, t);
      }
    } else if (type == "message") {
      std::string from = str(record, "sent_from");
      if (from.empty()) from = role_name;
      if (!from.empty()) ++roles.role(from).stats.messages_sent;
      for (const auto& to : recipients_of(record)) {
        if (to == from || to == "<all>" || to.empty()) continue;
        ++roles.role(to).stats.messages_received;
      }
    } else if (type == "review") {
      if (!role_name.empty()) ++roles.role(role_name).stats.review_rounds;
    } else if (type == "execution") {
      long round = whole(record, "round");
      if (!role_name.empty()) roles.role(role_name).test_rounds.insert(round);
      bool failed = num(record, "exit_code") != 0 || num(record, "failed") > 0 ||
                    (flag(record, "timed_out", false) && !flag(record, "started", false));
      if (record.contains("ok") && record["ok"].is_boolean()) failed = !record["ok"].get<bool>();
      round_failed[round] = round_failed[round] || failed;
    } else if (type == "file_write") {
      if (!role_name.empty()) ++roles.role(role_name).stats.files_written;
      std::string path = str(record, "path");
      if (!path.empty()) final_content[path] = str(record, "content");
    } else if (type == "tool_result") {
      if (!role_name.empty()) {
        RoleStats& r = roles.role(role_name).stats;
        ++r.tool_calls;
        if (flag(record, "is_error", false)) ++r.tool_errors;
        ++r.tools[str(record, "tool")];
      }
    } else if (type == "file_delete") {
      final_content.erase(str(record, "path"));
    }
  }

  run.wall_s = duration >= 0 ? duration : (std::isnan(first) ? 0 : last - first);
  run.files = static_cast<long>(final_content.size());
  for (const auto& [path, content] : final_content) {
    if (!imported && path.starts_with("tests/")) continue;
    // By suffix, as ChatDev counts ("x.py" and ".py" are both Python). `path` is captured by
    // name: clang 14 (the fuzz build) cannot capture a structured binding.
    bool code = std::any_of(code_extensions.begin(), code_extensions.end(),
                            [&path = path](const std::string& ext) { return path.ends_with(ext); });
    if (!code) continue;
    run.lines_of_code += non_blank_lines(content);
  }
  run.test_fix_rounds = round_failed.empty() ? 0 : static_cast<long>(round_failed.size()) - 1;
  run.verdict = verdict_of(meta, round_failed);

  RoleStats& total = run.total;
  total.role = "total";
  std::vector<double> all_latencies;
  for (auto& acc : roles.all()) {
    RoleStats& r = acc.stats;
    if (acc.depth > 0 && !std::isnan(last)) {
      r.working_s += std::max(0.0, last - acc.started);
      intervals.emplace_back(acc.started, last);
    }
    r.working_s = std::min(r.working_s, run.wall_s);
    r.waiting_s = std::max(0.0, run.wall_s - r.working_s);
    r.latency_p50_s = percentile(acc.latencies, 0.5);
    r.latency_p95_s = percentile(acc.latencies, 0.95);
    r.test_rounds = static_cast<long>(acc.test_rounds.size());
    all_latencies.insert(all_latencies.end(), acc.latencies.begin(), acc.latencies.end());
    total.calls += r.calls;
    total.failed_calls += r.failed_calls;
    total.prompt_tokens += r.prompt_tokens;
    total.completion_tokens += r.completion_tokens;
    total.cached_tokens += r.cached_tokens;
    total.request_tokens += r.request_tokens;
    total.prefix_tokens += r.prefix_tokens;
    total.cost_usd += r.cost_usd;
    total.messages_sent += r.messages_sent;
    total.messages_received += r.messages_received;
    total.review_rounds += r.review_rounds;
    total.test_rounds = std::max(total.test_rounds, r.test_rounds);
    total.files_written += r.files_written;
    total.tool_calls += r.tool_calls;
    total.tool_errors += r.tool_errors;
    for (const auto& [tool, calls] : r.tools) total.tools[tool] += calls;
    run.roles.push_back(r);
  }
  total.latency_p50_s = percentile(all_latencies, 0.5);
  total.latency_p95_s = percentile(all_latencies, 0.95);
  total.test_rounds = static_cast<long>(round_failed.size());
  // Roles work concurrently: the team worked while any role did (the union of the intervals).
  std::sort(intervals.begin(), intervals.end());
  double end = -1e300;
  for (const auto& [from, to] : intervals) {
    if (to <= end) continue;
    total.working_s += to - std::max(from, end);
    end = to;
  }
  total.working_s = std::min(total.working_s, run.wall_s);
  total.waiting_s = std::max(0.0, run.wall_s - total.working_s);
  return run;
}

Result<RunStats> compute_run_stats(const fs::path& run_dir_or_trace) {
  std::error_code ec;
  fs::path trace = run_dir_or_trace;
  if (fs::is_directory(trace, ec)) trace /= "run.jsonl";
  if (!fs::is_regular_file(trace, ec))
    return make_error("stats", run_dir_or_trace.string() + ": no run here (expected a project folder with run.jsonl, or a run.jsonl file)");
  auto contents = read_trace(trace);
  if (!contents) return contents.error();
  nlohmann::json meta;
  fs::path meta_path = trace.parent_path() / "meta.json";
  if (fs::is_regular_file(meta_path, ec)) {
    std::ifstream in(meta_path);
    meta = nlohmann::json::parse(in, nullptr, false);
    if (meta.is_discarded()) {
      meta = nullptr;
      contents->warnings.push_back(meta_path.string() + ": not valid JSON; ignored");
    }
  }
  RunStats run = compute_run_stats(contents->records, meta);
  run.trace = trace;
  run.dir = trace.parent_path();
  run.name = fs::absolute(run.dir).lexically_normal().filename().string();
  if (run.name.empty()) run.name = fs::absolute(run.dir).lexically_normal().parent_path().filename().string();
  run.warnings = std::move(contents->warnings);
  return run;
}

Result<std::vector<fs::path>> find_runs(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return std::vector<fs::path>{path};
  if (!fs::is_directory(path, ec)) return make_error("stats", path.string() + ": no such file or folder");
  if (fs::is_regular_file(path / "run.jsonl", ec)) return std::vector<fs::path>{path};
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_directory() && fs::is_regular_file(entry.path() / "run.jsonl", ec)) runs.push_back(entry.path());
  }
  if (runs.empty()) return make_error("stats", path.string() + ": no run.jsonl in this folder nor in its sub-folders");
  std::sort(runs.begin(), runs.end());
  return runs;
}

double RoleStats::prefix_share() const { return agentco::prefix_share(prefix_tokens, request_tokens); }

nlohmann::json to_json(const RoleStats& s) {
  return {{"role", s.role},
          {"calls", s.calls},
          {"failed_calls", s.failed_calls},
          {"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"cached_tokens", s.cached_tokens},
          {"request_tokens", s.request_tokens},
          {"prefix_tokens", s.prefix_tokens},
          {"prefix_share", s.prefix_share()},
          {"cost_usd", s.cost_usd},
          {"latency_p50_s", s.latency_p50_s},
          {"latency_p95_s", s.latency_p95_s},
          {"working_s", s.working_s},
          {"waiting_s", s.waiting_s},
          {"messages_sent", s.messages_sent},
          {"messages_received", s.messages_received},
          {"review_rounds", s.review_rounds},
          {"test_rounds", s.test_rounds},
          {"files_written", s.files_written},
          {"tool_calls", s.tool_calls},
          {"tool_errors", s.tool_errors},
          {"tools", s.tools}};
}

nlohmann::json to_json(const RunStats& s) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& r : s.roles) roles.push_back(to_json(r));
  nlohmann::json out = {{"name", s.name},
          {"dir", s.dir.string()},
          {"trace", s.trace.string()},
          {"source", s.source},
          {"idea", s.idea},
          {"started_at", s.started_at},
          {"outcome", s.outcome},
          {"wall_s", s.wall_s},
          {"files", s.files},
          {"lines_of_code", s.lines_of_code},
          {"test_fix_rounds", s.test_fix_rounds},
          {"verdict", s.verdict},
          {"total", to_json(s.total)},
          {"roles", roles},
          {"warnings", s.warnings}};
  if (s.quality) out["quality"] = to_json(*s.quality);
  return out;
}

}  // namespace agentco
