// `agentco bench --nats`: an experiment whose runs are carried out by workers (cluster/
// worker.hpp). The coordinator publishes each planned run as a job on the JetStream work
// queue, at most `window` queued or running at once (by default the slots of the workers
// present), follows the runs stream in order, and for each result builds the run's project
// folder from the trace the worker streamed: `agentco replay` into the experiment folder, then
// the original run.jsonl and meta.json in place of the replay's, so that the folder holds
// what the worker's did (files, git trees, trace, meta). From there on it is the local
// bench: the same rows, figures, quality measures, results files, progress line and budget.
//
// Ctrl-C: "stop" goes to the workers, which interrupt this experiment's runs; the jobs not
// yet taken are purged; the coordinator waits (at most 90 s) for the results of the runs
// that started and builds their folders, so nothing finished is lost.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/job.hpp"
#include "cluster/nats_settings.hpp"
#include "research/experiment_runner.hpp"

namespace agentco {

struct DistributedOptions {
  NatsSettings nats;
  int window = 0;                                // runs queued or running at once; 0: the workers' slots
  std::vector<std::string> flags;                // every run's flags, without --config
  std::optional<CarriedFile> config_file;        // --config, secretless
  std::map<std::string, CarriedFile> sop_files;  // a variant's SOP file (by its path) -> its text
};

// Errors: NATS unreachable, refused, or without JetStream (before anything is published).
Result<ExperimentResult> run_distributed_experiment(const ExperimentOptions& options,
                                                    const DistributedOptions& distributed);

}  // namespace agentco
