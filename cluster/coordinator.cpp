#include "cluster/coordinator.hpp"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <fstream>

#include "cluster/nats_client.hpp"
#include "research/experiment_book.hpp"
#include "research/supervisor.hpp"

namespace agentco {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kStartGrace = std::chrono::seconds(3);    // after a stop: a job taken just before it
constexpr auto kResultGrace = std::chrono::seconds(90);  // after a stop: the runs that started

struct RunState {
  bool published = false, started = false, ended = false;
  std::uint64_t job_sequence = 0;                // the job's message in the jobs stream
  std::map<std::uint64_t, std::uint64_t> bytes;  // streamed trace bytes by attempt
  std::optional<ClusterDone> done;
  bool replaying = false;
};

struct Worker {
  int slots = 0;
  Clock::time_point seen;
};

// How a run ended, as its worker's result says; the folder is the coordinator's to add.
RunEnd end_of(const ClusterDone& done) {
  RunEnd end;
  end.exit_code = done.exit_code;
  end.wall_s = done.wall_s;
  end.timed_out = done.timed_out;
  end.failure = done.error;
  end.log = "worker " + done.worker;
  return end;
}

}  // namespace

Result<ExperimentResult> run_distributed_experiment(const ExperimentOptions& options,
                                                    const DistributedOptions& distributed) {
  ExperimentResult result;
  result.info = options.info;
  std::FILE* out = options.progress;

  boost::asio::io_context io;
  std::vector<std::string> events;  // connection events, said through the book once it exists
  auto client = NatsClient::connect(
      distributed.nats, "agentco bench",
      [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); },
      [&events](std::string line) { events.push_back(std::move(line)); });
  if (!client) return client.error();
  NatsClient& nats = **client;
  const std::string experiment = new_experiment_id();
  const std::string stream = runs_stream(experiment);
  if (auto status = nats.ensure_jobs_stream(); !status) return status.error();
  if (auto status = nats.ensure_stream(stream, runs_filter(experiment)); !status) return status.error();
  ExperimentBook book(options, result);
  const fs::path folder = result.info.folder;
  const fs::path logs = folder / "logs", incoming = folder / ".incoming";
  std::error_code ec;
  fs::create_directories(logs, ec);
  fs::create_directories(incoming, ec);
  std::fprintf(out,
               "agentco bench: experiment %s on NATS at %s; start workers with: agentco worker --nats %s\n",
               experiment.c_str(), nats.url().c_str(), nats.url().c_str());

  std::map<int, RunState> runs;
  std::map<std::string, Worker> workers;
  std::deque<int> replay_queue;
  std::optional<std::pair<PlannedRun, double>> unpublished;  // a job NATS did not take yet
  bool stopping = false;
  Clock::time_point stop_time;
  std::string last_problem;

  auto trace_file = [&](int index, std::uint64_t attempt) {
    return incoming / fmt::format("{}.{}.jsonl", index, attempt);
  };
  auto problem = [&](const Error& error) {
    if (error.message != last_problem) book.note("agentco bench: " + error.message + "; retrying");
    last_problem = error.message;
  };

  // A result whose whole trace is here: its folder is built by a replay.
  auto try_finish = [&](int index) {
    RunState& run = runs[index];
    if (!run.done || run.ended || run.replaying) return;
    const ClusterDone& done = *run.done;
    if (done.trace_bytes > 0 && run.bytes[done.attempt] < done.trace_bytes) return;  // chunks still coming
    if (done.folder.empty() || done.trace_bytes == 0) {
      run.ended = true;
      book.ended(index, end_of(done));
      return;
    }
    // The trace as streamed, cut to the length the result states.
    fs::resize_file(trace_file(index, done.attempt), done.trace_bytes, ec);
    run.replaying = true;
    replay_queue.push_back(index);
  };

  auto on_run_message = [&](NatsMessage msg) {
    auto subject = parse_run_subject(experiment, msg.subject());
    if (!subject || subject->index >= static_cast<int>(options.plan.size())) return;
    RunState& run = runs[subject->index];
    if (subject->kind == "start") {
      if (!run.started && !run.ended && !book.ended_already(subject->index)) {
        run.started = true;
        book.started(subject->index);
      }
    } else if (subject->kind == "trace") {
      const auto offset = chunk_offset(msg.header(kOffsetHeader));
      std::uint64_t& have = run.bytes[subject->attempt];
      if (offset != have || run.ended || run.replaying) return;  // a duplicate, or too late
      std::ofstream file(trace_file(subject->index, subject->attempt), std::ios::binary | std::ios::app);
      file.write(msg.data().data(), static_cast<std::streamsize>(msg.data().size()));
      have += msg.data().size();
      try_finish(subject->index);
    } else if (subject->kind == "done") {
      if (run.done || run.ended) return;  // a later duplicate (a job that ran twice): the first result stands
      auto done = ClusterDone::from_json(msg.data());
      if (!done) {
        book.note("agentco bench: " + done.error().message);
        return;
      }
      if (!run.started) {
        run.started = true;
        book.started(subject->index);
      }
      run.done = std::move(*done);
      try_finish(subject->index);
    }
  };
  if (auto status = nats.follow(stream, runs_filter(experiment), on_run_message); !status)
    return status.error();
  if (auto status =
          nats.subscribe(kPresenceSubject,
                         [&](NatsMessage msg) {
                           const json here = json::parse(msg.data(), nullptr, false);
                           if (!here.is_object()) return;
                           workers[here.value("name", "?")] = {here.value("slots", 1), Clock::now()};
                         });
      !status)
    return status.error();
  (void)nats.publish_core(kPingSubject, "");

  // The workers heard from in the last 10 s, and their slots.
  struct Present {
    int workers = 0, slots = 0;
  };
  auto present = [&] {
    Present p;
    for (const auto& [name, w] : workers)
      if (Clock::now() - w.seen < std::chrono::seconds(10)) {
        p.slots += w.slots;
        ++p.workers;
      }
    return p;
  };
  // Jobs queued or running on a worker. A result in hand is the coordinator's own work, except
  // under a budget: what a run spent is known once its folder is built, and the next run's
  // investment is what is left after it, as in a local bench.
  const bool budgeted = result.info.budget_usd >= 0;
  auto in_flight = [&] {
    int n = 0;
    for (const auto& [index, run] : runs) n += run.published && !run.ended && (budgeted || !run.done);
    return n;
  };
  auto publish_jobs = [&](int slots) {
    const int window = distributed.window > 0 ? distributed.window : slots;
    result.info.jobs = std::max(1, window);
    while (!stopping && in_flight() < window) {
      if (!unpublished) unpublished = book.next();
      if (!unpublished) return;
      const auto& [run, investment] = *unpublished;
      ClusterJob job;
      job.experiment = experiment;
      job.index = run.index;
      job.run_name = run.run_name;
      job.idea = run.prompt.idea;
      if (auto file = distributed.sop_files.find(run.variant.sop); file != distributed.sop_files.end())
        job.sop_file = file->second;
      else
        job.sop = run.variant.sop;
      job.config_file = distributed.config_file;
      job.flags = distributed.flags;
      job.investment_usd = investment;
      job.run_timeout_s = options.run_timeout_s;
      auto sequence = nats.publish(jobs_subject(experiment), to_wire(job.to_json()), {},
                                   fmt::format("{}.job.{}", experiment, run.index));
      if (!sequence) return problem(sequence.error());
      last_problem.clear();
      runs[run.index].published = true;
      runs[run.index].job_sequence = *sequence;
      unpublished.reset();
    }
  };

  // The jobs no worker took yet leave the queue (one by one: see kJobsStream).
  auto withdraw_jobs = [&] {
    for (auto& [index, run] : runs)
      if (run.published && !run.started && run.job_sequence > 0) {
        if (auto status = nats.delete_message(kJobsStream, run.job_sequence); !status)
          problem(status.error());
        run.job_sequence = 0;
      }
  };

  // Folders are built by replays, child processes like a local bench's runs.
  SupervisorHooks hooks;
  hooks.next = [&]() -> std::optional<ChildSpec> {
    if (replay_queue.empty()) return std::nullopt;
    const int index = replay_queue.front();
    replay_queue.pop_front();
    const ClusterDone& done = *runs[index].done;
    const PlannedRun& run = options.plan[static_cast<std::size_t>(index)];
    ChildSpec spec;
    spec.tag = index;
    spec.program = options.program;
    spec.argv = {"agentco", "replay", trace_file(index, done.attempt).string(), "--out",
                 (folder / done.folder).string()};
    spec.stdout_file = logs / (run.run_name + ".replay.out");
    spec.stderr_file = logs / (run.run_name + ".replay.err");
    return spec;
  };
  hooks.on_exit = [&](const ChildExit& exit) {
    RunState& run = runs[exit.tag];
    const ClusterDone& done = *run.done;
    const PlannedRun& planned = options.plan[static_cast<std::size_t>(exit.tag)];
    const fs::path project = folder / done.folder;
    fs::create_directories(project, ec);
    // The worker's own trace and meta.json, not the replay's (which has no costs or times).
    fs::copy_file(trace_file(exit.tag, done.attempt), project / "run.jsonl",
                  fs::copy_options::overwrite_existing, ec);
    if (done.meta.is_null()) {
      fs::remove(project / "meta.json", ec);
    } else {
      std::ofstream meta(project / "meta.json", std::ios::binary | std::ios::trunc);
      meta << done.meta.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    }
    if (exit.exit_code != 0 && done.exit_code == 0)
      book.note(fmt::format(
          "agentco bench: rebuilding {} from its trace failed (exit {}); its files may be incomplete: {}",
          planned.run_name, exit.exit_code, (logs / (planned.run_name + ".replay.err")).string()));
    for (const auto& [attempt, bytes] : run.bytes) fs::remove(trace_file(exit.tag, attempt), ec);
    RunEnd end = end_of(done);
    end.folder = project;
    run.ended = true;
    run.replaying = false;
    book.ended(exit.tag, end);
  };
  hooks.on_tick = [&](bool stop) {
    io.poll();
    io.restart();
    for (const auto& line : events) book.note("agentco bench: " + line);
    events.clear();
    if (stop && !stopping) {
      stopping = true;
      stop_time = Clock::now();
      (void)nats.publish_core(control_subject(experiment), "stop");
      withdraw_jobs();
    }
    if (stopping) {
      const auto since = Clock::now() - stop_time;
      for (auto& [index, run] : runs) {
        if (run.ended || run.replaying || run.done) continue;
        if (!run.started && since >= kStartGrace) {
          run.ended = true;  // never taken: not launched
        } else if (run.started && since >= kResultGrace) {
          RunEnd end;
          end.exit_code = 130;
          end.failure = "no result from its worker within 90 s of the stop";
          end.log = "its worker";
          run.ended = true;
          book.ended(index, end);
        }
      }
    }
    const Present now = present();
    if (!stopping) publish_jobs(now.slots);
    book.tick(stop, now.workers == 0
                        ? std::string("waiting for workers (none seen yet)")
                        : fmt::format("{} worker{} ({} slot{})", now.workers, now.workers == 1 ? "" : "s",
                                      now.slots, now.slots == 1 ? "" : "s"));
  };
  hooks.keep_going = [&] {
    if (!replay_queue.empty()) return true;
    for (const auto& [index, run] : runs)
      if (run.published && !run.ended) return true;  // on a worker, its last chunks, or its replay
    return !stopping && !book.budget_reached() && (unpublished || book.handed_out() < options.plan.size());
  };

  SupervisorOptions supervisor;
  supervisor.slots = 2;  // replays at once
  supervisor.tick = std::chrono::milliseconds(100);
  supervisor.launch_while_stopping = true;
  result.stop_signal = supervise(supervisor, hooks);
  book.finish(result.stop_signal);
  // The folders hold everything now: the experiment's messages leave NATS.
  withdraw_jobs();
  if (auto status = nats.delete_stream(stream); !status)
    book.note("agentco bench: " + status.error().message);
  fs::remove_all(incoming, ec);
  return result;
}

}  // namespace agentco
