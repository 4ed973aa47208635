#include "cluster/population_run.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "actions/run_context.hpp"
#include "cluster/file_tail.hpp"
#include "cluster/nats_client.hpp"
#include "cluster/partition_plan.hpp"
#include "cluster/termination.hpp"
#include "cluster/trace_merge.hpp"

namespace agentco {
namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kProbeEvery = std::chrono::milliseconds(10);   // between two waves
constexpr auto kWaveTimeout = std::chrono::seconds(1);        // a wave not complete by then: another
constexpr auto kStreamEvery = std::chrono::milliseconds(50);  // a partition sends its trace
constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::uint64_t kSeqSpan = 1ULL << 40;  // process K's message seqs start at K << 40

// A topic as one subject token: letters, digits, '-' and '_' as they are, every other byte
// as %XX (a subject token may not hold '.', '*', '>' or white space).
std::string subject_token(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out.empty() ? "%" : out;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

long max_rss_kb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The NATS client's callbacks, held until the run's io_context exists (the client connects
// before the run starts, so that an unreachable server fails before a folder is made).
struct Mailroom {
  std::mutex mutex;
  std::optional<asio::any_io_executor> executor;
  std::vector<std::function<void()>> held;
  bool closed = false;  // the run's io_context is gone (or going): nothing more is posted

  void post(std::function<void()> f) {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (executor)
      asio::post(*executor, std::move(f));
    else
      held.push_back(std::move(f));
  }
  void open(asio::any_io_executor e) {
    std::lock_guard lock(mutex);
    executor = e;
    for (auto& f : held) asio::post(e, std::move(f));
    held.clear();
  }
  void close() {
    std::lock_guard lock(mutex);
    closed = true;
    executor.reset();
    held.clear();
  }
};

struct Peer {  // a partition, as the coordinator knows it
  bool ready = false, final = false, lost = false;
  std::uint64_t trace_bytes = 0;  // merged so far
  std::string partial;            // an unfinished last line of its trace
  json final_report;
  std::uint64_t job_sequence = 0;
  std::string worker;
};

class PopulationLink final : public TeamSpread {
 public:
  PopulationLink(const PopulationOptions& options, const Sop& sop, std::shared_ptr<Mailroom> mailroom,
                 std::unique_ptr<NatsClient> nats)
      : options_(options),
        plan_(sop, options.partitions),
        self_(options.process),
        run_id_(options.run_id),
        mailroom_(std::move(mailroom)),
        nats_(std::move(nats)),
        detector_(plan_.processes()),
        peers_(static_cast<std::size_t>(plan_.processes())),
        alive_(new std::atomic<std::int64_t>[static_cast<std::size_t>(plan_.processes())]) {
    for (int p = 0; p < plan_.processes(); ++p) alive_[static_cast<std::size_t>(p)] = now_ns();
  }
  ~PopulationLink() override {
    heartbeat_ = {};
    mailroom_->close();
  }

  bool hosts(const RoleSpec& role, int index) const override {
    return plan_.process_of(role, index) == self_;
  }
  bool publishes_idea() const override { return self_ == 0; }
  asio::awaitable<void> join(RunContext& run, std::function<void()> end) override;
  asio::awaitable<void> leave(RunContext& run) override;
  json meta() const override;

 private:
  bool coordinator() const { return self_ == 0; }
  std::string subject(const std::string& tail) const { return "agentco.sim." + run_id_ + "." + tail; }
  void say(const std::string& line) const {
    std::fprintf(options_.log, "agentco %s: %s\n",
                 coordinator() ? "run" : fmt::format("partition {}", self_).c_str(), line.c_str());
    std::fflush(options_.log);
  }
  void finish() {  // the team is idle, or the run must end: once
    if (ended_) return;
    ended_ = true;
    if (end_) end_();
  }
  asio::awaitable<void> sleep(Clock::duration d) {
    asio::steady_timer timer(run_->executor, d);
    co_await timer.async_wait(asio::use_awaitable);
  }
  ProcessCounters counters() const { return {sent_, received_, run_->bus.pending()}; }

  // Both sides.
  void forward(const MessagePtr& message);
  void inbound(NatsMessage msg);
  asio::awaitable<void> take(MessagePtr message, int from);
  // A partition.
  void on_control(NatsMessage msg);
  void stream_trace(bool everything);
  void report(json fields);
  asio::awaitable<void> keep_in_touch();
  // The coordinator.
  Status publish_jobs();
  void withdraw_jobs();
  void on_upstream(NatsMessage msg);
  void on_report(NatsMessage msg);
  void on_trace(int process, NatsMessage msg);
  void merge_line(int process, std::string_view line,
                  std::vector<std::pair<std::string, std::string>>& batch);
  asio::awaitable<bool> wait_for_partitions();
  asio::awaitable<void> probe();
  void lose(int process, const std::string& why);

  PopulationOptions options_;
  PartitionPlan plan_;
  int self_;
  std::string run_id_;
  std::shared_ptr<Mailroom> mailroom_;
  std::unique_ptr<NatsClient> nats_;
  RunContext* run_ = nullptr;
  std::function<void()> end_;
  bool ended_ = false, left_ = false;
  std::uint64_t sent_ = 0, received_ = 0;
  // A partition.
  FileTail tail_;
  bool probed_ = false;
  // The coordinator.
  TerminationDetector detector_;
  std::vector<Peer> peers_;
  std::uint64_t waves_ = 0;
  std::optional<Clock::time_point> stalled_since_;
  std::uint64_t unmerged_ = 0;  // partition records that could not be merged
  // When each process was last heard alive (steady ns), written by the client's thread:
  // "alive" every second from a thread of each process's own, so that a process whose
  // io_context is busy (a big round, a long trace to merge) is not taken for a dead one.
  std::unique_ptr<std::atomic<std::int64_t>[]> alive_;
  bool silent(int process) const {
    return now_ns() - alive_[static_cast<std::size_t>(process)].load() >
           static_cast<std::int64_t>(options_.silence_s * 1e9);
  }
  void start_heartbeat();
  // Declared last: it stops before the client goes.
  std::jthread heartbeat_;
};

// ---- Both sides ----------------------------------------------------------------------------

// Sends a message published here to the processes that have a recipient for it: once on its
// topic's subject (every process with a listener of the topic subscribes to it), and on a
// process's own subject to those reached otherwise (a watched action, a name).
void PopulationLink::forward(const MessagePtr& message) {
  if (ended_ && left_) return;
  static const std::vector<int> none;
  const std::vector<int>& by_topic = message->topic.empty() ? none : plan_.topic_listeners(message->topic);
  std::vector<int> direct;
  auto add_direct = [&](int process) {
    if (process < 0 || process == self_) return;
    if (std::find(by_topic.begin(), by_topic.end(), process) != by_topic.end()) return;
    if (std::find(direct.begin(), direct.end(), process) == direct.end()) direct.push_back(process);
  };
  for (int p : plan_.action_watchers(message->cause_by)) add_direct(p);
  for (const auto& address : message->send_to) add_direct(plan_.process_of(address));
  const auto topic_others =
      std::count_if(by_topic.begin(), by_topic.end(), [&](int p) { return p != self_; });
  if (topic_others == 0 && direct.empty()) return;  // every recipient is here (the usual case)

  // What the trace holds goes first: the message's own record, and what led to it.
  if (!coordinator()) stream_trace(false);
  json wire = message->to_json();
  wire["from"] = self_;
  const std::string text = to_wire(wire);
  if (topic_others > 0) {
    (void)nats_->publish_core(subject("topic." + subject_token(message->topic)), text);
    sent_ += static_cast<std::uint64_t>(topic_others);
  }
  for (int p : direct) {
    (void)nats_->publish_core(subject("to." + std::to_string(p)), text);
    ++sent_;
  }
}

void PopulationLink::inbound(NatsMessage msg) {
  const json j = json::parse(msg.data(), nullptr, false);
  if (!j.is_object() || j.value("from", -1) == self_) return;  // not a message; or our own topic message
  std::shared_ptr<const Message> message;
  try {
    message = std::make_shared<const Message>(Message::from_json(j));
  } catch (const json::exception& e) {
    say(fmt::format("dropped a malformed message from process {}: {}", j.value("from", -1), e.what()));
    ++received_;  // it was sent and it arrived: the counts must still meet
    return;
  }
  auto taking = take(std::move(message), j.value("from", -1));
  asio::co_spawn(run_->executor, std::move(taking), asio::detached);
}

// A message from another process: counted as received at the moment its deliveries here
// become pending (one step on this thread, so a probe never sees one without the other).
asio::awaitable<void> PopulationLink::take(MessagePtr message, int from) {
  ++received_;
  std::vector<std::string> recipients = co_await run_->bus.accept(message);
  if (recipients.empty()) co_return;
  json record = json::object();
  record["id"] = message->id;
  record["from_process"] = from;
  record["recipients"] = std::move(recipients);
  run_->trace.append("remote_delivery", std::move(record));
}

asio::awaitable<void> PopulationLink::join(RunContext& run, std::function<void()> end) {
  run_ = &run;
  end_ = std::move(end);
  mailroom_->open(run.executor);
  run.bus.set_seq_base(static_cast<std::uint64_t>(self_) * kSeqSpan);
  run.bus.set_forwarder([this](const MessagePtr& m) { forward(m); });

  auto on_message = [this](NatsMessage msg) { inbound(std::move(msg)); };
  Status status = nats_->subscribe(subject("to." + std::to_string(self_)), on_message);
  for (const auto& topic : plan_.remote_topics(self_)) {
    if (!status) break;
    status = nats_->subscribe(subject("topic." + subject_token(topic)), on_message);
  }
  // Heartbeats of the others: on the client's thread, into alive_.
  if (status)
    status =
        nats_->subscribe_direct(subject(coordinator() ? "alive" : "alive.0"), [this](std::string_view data) {
          int p = -1;
          std::from_chars(data.data(), data.data() + data.size(), p);
          if (p >= 0 && p < plan_.processes()) alive_[static_cast<std::size_t>(p)] = now_ns();
        });
  if (status && coordinator()) {
    // One subscription for the partitions' traces and reports: one thread hands them over in
    // the order the server got them, so the merged trace keeps their causal order and a
    // partition's final report comes after the last of its trace.
    status = nats_->subscribe(subject("up.>"), [this](NatsMessage msg) { on_upstream(std::move(msg)); });
  } else if (status) {
    status = nats_->subscribe(subject("ctl"), [this](NatsMessage msg) { on_control(std::move(msg)); });
  }
  if (status) start_heartbeat();
  if (!status) {
    run.request_stop("failed", "NATS: " + status.error().message);
    finish();
    co_return;
  }

  if (!coordinator()) {
    tail_.follow(run.trace.path());
    auto touching = keep_in_touch();
    asio::co_spawn(run.executor, std::move(touching), asio::detached);
    co_return;
  }
  if (auto published = publish_jobs(); !published) {
    run.request_stop("failed", published.error().message);
    finish();
    co_return;
  }
  long spread = 0;
  for (int p = 1; p < plan_.processes(); ++p) spread += plan_.instances(p);
  say(
      fmt::format("run {}: {} partitions ({} instances) published on NATS at {}; start workers with: "
                  "agentco worker --nats {}",
                  run_id_, plan_.partitions(), spread, nats_->url(), nats_->url()));
  if (!co_await wait_for_partitions()) {
    finish();
    co_return;
  }
  auto probing = probe();
  asio::co_spawn(run.executor, std::move(probing), asio::detached);
}

void PopulationLink::start_heartbeat() {
  const std::string to = subject(coordinator() ? "alive.0" : "alive"), text = std::to_string(self_);
  heartbeat_ = std::jthread([this, to, text](std::stop_token stop) {
    while (!stop.stop_requested()) {
      (void)nats_->publish_core(to, text);
      for (int i = 0; i < 10 && !stop.stop_requested(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

// ---- A partition ---------------------------------------------------------------------------

void PopulationLink::report(json fields) {
  fields["process"] = self_;
  (void)nats_->publish_core(subject("up.report"), to_wire(fields));
}

void PopulationLink::stream_trace(bool everything) {
  while (true) {
    const std::string chunk = tail_.peek(kChunkBytes, everything);
    if (chunk.empty()) return;
    // The offset travels in the message's first line; core NATS keeps one publisher's order.
    const std::string offset = std::to_string(tail_.offset());
    std::string text = offset + "\n" + chunk;
    if (!nats_->publish_core(subject("up.trace." + std::to_string(self_)), text)) return;
    tail_.advance(chunk.size());
  }
}

void PopulationLink::on_control(NatsMessage msg) {
  const json j = json::parse(msg.data(), nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("probe")) {
    probed_ = true;
    stream_trace(false);
    json answer = json::object();
    const ProcessCounters c = counters();
    answer["wave"] = j["probe"];
    answer["sent"] = c.sent;
    answer["received"] = c.received;
    answer["pending"] = c.pending;
    report(std::move(answer));
  } else if (j.contains("end")) {
    const std::string reason = j.value("end", "failed");
    if (reason != "idle") {  // stopped (Ctrl-C, budget, a lost partition): as a local run stops
      run_->request_stop(reason, j.value("detail", "stopped by the coordinator"));
      run_->llm.provider().cancel_calls();
    }
    finish();
  }
}

// Until the run ends: the trace every 50 ms, "ready" until the first probe, and a check
// that the coordinator is still there.
asio::awaitable<void> PopulationLink::keep_in_touch() {
  auto last_ready = Clock::time_point{};
  while (!ended_) {
    stream_trace(false);
    const auto now = Clock::now();
    if (!probed_ && now - last_ready >= std::chrono::milliseconds(500)) {
      json ready = json::object();
      ready["ready"] = true;
      ready["instances"] = plan_.instances(self_);
      if (const char* worker = std::getenv("AGENTCO_WORKER_NAME")) ready["worker"] = worker;
      report(std::move(ready));
      last_ready = now;
    }
    if (silent(0)) {
      run_->request_stop(
          "failed", fmt::format("the coordinator of run {} went silent ({} s): this partition stops", run_id_,
                                options_.silence_s));
      finish();
      break;
    }
    co_await sleep(kStreamEvery);
  }
}

// ---- The coordinator -----------------------------------------------------------------------

Status PopulationLink::publish_jobs() {
  if (auto status = nats_->ensure_jobs_stream(); !status) return status;
  for (int p = 1; p < plan_.processes(); ++p) {
    ClusterJob job = options_.job;
    job.experiment = run_id_;
    job.index = p;
    job.partitions = plan_.partitions();
    job.run_name = fmt::format("partition-{}", p);
    auto sequence = nats_->publish(jobs_subject(run_id_), to_wire(job.to_json()), {},
                                   fmt::format("{}.partition.{}", run_id_, p));
    if (!sequence) return sequence.error();
    peers_[static_cast<std::size_t>(p)].job_sequence = *sequence;
  }
  return ok_status();
}

// Partition jobs no worker holds any more leave the queue (one by one: see kJobsStream), so
// that a partition lost with its worker is not carried out again after the run.
void PopulationLink::withdraw_jobs() {
  for (auto& peer : peers_)
    if (peer.job_sequence > 0) {
      (void)nats_->delete_message(kJobsStream, peer.job_sequence);
      peer.job_sequence = 0;
    }
}

asio::awaitable<bool> PopulationLink::wait_for_partitions() {
  const auto start = Clock::now();
  auto last_said = start;
  while (!run_->stop.requested()) {
    int ready = 0;
    for (int p = 1; p < plan_.processes(); ++p) ready += peers_[static_cast<std::size_t>(p)].ready;
    if (ready == plan_.partitions()) {
      say(fmt::format("all {} partitions joined after {:.1f} s", ready,
                      std::chrono::duration<double>(Clock::now() - start).count()));
      co_return true;
    }
    const auto waited = Clock::now() - start;
    if (waited > std::chrono::duration<double>(options_.join_timeout_s)) {
      withdraw_jobs();
      run_->request_stop("failed",
                         fmt::format("only {} of {} partitions joined within {} s: are workers running "
                                     "(agentco worker --nats {}) with a free slot each?",
                                     ready, plan_.partitions(), options_.join_timeout_s, nats_->url()));
      co_return false;
    }
    if (Clock::now() - last_said >= std::chrono::seconds(5)) {
      say(fmt::format("{} of {} partitions joined; waiting", ready, plan_.partitions()));
      last_said = Clock::now();
    }
    co_await sleep(std::chrono::milliseconds(20));
  }
  withdraw_jobs();
  co_return false;
}

// Waves of probes until the team is idle, the run stops, or a partition is lost.
asio::awaitable<void> PopulationLink::probe() {
  while (!ended_ && !run_->stop.requested()) {
    detector_.start_wave(++waves_);
    json ask = json::object();
    ask["probe"] = waves_;
    (void)nats_->publish_core(subject("ctl"), to_wire(ask));
    if (detector_.answer(waves_, 0, counters())) break;
    const auto asked = Clock::now();
    while (detector_.complete() < waves_ && !ended_ && Clock::now() - asked < kWaveTimeout)
      co_await sleep(std::chrono::milliseconds(1));
    if (detector_.idle()) break;
    if (!detector_.stalled()) {
      stalled_since_.reset();
    } else if (!stalled_since_) {
      stalled_since_ = Clock::now();
    } else if (Clock::now() - *stalled_since_ > std::chrono::duration<double>(options_.silence_s)) {
      const auto [sent, received] = detector_.balance();
      run_->request_stop("failed",
                         fmt::format("{} of the {} messages sent between processes never arrived (NATS "
                                     "dropped them: a slow consumer?), and every process is idle: the "
                                     "run cannot end by itself",
                                     sent - received, sent));
      finish();
      break;
    }
    for (int p = 1; p < plan_.processes(); ++p) {
      const Peer& peer = peers_[static_cast<std::size_t>(p)];
      if (silent(p)) {
        lose(p, fmt::format(
                    "partition {}{} stopped answering ({} s without a word): its worker or machine is gone?",
                    p, peer.worker.empty() ? "" : " (worker " + peer.worker + ")", options_.silence_s));
        break;
      }
    }
    if (!ended_) co_await sleep(kProbeEvery);
  }
  if (detector_.idle()) {
    const auto [sent, received] = detector_.balance();
    say(fmt::format("the whole team is idle ({} waves; {} messages crossed processes)", waves_, sent));
    (void)received;
    finish();
  }
}

void PopulationLink::lose(int process, const std::string& why) {
  peers_[static_cast<std::size_t>(process)].lost = true;
  run_->request_stop("failed", why);
  finish();
}

void PopulationLink::on_upstream(NatsMessage msg) {
  const std::string_view name = msg.subject();
  const std::string trace_prefix = subject("up.trace.");
  if (name.substr(0, trace_prefix.size()) == trace_prefix) {
    int p = 0;
    const std::string_view number = name.substr(trace_prefix.size());
    std::from_chars(number.data(), number.data() + number.size(), p);
    if (p >= 1 && p < plan_.processes()) on_trace(p, std::move(msg));
  } else {
    on_report(std::move(msg));
  }
}

void PopulationLink::on_report(NatsMessage msg) {
  const json j = json::parse(msg.data(), nullptr, false);
  if (!j.is_object()) return;
  const int p = j.value("process", -1);
  if (p < 1 || p >= plan_.processes()) return;
  Peer& peer = peers_[static_cast<std::size_t>(p)];
  if (j.value("ready", false) && !peer.ready) {
    peer.ready = true;
    peer.worker = j.value("worker", "");
    say(fmt::format("partition {} joined ({} instances{})", p, j.value("instances", 0L),
                    peer.worker.empty() ? "" : ", worker " + peer.worker));
  }
  if (j.contains("wave")) {
    ProcessCounters c;
    c.sent = j.value("sent", std::uint64_t{0});
    c.received = j.value("received", std::uint64_t{0});
    c.pending = j.value("pending", std::uint64_t{0});
    (void)detector_.answer(j.value("wave", std::uint64_t{0}), p, c);  // probe() sees the outcome
  }
  if (j.value("final", false)) {
    peer.final = true;
    peer.final_report = j;
  }
}

void PopulationLink::on_trace(int process, NatsMessage msg) {
  Peer& peer = peers_[static_cast<std::size_t>(process)];
  const std::string_view data = msg.data();
  const auto newline = data.find('\n');
  if (newline == std::string_view::npos) return;
  std::uint64_t offset = 0;
  std::from_chars(data.data(), data.data() + newline, offset);
  std::string_view chunk = data.substr(newline + 1);
  if (offset < peer.trace_bytes) return;  // sent twice
  if (offset > peer.trace_bytes) {
    json gap = json::object();
    gap["partition"] = process;
    gap["from_byte"] = peer.trace_bytes;
    gap["to_byte"] = offset;
    run_->trace.append("partition_trace_gap", std::move(gap));
    say(fmt::format(
        "partition {}: bytes {}-{} of its trace never arrived (a slow consumer?); the merged trace "
        "lacks them",
        process, peer.trace_bytes, offset));
    peer.partial.clear();
    peer.trace_bytes = offset;
  }
  peer.trace_bytes += chunk.size();
  peer.partial.append(chunk);
  std::size_t start = 0;
  std::vector<std::pair<std::string, std::string>> batch;  // written at once: one write per chunk
  for (auto end = peer.partial.find('\n'); end != std::string::npos; end = peer.partial.find('\n', start)) {
    merge_line(process, std::string_view(peer.partial).substr(start, end - start), batch);
    start = end + 1;
  }
  run_->trace.append_members(batch);
  peer.partial.erase(0, start);
}

// One record of a partition's trace into the run's: its type and fields, with the
// partition and the partition's own seq; its run_start and run_end become partition_start
// and partition_end (the run's are the coordinator's).
void PopulationLink::merge_line(int process, std::string_view line,
                                std::vector<std::pair<std::string, std::string>>& batch) {
  // Drop the line's checksum (the merged record gets its own) and close the object again.
  const auto crc = line.rfind(",\"crc\":\"");
  if (crc == std::string_view::npos) return;  // not a sealed record
  std::string object(line.substr(0, crc));
  object += '}';
  auto record = split_trace_line(object);
  if (!record) {
    if (unmerged_++ == 0)
      say(
          fmt::format("partition {}: a record of its trace is not one this coordinator can merge; it and any "
                      "other such are left out (the partition's own run.jsonl has them)",
                      process));
    return;
  }
  const std::string prefix = fmt::format("\"partition\":{},\"partition_seq\":{}{}", process, record->seq,
                                         record->members.empty() ? "" : ",");
  if (record->type == "run_start") {  // the run's own run_start has the config, SOP and prompts
    json start = json::parse(object, nullptr, false);
    json fields = json::object();
    fields["partition"] = process;
    fields["partition_seq"] = record->seq;
    if (start.is_object()) {
      fields["started_at"] = start.value("started_at", "");
      fields["provider"] = start.value("provider", "");
    }
    run_->trace.append_members(batch);  // what came before it, first
    batch.clear();
    run_->trace.append("partition_start", std::move(fields));
    return;
  }
  batch.emplace_back(record->type == "run_end" ? "partition_end" : record->type, prefix + record->members);
}

// ---- Leaving ---------------------------------------------------------------------------------

asio::awaitable<void> PopulationLink::leave(RunContext& run) {
  finish();
  if (!coordinator()) {
    stream_trace(true);
    json final = json::object();
    const auto& total = run.llm.ledger().total();
    final["final"] = true;
    final["reason"] = run.stop.reason;
    final["trace_bytes"] = tail_.offset();
    final["instances"] = plan_.instances(self_);
    final["turns"] = run.turns();
    final["messages"] = run.bus.published();
    final["deliveries"] = run.bus.delivered();
    final["sent"] = sent_;
    final["received"] = received_;
    final["usage"] = total.to_json();
    final["max_rss_kb"] = max_rss_kb();
    if (const char* worker = std::getenv("AGENTCO_WORKER_NAME")) final["worker"] = worker;
    report(std::move(final));
    left_ = true;
    mailroom_->close();
    co_return;
  }
  // The coordinator: "end" to every partition (again each second: core NATS may lose one),
  // then their last trace records and final reports, for at most 30 s.
  json end = json::object();
  end["end"] = run.stop.reason.empty() ? "failed" : run.stop.reason;
  end["detail"] = run.stop.detail;
  const std::string text = to_wire(end);
  const auto start = Clock::now();
  auto last_sent = Clock::time_point{};
  while (Clock::now() - start < std::chrono::seconds(30)) {
    bool all = true;
    for (int p = 1; p < plan_.processes(); ++p) {
      const Peer& peer = peers_[static_cast<std::size_t>(p)];
      all = all && (peer.final || peer.lost || !peer.ready);
    }
    if (all) break;
    if (Clock::now() - last_sent >= std::chrono::seconds(1)) {
      (void)nats_->publish_core(subject("ctl"), text);
      last_sent = Clock::now();
    }
    co_await sleep(std::chrono::milliseconds(5));
  }
  (void)nats_->publish_core(subject("ctl"), text);  // partitions still starting hear it too
  for (int p = 1; p < plan_.processes(); ++p) {
    const Peer& peer = peers_[static_cast<std::size_t>(p)];
    if (peer.ready && !peer.final && !peer.lost)
      say(fmt::format("partition {} sent no final report within 30 s; its last records may be missing", p));
    else if (peer.final && peer.final_report.value("trace_bytes", std::uint64_t{0}) > peer.trace_bytes)
      say(fmt::format("partition {}: {} bytes of its trace never arrived", p,
                      peer.final_report.value("trace_bytes", std::uint64_t{0}) - peer.trace_bytes));
  }
  withdraw_jobs();
  left_ = true;
  mailroom_->close();
}

json PopulationLink::meta() const {
  if (!coordinator()) return nullptr;
  json out = json::object();
  out["run_id"] = run_id_;
  out["partitions"] = plan_.partitions();
  json processes = json::array();
  std::uint64_t turns = 0, messages = 0, deliveries = 0, crossed = sent_;
  long calls = 0;
  double cost = 0;
  for (int p = 1; p < plan_.processes(); ++p) {
    const Peer& peer = peers_[static_cast<std::size_t>(p)];
    json entry = peer.final ? peer.final_report : json::object();
    entry["process"] = p;
    entry["lost"] = peer.lost;
    entry.erase("final");
    if (peer.final) {
      turns += entry.value("turns", std::uint64_t{0});
      messages += entry.value("messages", std::uint64_t{0});
      deliveries += entry.value("deliveries", std::uint64_t{0});
      crossed += entry.value("sent", std::uint64_t{0});
      calls += entry["usage"].value("calls", 0L);
      cost += entry["usage"].value("cost", 0.0);
    }
    processes.push_back(std::move(entry));
  }
  out["processes"] = std::move(processes);
  json all = json::object();
  all["turns"] = turns + static_cast<std::uint64_t>(run_ ? run_->turns() : 0);
  all["messages"] = messages + (run_ ? run_->bus.published() : 0);
  all["deliveries"] = deliveries + (run_ ? run_->bus.delivered() : 0);
  all["messages_across_processes"] = crossed;
  all["calls"] = calls + (run_ ? run_->llm.ledger().total().calls : 0);
  all["cost"] = cost + (run_ ? run_->llm.ledger().total().cost : 0.0);
  out["whole_team"] = std::move(all);
  out["waves"] = waves_;
  out["records_not_merged"] = unmerged_;
  return out;
}

}  // namespace

Status parse_partition_flag(const std::string& text, PopulationOptions& options) {
  const auto first = text.find('/'), second = text.rfind('/');
  auto bad = [&] {
    return make_error("usage",
                      "--partition " + text + ": expected RUN/K/N (a run id, this partition, of how many)");
  };
  if (first == std::string::npos || second == first) return bad();
  options.run_id = text.substr(0, first);
  const std::string k = text.substr(first + 1, second - first - 1), n = text.substr(second + 1);
  auto number = [](const std::string& s, int& out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
  };
  if (options.run_id.empty() || options.run_id.find_first_of(".*> ") != std::string::npos ||
      !number(k, options.process) || !number(n, options.partitions) || options.partitions < 1 ||
      options.process < 1 || options.process > options.partitions)
    return bad();
  return ok_status();
}

Result<std::unique_ptr<TeamSpread>> spread_population(const PopulationOptions& options, const Sop& sop) {
  if (std::none_of(sop.roles.begin(), sop.roles.end(), [](const RoleSpec& r) { return r.count > 1; }))
    return make_error("usage", "SOP " + sop.source +
                                   " has no population (a role with count: above 1) to spread over workers");
  PopulationOptions resolved = options;
  resolved.silence_s = options.nats.silence_s;
  if (resolved.process == 0 && resolved.run_id.empty()) resolved.run_id = new_experiment_id();
  auto mailroom = std::make_shared<Mailroom>();
  std::FILE* log = options.log;
  auto client = NatsClient::connect(
      options.nats,
      resolved.process == 0 ? "agentco run" : fmt::format("agentco partition {}", resolved.process),
      [mailroom](std::function<void()> f) { mailroom->post(std::move(f)); },
      [log](std::string line) {
        std::fprintf(log, "agentco: %s\n", line.c_str());
        std::fflush(log);
      });
  if (!client) return client.error();
  return std::unique_ptr<TeamSpread>(
      std::make_unique<PopulationLink>(resolved, sop, std::move(mailroom), std::move(*client)));
}

}  // namespace agentco
