// How close does a run come to its critical path? Runs the real `agentco` binary against
// the fake OpenAI-compatible server with latency (time to first token + tokens/s) on
// projects of 3, 6 and 12 Python files with a known dependency graph (every reply
// scripted), at several provider concurrency limits (llm.concurrency), and prints:
//   wall    the run's duration (run_end.duration_s in the trace)
//   cp      the critical-path bound: the longest chain of dependent model calls, each
//           weighted by its own latency from the trace (llm_response.latency_s)
//   seq     the sum of all call latencies (what a strictly sequential run would take)
//   wall/cp and wall/seq
// Dependencies between calls (what the bound assumes the scheduler must respect):
//   documents: each after the previous one (PRD -> design -> tasks, re-asks included);
//   a file's code call after the tasks and after the last review/rewrite of every file it
//   imports; a file's reviews and rewrites after its previous call; the summary after
//   every file's last call; summary TODO rewrites after the summary; the manual after the
//   tasks; test files after the code is finished (summary and its rewrites); anything else
//   (triage, fixes) after the call that ended last before it started.
// Time outside model calls (static checks, git, running tests) is not in the bound.
//
// Usage: schedule-bench [--sizes 3,6,12] [--concurrency 1,2,4,8] [--ttft-ms 500]
//                       [--tokens-per-second 50] [--keep]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "bench/support/measure.hpp"
#include "environment/process_runner.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/scripted_project.hpp"
#include "trace/trace.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using agentco::testing::scripted_project;
using File = agentco::testing::ScriptedFile;

struct Call {
  long long id = 0;
  std::string kind, file, document;
  std::vector<std::string> depends_on;  // the files a code call was given (hints.depends_on)
  double start = 0, end = 0;            // seconds since the run's first record
  double latency = 0;
  std::vector<std::size_t> deps;
};

double ts_seconds(const std::string& ts) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

struct Figures {
  double wall = 0, critical = 0, sequential = 0;
  std::size_t calls = 0;
  std::string verdict;
  std::vector<std::string> chain;  // the critical path, call by call
  std::vector<Call> timeline;
};

std::vector<Call> read_calls(const fs::path& trace_path, Figures& fig) {
  std::ifstream in(trace_path);
  std::vector<Call> calls;
  std::map<long long, std::size_t> by_id;
  double t0 = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto rec = agentco::open_trace_record(line);
    if (!rec) continue;
    const json& r = *rec;
    std::string type = r.value("type", "");
    double t = ts_seconds(r.value("ts", ""));
    if (t0 < 0) t0 = t;
    if (type == "llm_request") {
      Call c;
      c.id = r.value("call_id", -1LL);
      json h = r.contains("hints") && r["hints"].is_object() ? r["hints"] : json::object();
      c.kind = h.value("kind", "");
      c.file = h.value("file", "");
      c.document = h.value("document", "");
      if (h.contains("depends_on") && h["depends_on"].is_array()) {
        for (const auto& d : h["depends_on"])
          if (d.is_string()) c.depends_on.push_back(d.get<std::string>());
      }
      c.start = t - t0;
      by_id[c.id] = calls.size();
      calls.push_back(c);
    } else if (type == "llm_response" || type == "llm_error") {
      auto it = by_id.find(r.value("call_id", -1LL));
      if (it == by_id.end()) continue;
      Call& c = calls[it->second];
      c.end = t - t0;
      c.latency = r.value("latency_s", c.end - c.start);
    } else if (type == "run_end") {
      fig.wall = r.value("duration_s", t - t0);
    }
  }
  return calls;
}

// Fills each call's dependencies (see the comment at the top), in request order.
void link(std::vector<Call>& calls) {
  std::optional<std::size_t> last_document, summary;
  std::map<std::string, std::size_t> file_last;  // each file's last call before the summary
  std::vector<std::size_t> code_done;            // the summary and its TODO rewrites
  bool tests_started = false, triaged = false;  // QA's first test file; QA's first triage
  for (std::size_t i = 0; i < calls.size(); ++i) {
    Call& c = calls[i];
    if (c.kind == "document") {
      if (last_document) c.deps.push_back(*last_document);
      last_document = i;
    } else if (!summary && c.kind == "code") {
      if (last_document) c.deps.push_back(*last_document);
      for (const auto& d : c.depends_on)
        if (auto it = file_last.find(d); it != file_last.end()) c.deps.push_back(it->second);
      file_last[c.file] = i;
    } else if (!summary && (c.kind == "review" || c.kind == "rewrite")) {
      if (auto it = file_last.find(c.file); it != file_last.end()) c.deps.push_back(it->second);
      file_last[c.file] = i;
    } else if (c.kind == "summary" && !summary) {
      for (const auto& [f, last] : file_last) c.deps.push_back(last);
      summary = i;
      code_done.push_back(i);
    } else if (summary && c.kind == "rewrite" && !tests_started) {
      c.deps.push_back(*summary);  // TODO rewrites are independent of each other
      code_done.push_back(i);
    } else if (c.kind == "manual") {
      if (last_document) c.deps.push_back(*last_document);
    } else if (c.kind == "test" && summary && !triaged) {
      c.deps = code_done;  // the first test files: independent of each other
      tests_started = true;
    } else {
      // Triage, fixes, TODO rewrites: after whatever ended last before this call started.
      std::optional<std::size_t> latest;
      for (std::size_t j = 0; j < i; ++j) {
        if (calls[j].end <= c.start + 1e-9 && (!latest || calls[j].end > calls[*latest].end)) latest = j;
      }
      if (latest) c.deps.push_back(*latest);
      if (c.kind == "triage") triaged = true;
    }
  }
}

Figures analyse(const fs::path& trace_path) {
  Figures fig;
  std::vector<Call> calls = read_calls(trace_path, fig);
  link(calls);
  std::vector<double> finish(calls.size(), 0);
  std::vector<std::optional<std::size_t>> via(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {  // dependencies always come earlier
    double before = 0;
    for (std::size_t d : calls[i].deps) {
      if (finish[d] > before) {
        before = finish[d];
        via[i] = d;
      }
    }
    finish[i] = before + calls[i].latency;
    fig.sequential += calls[i].latency;
  }
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (!last || finish[i] > finish[*last]) last = i;
  }
  if (last) fig.critical = finish[*last];
  for (std::optional<std::size_t> i = last; i; i = via[*i]) {
    const Call& c = calls[*i];
    std::string what = c.kind + (c.file.empty() ? c.document.empty() ? "" : " " + c.document : " " + c.file);
    fig.chain.insert(fig.chain.begin(), fmt::format("{} {:.2f}s", what, c.latency));
  }
  fig.calls = calls.size();
  fig.timeline = std::move(calls);
  return fig;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {3, 6, 12}, limits = {1, 2, 4, 8};
  double ttft_ms = 500, tps = 50;
  bool keep = false, timeline = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "schedule-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--sizes") sizes = agentco::bench::int_list(next());
    else if (a == "--concurrency") limits = agentco::bench::int_list(next());
    else if (a == "--ttft-ms") ttft_ms = std::stod(next());
    else if (a == "--tokens-per-second") tps = std::stod(next());
    else if (a == "--keep") keep = true;
    else if (a == "--timeline") timeline = true;
    else {
      std::fprintf(stderr,
                   "usage: schedule-bench [--sizes 3,6,12] [--concurrency 1,2,4,8] [--ttft-ms 500] "
                   "[--tokens-per-second 50] [--keep] [--timeline]\n");
      return 2;
    }
  }
  std::random_device rd;
  fs::path root = fs::temp_directory_path() / fmt::format("agentco_schedule_bench_{}_{}", ::getpid(), rd() % 100000);
  fs::create_directories(root / "home");
  fmt::print("schedule bench: fake server latency {:.0f} ms to first token, {:.0f} tokens/s; binary {}; load {}\n",
             ttft_ms, tps, AGENTCO_BINARY, agentco::bench::load_average());
  fmt::print("{:>5} {:>4} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "files", "conc", "calls", "wall_s", "cp_s",
             "seq_s", "wall/cp", "wall/seq", "verdict");
  int status = 0;
  for (int size : sizes) {
    std::vector<File> files = scripted_project(size);
    agentco::testing::ScriptOptions options;
    options.ttft_ms = ttft_ms;
    options.tokens_per_second = tps;
    agentco::testing::FakeLlmServer server(agentco::testing::scripted_project_script(files, options).dump());
    for (int limit : limits) {
      fs::path warehouse = root / fmt::format("w{}_{}", size, limit);
      agentco::ProcessSpec spec;
      spec.argv = {AGENTCO_BINARY, "run",        "--no-user-config", "--warehouse",      warehouse.string(),
                   "--llm-base-url", server.base_url(), "--model", "fake-model", "-q",
                   fmt::format("a bench project of {} files", files.size())};
      spec.cwd = root.string();
      spec.sandbox = false;
      spec.deadline = std::chrono::minutes(15);
      spec.env["HOME"] = (root / "home").string();
      spec.env["AGENTCO_LLM_CONCURRENCY"] = std::to_string(limit);
      spec.env["AGENTCO_RUN_RENDER_DIAGRAMS"] = "false";  // the scheduler's figures, not mmdc's browser
      agentco::ProcessResult result = agentco::run_process(spec);
      fs::path folder;
      if (fs::exists(warehouse)) {
        for (const auto& e : fs::directory_iterator(warehouse))
          if (e.is_directory()) folder = e.path();
      }
      if (result.exit_code != 0 || folder.empty() || !fs::exists(folder / "run.jsonl")) {
        fmt::print("{:>5} {:>4}  run failed (exit {}): {}\n", files.size(), limit, result.exit_code,
                   result.stderr_text.substr(0, 2000));
        status = 1;
        continue;
      }
      Figures fig = analyse(folder / "run.jsonl");
      std::string verdict = "?";
      try {
        std::ifstream meta(folder / "meta.json");
        json m = json::parse(meta);
        if (m.contains("verdict")) {
          verdict = fmt::format("tests {}/{} program {}", m["verdict"].value("tests_passed", 0),
                                m["verdict"].value("tests_passed", 0) + m["verdict"].value("tests_failed", 0),
                                m["verdict"].value("program", "?"));
        }
      } catch (const std::exception&) {
      }
      fmt::print("{:>5} {:>4} {:>5} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f}  {}\n", files.size(), limit, fig.calls,
                 fig.wall, fig.critical, fig.sequential, fig.critical > 0 ? fig.wall / fig.critical : 0,
                 fig.sequential > 0 ? fig.wall / fig.sequential : 0, verdict);
      if (timeline) {
        fmt::print("      critical path: {}\n", fmt::join(fig.chain, " -> "));
        for (const auto& c : fig.timeline) {
          fmt::print("      {:7.2f} {:7.2f} {:5.2f}s {} {}{}\n", c.start, c.end, c.latency, c.kind, c.file, c.document);
        }
      }
      std::fflush(stdout);
    }
  }
  fmt::print("load average at the end: {}\n", agentco::bench::load_average());
  if (!keep) {
    std::error_code ec;
    fs::remove_all(root, ec);
  } else {
    fmt::print("runs kept in {}\n", root.string());
  }
  return status;
}
