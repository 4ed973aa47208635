// What travels between a coordinator (`agentco bench --nats`) and its workers: the subjects,
// a job (one planned run, with everything a worker needs and no secret), and a run's result.
//
// Subjects (EXP is the experiment's id, I a run's index in the plan, A its attempt, i.e. how
// many times JetStream delivered the job):
//   agentco.jobs.EXP                  a job (stream AGENTCO_JOBS, a work queue)
//   agentco.runs.EXP.start.I          a worker took it (stream AGENTCO_RUN_EXP, the experiment's)
//   agentco.runs.EXP.trace.I.A        the run's run.jsonl, in chunks, as it is written
//   agentco.runs.EXP.done.I           the run ended: exit code, trace length, meta.json
//   agentco.control.EXP               "stop": the coordinator was interrupted (core NATS)
//   agentco.workers.here / .ping      presence: each worker's name and slots (core NATS)
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentco {

std::string jobs_subject(const std::string& experiment);
std::string start_subject(const std::string& experiment, int index);
std::string trace_subject(const std::string& experiment, int index, std::uint64_t attempt);
std::string done_subject(const std::string& experiment, int index);
std::string control_subject(const std::string& experiment);
std::string runs_filter(const std::string& experiment);  // agentco.runs.EXP.>
std::string runs_stream(const std::string& experiment);  // AGENTCO_RUN_EXP, which holds them
inline constexpr const char* kPresenceSubject = "agentco.workers.here";
inline constexpr const char* kPingSubject = "agentco.workers.ping";

// The headers of a trace chunk: where in the run's run.jsonl it starts, and the name of the
// run's project folder.
inline constexpr const char* kOffsetHeader = "Agentco-Offset";
inline constexpr const char* kFolderHeader = "Agentco-Folder";
// A chunk's offset, or nothing when the header is not a number.
std::optional<std::uint64_t> chunk_offset(const std::string& header);

// JSON text for a message. Bytes that are not UTF-8 (a worker's --name, a run's error line)
// become U+FFFD instead of failing the publish.
std::string to_wire(const nlohmann::json& j);

// A fresh experiment id: 16 hex digits (a subject token).
std::string new_experiment_id();

// What a runs-stream subject says: its kind ("start", "trace", "done"), index and attempt.
struct RunSubject {
  std::string kind;
  int index = -1;
  std::uint64_t attempt = 0;
};
std::optional<RunSubject> parse_run_subject(const std::string& experiment, std::string_view subject);

// A file a run needs, carried in the job: the worker writes it beside the run.
struct CarriedFile {
  std::string name;  // the file's own name (no directory)
  std::string text;
};

struct ClusterJob {
  std::string experiment;
  int index = 0;
  std::string run_name;
  std::string idea;
  std::string sop;  // a built-in SOP's name, or empty with sop_file
  std::optional<CarriedFile> sop_file;
  std::optional<CarriedFile> config_file;  // --config, without its secrets (secretless_config)
  std::vector<std::string> flags;          // --llm, --model, --llm-base-url, --max-rounds, ...
  double investment_usd = -1;              // < 0: the run's config decides
  double run_timeout_s = 0;
  // > 0: not a run of an experiment but process `index` (1..partitions) of a simulation
  // whose population is spread over workers: `experiment` is the run's id
  // (cluster/population_run.hpp). Its worker neither streams nor reports it.
  int partitions = 0;

  nlohmann::json to_json() const;
  static Result<ClusterJob> from_json(std::string_view text);
};

// The result a worker publishes when a run's process ended.
struct ClusterDone {
  int index = 0;
  std::uint64_t attempt = 0;
  std::string worker;
  int exit_code = -1;
  double wall_s = 0;
  bool timed_out = false;
  std::uint64_t trace_bytes = 0;  // the run.jsonl published on the attempt's trace subject
  std::string folder;             // the project folder's name; empty when the run made none
  nlohmann::json meta;            // its meta.json, or null
  std::string error;              // why it did not finish (its failure line)

  nlohmann::json to_json() const;
  static Result<ClusterDone> from_json(std::string_view text);
};

// A config file's text with what a worker must supply itself left out: the `nats` section,
// every api_key and proxy, and MCP servers' env and headers. A worker's own config and
// environment give its runs their keys.
Result<std::string> secretless_config(const std::string& text, const std::string& source);

}  // namespace agentco
