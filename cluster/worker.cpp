#include "cluster/worker.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <optional>

#include "cluster/file_tail.hpp"
#include "cluster/job.hpp"
#include "cluster/nats_client.hpp"
#include "core/text.hpp"
#include "research/experiment_runner.hpp"
#include "research/supervisor.hpp"

namespace agentco {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::size_t kMetaLimit = 512 * 1024;  // a meta.json beyond this stays out of "done"

struct ActiveJob {
  explicit ActiveJob(NatsMessage m) : msg(std::move(m)) {}
  NatsMessage msg;
  ClusterJob job;
  std::uint64_t attempt = 1;
  fs::path dir, warehouse, folder;
  FileTail tail;
  std::vector<std::string> argv;
  pid_t pid = -1;
  bool ended = false;
  ChildExit exit;
  bool stopped_by_coordinator = false;
  bool finished = false;  // result (or give-back) acknowledged: remove
  bool done_published = false;
  bool experiment_gone = false;  // its stream was deleted: its coordinator ended without it
  Clock::time_point last_progress = Clock::now();
  std::string problem;  // the last NATS failure said about it (said once per kind)
};

std::string default_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}-{}", host[0] ? host : "worker", ::getpid());
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// The trace the earlier attempts of a run streamed: the longest one, and its folder's name.
struct PriorTrace {
  std::string bytes;
  std::string folder;
  std::uint64_t attempt = 0;
};

PriorTrace longest_prior_trace(std::vector<NatsMessage>& messages, const std::string& experiment) {
  std::map<std::uint64_t, PriorTrace> by_attempt;
  for (auto& m : messages) {
    auto subject = parse_run_subject(experiment, m.subject());
    if (!subject || subject->kind != "trace") continue;
    PriorTrace& t = by_attempt[subject->attempt];
    t.attempt = subject->attempt;
    if (t.folder.empty()) t.folder = m.header(kFolderHeader);
    if (chunk_offset(m.header(kOffsetHeader)) == t.bytes.size()) t.bytes.append(m.data());
  }
  PriorTrace best;
  for (auto& [attempt, t] : by_attempt)
    if (t.bytes.size() > best.bytes.size()) best = std::move(t);
  // A resume starts from whole records: a torn last line is dropped here as resume would.
  if (auto end = best.bytes.rfind('\n'); end != std::string::npos)
    best.bytes.resize(end + 1);
  else
    best.bytes.clear();
  return best;
}

json read_meta(const fs::path& folder) {
  std::error_code ec;
  const fs::path file = folder / "meta.json";
  const auto size = fs::file_size(file, ec);
  if (ec || size > kMetaLimit) return nullptr;
  std::string text;
  if (!read_file(file.string(), text)) return nullptr;
  json meta = json::parse(text, nullptr, false);
  return meta.is_discarded() ? json() : meta;
}

// The worker's state and its steps; run() drives them from the supervisor's one thread.
class Worker {
 public:
  Worker(const WorkerOptions& options, std::string name) : options_(options), name_(std::move(name)) {}

  int run();

 private:
  void say(const std::string& line) const {
    std::fprintf(options_.log, "agentco worker %s: %s\n", name_.c_str(), line.c_str());
    std::fflush(options_.log);
  }
  void fail_once(ActiveJob& j, const Error& error) {
    if (j.problem != error.message) say(j.job.run_name + ": " + error.message + "; retrying");
    j.problem = error.message;
  }
  // A publish of the run's failed: retried, unless the experiment is gone, when the run stops.
  void failed(ActiveJob& j, const Error& error) {
    if (error.code != kNoStream) return fail_once(j, error);
    j.experiment_gone = true;
    if (j.pid > 0 && !j.ended) ::kill(j.pid, SIGINT);
  }
  void presence();
  bool publish_done(ActiveJob& j, const ClusterDone& done);
  bool stream(ActiveJob& j, bool everything);
  bool prepare(ActiveJob& j);
  bool prepare_partition(ActiveJob& j, const std::vector<std::string>& flags);
  void fresh_run(ActiveJob& j, const std::vector<std::string>& flags, const std::vector<std::string>& extra);
  std::vector<std::string> run_flags(const ActiveJob& j);
  PriorTrace prior_trace(const ActiveJob& j);
  void settle(ActiveJob& j);
  void on_control(const NatsMessage& msg);
  std::optional<ChildSpec> next_child();
  void tick(bool stop);
  void take_jobs();

  const WorkerOptions& options_;
  const std::string name_;
  boost::asio::io_context io_;
  std::unique_ptr<NatsClient> nats_;
  fs::path workdir_;
  std::map<int, ActiveJob> jobs_;  // by supervisor tag
  std::deque<int> ready_;          // prepared, not yet started
  int next_tag_ = 0;
  bool stopping_ = false;
  Clock::time_point stop_time_, last_presence_{};
  std::error_code ec_;  // file system failures here show up later, as a run's own error
};

void Worker::presence() {
  const json here = {{"name", name_}, {"slots", options_.slots}, {"busy", static_cast<int>(jobs_.size())}};
  (void)nats_->publish_core(kPresenceSubject, to_wire(here));
}

bool Worker::publish_done(ActiveJob& j, const ClusterDone& done) {
  if (auto status = nats_->publish(done_subject(j.job.experiment, j.job.index), to_wire(done.to_json()), {},
                                   fmt::format("{}.{}.done.{}", j.job.experiment, j.job.index, j.attempt));
      !status) {
    failed(j, status.error());
    return false;
  }
  j.done_published = true;
  return true;
}

// Streams what the run appended to its trace; false when NATS did not take it (retried).
bool Worker::stream(ActiveJob& j, bool everything) {
  if (j.folder.empty()) {
    j.folder = find_run_folder(j.dir / "stdout.log", j.warehouse, j.job.run_name);
    if (j.folder.empty()) return true;
    j.tail.follow(j.folder / "run.jsonl");
  }
  while (true) {
    const std::string chunk = j.tail.peek(kChunkBytes, everything);
    if (chunk.empty()) return true;
    const Headers headers = {{kOffsetHeader, std::to_string(j.tail.offset())},
                             {kFolderHeader, j.folder.filename().string()}};
    const std::string id =
        fmt::format("{}.{}.{}.{}", j.job.experiment, j.job.index, j.attempt, j.tail.offset());
    if (auto status =
            nats_->publish(trace_subject(j.job.experiment, j.job.index, j.attempt), chunk, headers, id);
        !status) {
      failed(j, status.error());
      return false;
    }
    j.problem.clear();
    j.tail.advance(chunk.size());
  }
}

// The flags every command of the job gets: the job's own, its --config file, its investment.
std::vector<std::string> Worker::run_flags(const ActiveJob& j) {
  std::vector<std::string> flags = j.job.flags;
  if (j.job.config_file) {
    write_text(j.dir / j.job.config_file->name, j.job.config_file->text);
    flags.insert(flags.end(), {"--config", (j.dir / j.job.config_file->name).string()});
  }
  if (j.job.investment_usd >= 0)
    flags.insert(flags.end(), {"--investment", fmt::format("{:.6f}", j.job.investment_usd)});
  return flags;
}

// On a redelivery, the trace the earlier attempts streamed (empty when there is none).
PriorTrace Worker::prior_trace(const ActiveJob& j) {
  if (j.attempt <= 1) return {};
  auto messages = nats_->read_all(runs_stream(j.job.experiment),
                                  fmt::format("agentco.runs.{}.trace.{}.*", j.job.experiment, j.job.index));
  if (!messages) {
    say(j.job.run_name + ": cannot read its earlier trace (" + messages.error().message +
        "); it starts afresh");
    return {};
  }
  PriorTrace prior = longest_prior_trace(*messages, j.job.experiment);
  if (prior.bytes.empty())
    say(fmt::format(
        "{}: attempt {}; the earlier attempts streamed no trace ({} messages), so it starts afresh",
        j.job.run_name, j.attempt, messages->size()));
  if (prior.folder.empty() || prior.folder.find('/') != std::string::npos) prior.bytes.clear();
  return prior;
}

// A pulled job: checked, its files written, its command chosen; false when it is settled
// without a run (a duplicate of a finished run, a malformed job, too many deliveries).
bool Worker::prepare(ActiveJob& j) {
  auto job = ClusterJob::from_json(j.msg.data());
  if (!job) {
    say("dropped a job: " + job.error().message);
    (void)j.msg.term();
    return false;
  }
  j.job = std::move(*job);
  j.attempt = std::max<std::uint64_t>(1, j.msg.delivered());
  // A delivery of a job this worker is carrying out already (a pull answered late on a loaded
  // machine hands the same job over twice): left alone, neither acknowledged nor given back.
  // The run in hand acknowledges the job; two runs in one folder would spoil each other.
  for (const auto& [tag, other] : jobs_)
    if (&other != &j && other.job.experiment == j.job.experiment && other.job.index == j.job.index &&
        !other.job.run_name.empty()) {
      say(fmt::format("{}: delivered again (attempt {}) while its attempt {} runs here; ignored",
                      j.job.run_name, j.attempt, other.attempt));
      return false;
    }
  if (auto done = nats_->last(runs_stream(j.job.experiment), done_subject(j.job.experiment, j.job.index));
      done && *done) {
    (void)j.msg.ack();  // finished elsewhere; this delivery is a leftover
    return false;
  }
  if (j.attempt > static_cast<std::uint64_t>(kMaxDeliveries)) {
    ClusterDone done;
    done.index = j.job.index;
    done.attempt = j.attempt;
    done.worker = name_;
    done.error = fmt::format("given up: delivered {} times, and no worker finished it", j.attempt - 1);
    if (publish_done(j, done)) (void)j.msg.term();
    say(j.job.run_name + ": " + done.error);
    return false;
  }
  if (j.job.partitions > 0 && j.attempt > 1) {
    (void)j.msg.term();
    say(
        fmt::format("{} of run {}: dropped: it was lost with the worker that had it, and the run failed then "
                    "(a partition is not carried out twice)",
                    j.job.run_name, j.job.experiment));
    return false;
  }
  j.dir = workdir_ / j.job.experiment / fmt::format("{}-{}", j.job.index, j.attempt);
  j.warehouse = j.dir / "w";
  fs::remove_all(j.dir, ec_);
  fs::create_directories(j.warehouse, ec_);
  const std::vector<std::string> flags = run_flags(j);
  if (j.job.partitions > 0) return prepare_partition(j, flags);
  if (const PriorTrace prior = prior_trace(j); !prior.bytes.empty()) {
    j.folder = j.warehouse / prior.folder;
    fs::create_directories(j.folder, ec_);
    write_text(j.folder / "run.jsonl", prior.bytes);
    struct stat st {};
    ::stat((j.folder / "run.jsonl").c_str(), &st);
    j.tail = FileTail(j.folder / "run.jsonl", st.st_ino);  // streamed again only once resume rebuilt it
    j.argv = {"agentco", "resume", j.folder.string()};
    j.argv.insert(j.argv.end(), flags.begin(), flags.end());
    say(fmt::format("{}: attempt {}, resuming from {} bytes of trace that attempt {} streamed",
                    j.job.run_name, j.attempt, prior.bytes.size(), prior.attempt));
  } else {
    fresh_run(j, flags, {});
    say(fmt::format("{}: attempt {}", j.job.run_name, j.attempt));
  }
  const json start = {{"attempt", j.attempt}, {"worker", name_}};
  if (auto status = nats_->publish(start_subject(j.job.experiment, j.job.index), to_wire(start), {},
                                   fmt::format("{}.{}.start.{}", j.job.experiment, j.job.index, j.attempt));
      !status && status.error().code == kNoStream) {
    say(j.job.run_name + ": dropped: its experiment " + j.job.experiment + " has ended (its stream is gone)");
    (void)j.msg.term();
    return false;
  }
  return true;
}

// `agentco run` of the job from its start: its SOP (a carried file is written first), the
// job's flags, `extra`, the idea.
void Worker::fresh_run(ActiveJob& j, const std::vector<std::string>& flags,
                       const std::vector<std::string>& extra) {
  j.argv = {"agentco", "run", "--warehouse", j.warehouse.string(), "--name", j.job.run_name};
  if (j.job.sop_file) {
    write_text(j.dir / j.job.sop_file->name, j.job.sop_file->text);
    j.argv.insert(j.argv.end(), {"--sop", (j.dir / j.job.sop_file->name).string()});
  } else if (!j.job.sop.empty()) {
    j.argv.insert(j.argv.end(), {"--sop", j.job.sop});
  }
  j.argv.insert(j.argv.end(), flags.begin(), flags.end());
  j.argv.insert(j.argv.end(), extra.begin(), extra.end());
  j.argv.insert(j.argv.end(), {"--", j.job.idea});
}

// A partition of a spread simulation: `agentco run --partition`, which reaches NATS itself.
bool Worker::prepare_partition(ActiveJob& j, const std::vector<std::string>& flags) {
  std::vector<std::string> extra = {"--partition",
                                    fmt::format("{}/{}/{}", j.job.experiment, j.job.index, j.job.partitions)};
  extra.insert(extra.end(), options_.nats_flags.begin(), options_.nats_flags.end());
  fresh_run(j, flags, extra);
  say(fmt::format("{} of run {}", j.job.run_name, j.job.experiment));
  return true;
}

// After the run's process ended: the rest of the trace, then the result and the
// acknowledgement (or, when this worker is stopping on its own, the job given back).
void Worker::settle(ActiveJob& j) {
  if (j.job.partitions > 0) {  // its coordinator has its trace and its result already
    (void)j.msg.ack();
    say(fmt::format("{} of run {}: exit {} after {:.1f} s", j.job.run_name, j.job.experiment,
                    j.exit.exit_code, j.exit.wall_s));
    j.finished = true;
    return;
  }
  if (j.experiment_gone) {
    (void)j.msg.term();
    say(j.job.run_name + ": dropped: its experiment " + j.job.experiment +
        " ended without it (its coordinator deleted its stream)");
    j.finished = true;
    return;
  }
  if (!stream(j, /*everything=*/true)) return;
  const bool give_back = stopping_ && !j.stopped_by_coordinator && j.exit.exit_code != 0;
  if (give_back) {
    if (auto status = j.msg.nak(); !status) return fail_once(j, status.error());
    say(j.job.run_name + ": given back to the cluster (this worker is stopping); another worker resumes it");
    j.finished = true;
    return;
  }
  if (!j.done_published) {
    ClusterDone done;
    done.index = j.job.index;
    done.attempt = j.attempt;
    done.worker = name_;
    done.exit_code = j.exit.exit_code;
    done.wall_s = j.exit.wall_s;
    done.timed_out = j.exit.timed_out;
    done.trace_bytes = j.tail.offset();
    done.folder = j.folder.empty() ? "" : j.folder.filename().string();
    done.meta = j.folder.empty() ? json() : read_meta(j.folder);
    if (!j.exit.start_error.empty())
      done.error = j.exit.start_error;
    else if (j.exit.exit_code != 0)
      done.error = failure_line(j.dir / "stderr.log");
    if (!publish_done(j, done)) return;
  }
  if (auto status = j.msg.ack(); !status) {
    // The result is in the stream: a redelivery finds it and drops the job.
    say(j.job.run_name + ": its result is published but the acknowledgement failed (" +
        status.error().message + ")");
  }
  say(fmt::format("{}: exit {} after {:.1f} s; {} bytes of trace", j.job.run_name, j.exit.exit_code,
                  j.exit.wall_s, j.tail.offset()));
  j.finished = true;
}

void Worker::on_control(const NatsMessage& msg) {
  const std::string subject(msg.subject());
  const std::string experiment = subject.substr(subject.rfind('.') + 1);
  if (msg.data() != "stop") return;
  for (auto& [tag, j] : jobs_) {
    if (j.job.experiment != experiment || j.stopped_by_coordinator) continue;
    j.stopped_by_coordinator = true;
    if (j.pid > 0 && !j.ended) ::kill(j.pid, SIGINT);
  }
  say("experiment " + experiment + " was stopped by its coordinator");
}

std::optional<ChildSpec> Worker::next_child() {
  while (!ready_.empty()) {
    const int tag = ready_.front();
    ready_.pop_front();
    ActiveJob& j = jobs_.at(tag);
    if (j.stopped_by_coordinator) {  // stopped before it ran
      j.ended = true;
      j.exit.exit_code = 130;
      continue;
    }
    ChildSpec spec;
    spec.tag = tag;
    spec.program = options_.program;
    spec.argv = j.argv;
    spec.stdout_file = j.dir / "stdout.log";
    spec.stderr_file = j.dir / "stderr.log";
    spec.deadline = std::chrono::milliseconds(static_cast<long>(j.job.run_timeout_s * 1000));
    spec.extra_env = {"AGENTCO_STOP_WITH_PARENT=" + std::to_string(::getpid()),
                      "AGENTCO_WORKER_NAME=" + name_};
    return spec;
  }
  return std::nullopt;
}

// Pulls as many jobs as there are free slots.
void Worker::take_jobs() {
  const int free = options_.slots - static_cast<int>(jobs_.size());
  if (free <= 0 || !nats_->connected()) return;
  auto pulled = nats_->fetch_jobs(free);
  if (!pulled) return;
  for (auto& msg : *pulled) {
    const int tag = next_tag_++;
    auto [it, inserted] = jobs_.emplace(tag, ActiveJob(std::move(msg)));
    if (prepare(it->second))
      ready_.push_back(tag);
    else
      jobs_.erase(it);
  }
}

void Worker::tick(bool stop) {
  io_.poll();
  io_.restart();
  if (stop && !stopping_) {
    stopping_ = true;
    stop_time_ = Clock::now();
    say("stopping: the runs in flight were interrupted; their jobs go back to the cluster");
    for (const int tag : ready_) {
      (void)jobs_.at(tag).msg.nak();
      jobs_.at(tag).finished = true;
    }
    ready_.clear();
  }
  const auto now = Clock::now();
  const auto progress_every = std::chrono::duration<double>(std::max(1.0, options_.nats.ack_wait_s / 3));
  for (auto& [tag, j] : jobs_) {
    if (j.ended) {
      settle(j);
      continue;
    }
    if (!j.experiment_gone && j.job.partitions == 0) (void)stream(j, false);
    if (now - j.last_progress >= progress_every) {
      if (auto status = j.msg.in_progress(); !status) fail_once(j, status.error());
      j.last_progress = now;
    }
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.finished) {
      if (!options_.keep_runs) fs::remove_all(it->second.dir, ec_);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
  if (stopping_) return;
  take_jobs();
  if (now - last_presence_ >= std::chrono::seconds(2)) {
    presence();
    last_presence_ = now;
  }
}

int Worker::run() {
  auto client = NatsClient::connect(
      options_.nats, "agentco worker " + name_,
      [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); },
      [this](const std::string& line) { say(line); });
  if (!client) {
    say(client.error().message);
    return 2;
  }
  nats_ = std::move(*client);
  Status status = nats_->ensure_jobs_stream();
  if (status) status = nats_->bind_jobs(options_.nats.ack_wait_s);
  if (!status) {
    say(status.error().message);
    return 2;
  }
  workdir_ = options_.workdir;
  if (workdir_.empty()) workdir_ = fs::temp_directory_path(ec_) / ("agentco-worker-" + slugify(name_, 60));
  fs::create_directories(workdir_, ec_);
  if (ec_) {
    say("cannot create " + workdir_.string() + ": " + ec_.message());
    return 2;
  }
  workdir_ = fs::absolute(workdir_, ec_);

  (void)nats_->subscribe(kPingSubject, [this](NatsMessage) { presence(); });
  (void)nats_->subscribe("agentco.control.*", [this](NatsMessage msg) { on_control(msg); });
  say(fmt::format("connected to NATS at {}; {} slot{}; runs in {}", nats_->url(), options_.slots,
                  options_.slots == 1 ? "" : "s", workdir_.string()));
  presence();

  SupervisorHooks hooks;
  hooks.next = [this] { return next_child(); };
  hooks.on_spawned = [this](int tag, pid_t pid) { jobs_.at(tag).pid = pid; };
  hooks.on_exit = [this](const ChildExit& exit) {
    ActiveJob& j = jobs_.at(exit.tag);
    j.ended = true;
    j.exit = exit;
  };
  hooks.on_tick = [this](bool stop) { tick(stop); };
  hooks.keep_going = [this] {
    if (!stopping_) return true;
    // Stopping: until every run's trace is out and its job settled, for at most 30 s.
    return !jobs_.empty() && Clock::now() - stop_time_ < std::chrono::seconds(30);
  };
  SupervisorOptions supervisor;
  supervisor.slots = options_.slots;
  supervisor.tick = std::chrono::milliseconds(100);
  supervise(supervisor, hooks);
  for (auto& [tag, j] : jobs_)
    say(j.job.run_name +
        ": not settled when the worker stopped; it returns to the cluster after the ack wait and is "
        "resumed from what was streamed");
  say("stopped");
  return 0;
}

}  // namespace

int run_worker(const WorkerOptions& options) {
  Worker worker(options, options.name.empty() ? default_name() : options.name);
  return worker.run();
}

}  // namespace agentco
