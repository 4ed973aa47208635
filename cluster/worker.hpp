// `agentco worker`: joins a cluster over NATS and carries out experiment runs, `slots` at a
// time, each as a child `agentco run` (or `agentco resume`, when the job was another
// worker's and its trace is already in the stream).
//
// A job's life on a worker:
//   1. pulled from the workers' durable consumer; a job another worker already finished is
//      acknowledged and dropped; one delivered more than kMaxDeliveries times is given up
//      with a result saying so;
//   2. "start" published; on a redelivery, the trace the earlier attempts streamed is read
//      back, and the run resumed from it (no finished model call is paid again);
//   3. while the run goes, its run.jsonl is streamed in chunks and the job is kept alive
//      (in-progress acknowledgements, every third of the ack wait);
//   4. when the run's process ends: the rest of the trace, then "done" (exit code, length of
//      the trace, meta.json), then the acknowledgement. Each is retried until NATS takes it.
//
// A partition job (a part of a simulation's population, cluster/population_run.hpp) runs as
// `agentco run --partition RUN/K/N`, which talks to its coordinator itself: the worker only
// starts it, keeps the job alive and acknowledges it when it ends. A partition is never
// carried out twice: a redelivered one (its first worker died) is dropped, since its run
// has failed by then.
//
// Stopping: a coordinator's "stop" interrupts its runs, which end as stopped. Ctrl-C on the
// worker interrupts every run, streams what they wrote and gives the jobs back (no "done"),
// so that other workers resume them at once. A worker killed outright gives nothing back: its
// jobs come back after the ack wait and are resumed from what was streamed.
//
// Threads: the NATS client's callbacks are posted to the worker's io_context, which the one
// supervising thread polls; nothing else touches the worker's state.
#pragma once
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cluster/nats_settings.hpp"

namespace agentco {

inline constexpr int kMaxDeliveries = 5;

struct WorkerOptions {
  NatsSettings nats;
  std::string name;  // empty: HOST-PID
  int slots = 1;
  std::filesystem::path workdir;  // where runs are carried out; empty: a fresh temporary folder
  bool keep_runs = false;         // keep each run's folder after its result is published
  // How a partition of a spread simulation (a job with partitions > 0) reaches NATS as this
  // worker does: --nats URL, and --nats-config FILE when the worker had a config file.
  std::vector<std::string> nats_flags;
  std::string program = "/proc/self/exe";
  std::FILE* log = stderr;
};

// Runs until SIGINT/SIGTERM. Exit: 0 stopped cleanly, 2 NATS unreachable or refused us.
int run_worker(const WorkerOptions& options);

}  // namespace agentco
