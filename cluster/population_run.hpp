// A simulation whose population is spread over the workers of a cluster (NATS):
//
//   agentco run --nats URL --partitions N --sop simulation_town "..."    the coordinator
//
// hosts the roles that are not populations and writes the run's one trace. It publishes N
// partition jobs on the jobs queue; workers carry each out as
//
//   agentco run --partition RUN/K/N --nats URL ...                       partition K
//
// which hosts range K of every population (partition_plan.hpp). Subjects (RUN: the run's id;
// K: a process, 0 the coordinator), all core NATS:
//   agentco.sim.RUN.topic.T   a message on topic T, once, for the processes with a listener
//   agentco.sim.RUN.to.K      a message for process K only (a watcher of its action, a name)
//   agentco.sim.RUN.ctl       coordinator -> partitions: {"probe": n} or {"end": reason}
//   agentco.sim.RUN.up.report partitions -> coordinator: ready, counters for a probe, final
//   agentco.sim.RUN.up.trace.K partition K's run.jsonl, in order, in chunks
//   agentco.sim.RUN.alive(.0) each process's heartbeat, every half second, from a thread of
//                             its own (a process busy with a big round is still alive)
//
// Idle: the four-counter method (termination.hpp) over what each process sent to and
// received from the others and its pending deliveries. A message lost between processes
// (a slow consumer NATS cut off) leaves sent and received apart for ever: the run then fails
// and says so instead of hanging.
//
// The trace: each partition streams its records; the coordinator appends them to its own
// run.jsonl as they arrive (with "partition" and the partition's own seq), without parsing
// them (trace_merge.hpp). A partition sends what its trace holds before it forwards a
// message, and the coordinator takes every partition's records through one subscription,
// in the server's order, so a reply is never in the merged trace before what it answers.
//
// A partition lost (its worker killed, its machine gone) stops answering: after `silence_s`
// the coordinator ends the run as failed, naming it, and keeps the trace it has.
#pragma once
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cluster/job.hpp"
#include "cluster/nats_settings.hpp"
#include "core/result.hpp"
#include "roles/team_spread.hpp"

namespace agentco {

struct PopulationOptions {
  NatsSettings nats;
  int partitions = 0;           // N
  std::string run_id;           // a partition: the run it is part of (the coordinator makes one)
  int process = 0;              // 0: the coordinator; 1..N: a partition
  ClusterJob job;               // the coordinator: what each partition job carries (idea, SOP, config)
  double join_timeout_s = 120;  // the coordinator waits this long for its partitions to join
  double silence_s = 10;        // a process not heard from this long is lost (nats.silence_s)
  std::FILE* log = stderr;
};

// Connects to NATS (failing at once, with the url, when no server answers) and makes this
// process's side of the spread team.
Result<std::unique_ptr<TeamSpread>> spread_population(const PopulationOptions& options, const Sop& sop);

// "RUN/K/N" (the --partition flag) into options.run_id, process, partitions.
Status parse_partition_flag(const std::string& text, PopulationOptions& options);

}  // namespace agentco
