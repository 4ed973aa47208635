#include "web/warehouse_view.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "core/utf8.hpp"
#include "trace/trace.hpp"

namespace agentco::web {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kLongText = 2000;  // model replies longer than this are cut in compact records

// A regular file (not a symlink, which could point anywhere) inside `folder`.
bool is_plain_file(const fs::path& file) {
  std::error_code ec;
  return fs::symlink_status(file, ec).type() == fs::file_type::regular;
}

std::string read_range(const fs::path& file, std::uintmax_t from, std::uintmax_t to) {
  std::ifstream in(file, std::ios::binary);
  if (!in || to <= from) return {};
  in.seekg(static_cast<std::streamoff>(from));
  std::string bytes(static_cast<std::size_t>(to - from), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

// Milliseconds since the epoch of "2026-11-27T18:48:10.563Z"; -1 when it is not that shape.
double parse_iso_ms(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) < 6) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

std::string str(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double num(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

json sop_roles(const std::string& text) {
  json roles = json::array();
  try {
    YAML::Node sop = YAML::Load(text);
    if (sop["roles"] && sop["roles"].IsSequence()) {
      for (const auto& role : sop["roles"]) {
        if (!role["name"]) continue;
        roles.push_back({{"name", role["name"].as<std::string>()},
                         {"profile", role["profile"] ? role["profile"].as<std::string>() : ""}});
      }
    }
  } catch (const std::exception&) {
    // A SOP the viewer cannot read still leaves the roles seen in the trace.
  }
  return roles;
}

}  // namespace

json compact_record(const json& record) {
  json out = record;
  out.erase("crc");
  const std::string type = str(record, "type");
  if (type == "run_start") {
    json small = {{"idea", record.value("idea", json())}, {"name", record.value("name", json())}};
    for (const char* key : {"seq", "ts", "at", "type", "provider", "started_at", "folder_stamp", "schema_version",
                            "agentco_version", "imported_from"}) {
      if (record.contains(key)) small[key] = record[key];
    }
    if (record.contains("sop") && record["sop"].is_object()) small["sop"] = {{"name", str(record["sop"], "name")}};
    if (record.contains("config") && record["config"].is_object() && record["config"].contains("llm") &&
        record["config"]["llm"].is_object()) {
      small["model"] = str(record["config"]["llm"], "model");
    }
    return small;
  }
  if (type == "llm_request" && out.contains("request") && out["request"].is_object()) {
    auto& request = out["request"];
    std::size_t chars = 0, count = 0;
    if (request.contains("messages") && request["messages"].is_array()) {
      for (const auto& m : request["messages"]) {
        ++count;
        if (m.contains("content") && m["content"].is_string()) chars += m["content"].get_ref<const std::string&>().size();
      }
      request.erase("messages");
    }
    request["message_count"] = count;
    request["prompt_chars"] = chars;
    out.erase("hints");
    return out;
  }
  if (type == "llm_response" || type == "execution" || type == "tool_result" || type == "tool_call") {
    for (const char* key : {"text", "reasoning", "stdout", "stderr", "arguments"}) {
      if (out.contains(key) && out[key].is_string() && out[key].get_ref<const std::string&>().size() > kLongText) {
        std::string& text = out[key].get_ref<std::string&>();
        out[std::string(key) + "_chars"] = text.size();
        text.resize(cut_utf8(text, kLongText).size());
        out["truncated"] = true;
      }
    }
    return out;
  }
  if (type == "file_write" && out.contains("content")) {
    out.erase("content");
    out["truncated"] = true;
  }
  return out;
}

std::uint64_t record_seq(const json& record) {
  const auto seq = record.find("seq");
  return seq != record.end() && seq->is_number_unsigned() ? seq->get<std::uint64_t>() : 0;
}

std::vector<json> parse_trace_lines(std::string_view bytes, std::size_t& offset, std::size_t* bad) {
  std::vector<json> records;
  while (offset < bytes.size()) {
    std::size_t end = bytes.find('\n', offset);
    if (end == std::string_view::npos) break;  // a line still being written
    std::string_view line = bytes.substr(offset, end - offset);
    offset = end + 1;
    if (line.empty()) continue;
    auto record = open_trace_record(line);
    if (record) {
      records.push_back(std::move(record.value()));
    } else if (bad) {
      ++*bad;
    }
  }
  return records;
}

WarehouseView::WarehouseView(fs::path root, double running_window_s) : running_window_s_(running_window_s) {
  std::error_code ec;
  root_ = fs::weakly_canonical(root, ec);
  if (ec) root_ = fs::absolute(root);
}

std::optional<fs::path> WarehouseView::find_run(std::string_view id) const {
  if (id.empty() || id == "." || id == ".." || id.size() > 255) return std::nullopt;
  if (id.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos) return std::nullopt;
  fs::path folder = root_ / std::string(id);
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return std::nullopt;
  fs::path real = fs::canonical(folder, ec);
  if (ec || real.parent_path() != root_) return std::nullopt;
  if (!is_plain_file(real / "run.jsonl")) return std::nullopt;
  return real;
}

void WarehouseView::note_damage(RunState& state, std::string problem) {
  ++state.bad_lines;
  if (state.damage.empty()) state.damage = std::move(problem);
}

void WarehouseView::absorb(RunState& state, const json& record) {
  json& s = state.summary;
  const std::string type = str(record, "type");
  const std::string ts = str(record, "ts");
  if (!ts.empty()) {
    if (!s.contains("first_ts")) s["first_ts"] = ts;
    s["last_ts"] = ts;
  }
  s["records"] = s.value("records", 0) + 1;
  std::string role = str(record, "role");
  if (type == "run_start") {
    s["idea"] = str(record, "idea");
    s["name"] = str(record, "name");
    s["provider"] = str(record, "provider");
    s["started_at"] = str(record, "started_at");
    if (record.contains("sop") && record["sop"].is_object()) {
      s["sop"] = str(record["sop"], "name");
      state.sop_roles = sop_roles(str(record["sop"], "text"));
    }
    if (record.contains("config") && record["config"].is_object() && record["config"].contains("llm")) {
      s["model"] = str(record["config"]["llm"], "model");
    }
  } else if (type == "llm_response") {
    s["calls"] = s.value("calls", 0) + 1;
    if (record.contains("usage") && record["usage"].is_object()) {
      s["tokens"] = s.value("tokens", 0.0) + num(record["usage"], "prompt_tokens") + num(record["usage"], "completion_tokens");
    }
    s["cost_usd"] = s.value("cost_usd", 0.0) + num(record, "cost_usd");
    if (s.value("model", "").empty() || s.value("model", "") == "mock") {
      if (!str(record, "model").empty()) s["model"] = str(record, "model");
    }
  } else if (type == "llm_error") {
    s["errors"] = s.value("errors", 0) + 1;
  } else if (type == "file_write") {
    state.files_written.insert(str(record, "path"));
  } else if (type == "commit") {
    s["commits"] = s.value("commits", 0) + 1;
  } else if (type == "message") {
    std::string from = str(record, "sent_from");
    if (!from.empty() && !role.empty() && from != role) state.profiles[from] = role;
    role = from;
  } else if (type == "run_end") {
    state.ended = true;
    s["reason"] = str(record, "reason");
    s["detail"] = str(record, "detail");
    s["duration_s"] = num(record, "duration_s");
    if (record.contains("total") && record["total"].is_object()) {
      s["cost_usd"] = num(record["total"], "cost_usd");
      s["tokens"] = num(record["total"], "prompt_tokens") + num(record["total"], "completion_tokens");
      s["calls"] = num(record["total"], "calls");
    }
  }
  if (!role.empty() && (type == "action_start" || type == "llm_request" || type == "message") &&
      std::find(state.roles_seen.begin(), state.roles_seen.end(), role) == state.roles_seen.end()) {
    state.roles_seen.push_back(role);
  }
}

WarehouseView::RunState* WarehouseView::refresh(const std::string& id, const fs::path& folder) {
  const fs::path trace = folder / "run.jsonl";
  std::error_code ec;
  const auto size = fs::file_size(trace, ec);
  if (ec) return nullptr;
  const auto mtime = fs::last_write_time(trace, ec);
  RunState& state = runs_[id];
  if (size < state.scanned) state = RunState{};  // replaced or cut back: start over
  if (size > state.scanned) {
    std::string bytes = read_range(trace, state.scanned, size);
    std::size_t offset = 0;
    while (offset < bytes.size()) {
      std::size_t end = bytes.find('\n', offset);
      if (end == std::string::npos) break;
      std::string_view line(bytes.data() + offset, end - offset);
      const std::uintmax_t line_start = state.scanned + offset;
      offset = end + 1;
      ++state.lines;
      auto record = line.empty() ? Result<json>(Error{"trace", "empty line"}) : open_trace_record(line);
      if (!record) {
        note_damage(state, "line " + std::to_string(state.lines) + ": " + record.error().message);
        continue;
      }
      const std::uint64_t seq = record_seq(record.value());
      const std::uint64_t expected = state.line_seqs.empty() ? 1 : state.line_seqs.back() + 1;
      if (seq != expected) {
        // A deleted, swapped or repeated line: the schema numbers records 1, 2, ... without gaps.
        note_damage(state, "line " + std::to_string(state.lines) + ": seq " + std::to_string(seq) +
                               (state.line_seqs.empty() ? " where the trace should start at 1"
                                                        : " follows seq " + std::to_string(state.line_seqs.back())));
        if (seq <= (state.line_seqs.empty() ? 0 : state.line_seqs.back())) continue;  // keep seqs sorted
      }
      state.line_offsets.push_back(line_start);
      state.line_seqs.push_back(seq);
      absorb(state, record.value());
    }
    state.scanned += offset;
  }
  state.trace_mtime = mtime;
  const fs::path meta = folder / "meta.json";
  if (is_plain_file(meta)) {
    auto meta_mtime = fs::last_write_time(meta, ec);
    if (!ec && (meta_mtime != state.meta_mtime || state.meta.is_null())) {
      std::ifstream in(meta);
      json parsed = json::parse(in, nullptr, false);
      state.meta = parsed.is_discarded() || !parsed.is_object() ? json() : parsed;
      state.meta_mtime = meta_mtime;
    }
  }
  return &state;
}

json WarehouseView::public_summary(const std::string& id, const RunState& state) const {
  const json& s = state.summary;  // an object from the start, even before any record
  const json& meta = state.meta;
  json out = {{"id", id},
              {"idea", s.value("idea", "")},
              {"name", s.value("name", "")},
              {"sop", s.value("sop", "")},
              {"model", s.value("model", "")},
              {"provider", s.value("provider", "")},
              {"started_at", s.value("started_at", s.value("first_ts", ""))},
              {"last_ts", s.value("last_ts", "")},
              {"cost_usd", s.value("cost_usd", 0.0)},
              {"tokens", s.value("tokens", 0.0)},
              {"calls", s.value("calls", 0.0)},
              {"errors", s.value("errors", 0)},
              {"commits", s.value("commits", 0)},
              {"files", state.files_written.size()},
              {"records", s.value("records", 0)},
              {"bytes", state.scanned},
              {"verdict", nullptr},
              {"lines_of_code", nullptr}};
  const double first = parse_iso_ms(s.value("first_ts", ""));
  const double last = parse_iso_ms(s.value("last_ts", ""));
  out["duration_s"] = state.ended ? s.value("duration_s", 0.0) : (first >= 0 && last >= 0 ? (last - first) / 1000.0 : 0.0);
  out["started_ms"] = first;
  out["damaged_lines"] = state.bad_lines;
  const auto age = std::chrono::duration<double>(fs::file_time_type::clock::now() - state.trace_mtime).count();
  if (!state.damage.empty() || (state.line_seqs.empty() && age >= running_window_s_)) {
    out["status"] = "damaged";
    out["reason"] = "damaged trace";
    out["detail"] = !state.damage.empty()
                        ? "run.jsonl " + state.damage +
                              (state.bad_lines > 1 ? " (" + std::to_string(state.bad_lines) + " bad lines in all)" : "")
                        : "run.jsonl holds no valid record";
  } else if (state.ended) {
    const std::string reason = s.value("reason", "");
    out["status"] = reason == "idle" ? "finished" : "stopped";
    out["reason"] = reason;
    out["detail"] = s.value("detail", "");
  } else {
    if (age < running_window_s_) {
      out["status"] = "running";
      out["reason"] = "";
      out["detail"] = "";
    } else {
      out["status"] = "stopped";
      out["reason"] = "no run_end";
      out["detail"] = "the trace has no run_end record: the process ended without closing it";
    }
  }
  if (meta.is_object()) {
    if (meta.contains("files") && meta["files"].is_array()) out["files"] = meta["files"].size();
    if (meta.contains("lines_of_code")) out["lines_of_code"] = meta["lines_of_code"];
    if (meta.contains("verdict")) out["verdict"] = meta["verdict"];
    if (meta.contains("commits")) out["commits"] = meta["commits"];
    if (out["idea"] == "" && meta.contains("idea")) out["idea"] = meta["idea"];
    if (out["sop"] == "" && meta.contains("sop")) out["sop"] = meta["sop"];
    if (out["model"] == "" && meta.contains("model")) out["model"] = meta["model"];
  }
  return out;
}

json WarehouseView::list_runs() {
  json runs = json::array();
  std::set<std::string> present;
  std::error_code ec;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string id = it->path().filename().string();
    auto folder = find_run(id);
    if (!folder) continue;
    if (RunState* state = refresh(id, *folder)) {
      present.insert(id);
      runs.push_back(public_summary(id, *state));
    }
  }
  std::erase_if(runs_, [&](const auto& entry) { return !present.count(entry.first); });
  return runs;
}

std::optional<json> WarehouseView::run_summary(std::string_view id) {
  auto folder = find_run(id);
  if (!folder) return std::nullopt;
  const std::string key(id);
  RunState* state = refresh(key, *folder);
  if (!state) return std::nullopt;
  json out = public_summary(key, *state);
  json roles = state->sop_roles;
  if (roles.empty()) {
    for (const auto& name : state->roles_seen) {
      if (name == "User") continue;
      auto it = state->profiles.find(name);
      roles.push_back({{"name", name}, {"profile", it == state->profiles.end() ? "" : it->second}});
    }
  }
  out["roles"] = roles;
  out["meta"] = state->meta;
  return out;
}

std::optional<json> WarehouseView::records(std::string_view id, std::uint64_t from, std::size_t limit, bool compact) {
  auto folder = find_run(id);
  if (!folder) return std::nullopt;
  const std::string key(id);
  RunState* state = refresh(key, *folder);
  if (!state) return std::nullopt;
  json records = json::array();
  auto begin = std::lower_bound(state->line_seqs.begin(), state->line_seqs.end(), from);
  const std::size_t first = static_cast<std::size_t>(begin - state->line_seqs.begin());
  const std::size_t last = std::min(state->line_seqs.size(), first + limit);
  if (first < last) {
    const std::uintmax_t end_offset = last < state->line_offsets.size() ? state->line_offsets[last] : state->scanned;
    std::string bytes = read_range(*folder / "run.jsonl", state->line_offsets[first], end_offset);
    std::size_t offset = 0;
    std::uint64_t previous = 0;
    for (auto& record : parse_trace_lines(bytes, offset)) {
      // Lines of a damaged trace that the index left out (out of order, repeated) stay out.
      const std::uint64_t seq = record_seq(record);
      if (seq <= previous) continue;
      previous = seq;
      records.push_back(compact ? compact_record(record) : [&] {
        record.erase("crc");
        return std::move(record);
      }());
    }
  }
  const std::uint64_t next = last < state->line_seqs.size() ? state->line_seqs[last] : (state->line_seqs.empty() ? from : state->line_seqs.back() + 1);
  return json{{"records", std::move(records)},
              {"next", next},
              {"more", last < state->line_seqs.size()},
              {"total", state->line_seqs.size()}};
}

}  // namespace agentco::web
