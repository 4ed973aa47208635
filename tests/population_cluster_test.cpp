// A simulation's population spread over workers (cluster/population_run.hpp): the plan of
// who hosts what, the four-counter idle check, and end to end through the binary with a
// real nats-server and four worker processes: the town meeting ends idle with the same
// messages and recipients as a run in one process, and a worker killed mid-round ends the
// run as failed, naming the partition, with every record the others finished in the trace.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/partition_plan.hpp"
#include "cluster/termination.hpp"
#include "cluster/trace_merge.hpp"
#include "sop/sop.hpp"
#include "tests/support/nats_cluster.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::Cluster;
using testing::has;
using testing::kill_tree;
using testing::slurp;
using testing::spill;
using testing::wait_until;

RoleSpec role(const std::string& name, int count, int group_size, std::vector<std::string> topics,
              std::string publish_topic) {
  RoleSpec r;
  r.name = name;
  r.profile = name;
  r.count = count;
  r.group_size = group_size;
  r.topics = std::move(topics);
  r.publish_topic = std::move(publish_topic);
  return r;
}

Sop town(int citizens) {
  Sop sop;
  sop.name = "town";
  RoleSpec mayor = role("Mayor", 1, 1, {}, "town");
  mayor.watch = {kUserRequirement};
  sop.roles.push_back(mayor);
  sop.roles.push_back(role("Citizen", citizens, 10, {"town", "district-{group}"}, "district-{group}"));
  return sop;
}

TEST(PartitionPlan, EachProcessKnowsWhereEveryInstanceListenerAndPublisherIs) {
  const Sop sop = town(1000);
  const PartitionPlan plan(sop, 3);  // ranges [0,333) [333,666) [666,1000)
  EXPECT_EQ(plan.processes(), 4);
  EXPECT_EQ(plan.process_of("Mayor"), 0);
  EXPECT_EQ(plan.process_of("Citizen-0"), 1);
  EXPECT_EQ(plan.process_of("Citizen-332"), 1);
  EXPECT_EQ(plan.process_of("Citizen-333"), 2);
  EXPECT_EQ(plan.process_of("Citizen-999"), 3);
  for (const char* nobody : {"Citizen-1000", "Citizen--1", "Citizen-x", "Citizen-", "Nobody", "Mayor-0"})
    EXPECT_EQ(plan.process_of(nobody), -1) << nobody;
  for (const auto& instance : role_instances(sop.roles[1]))
    ASSERT_EQ(plan.process_of(instance), plan.process_of(instance.name)) << instance.name;
  EXPECT_EQ(plan.instances(0), 1);
  EXPECT_EQ(plan.instances(1) + plan.instances(2) + plan.instances(3), 1000);

  EXPECT_EQ(plan.topic_listeners("town"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(plan.topic_publishers("town"), (std::vector<int>{0}));
  EXPECT_EQ(plan.topic_listeners("district-0"), (std::vector<int>{1}));
  // District 33 (citizens 330-339) straddles processes 1 and 2: the one topic that crosses.
  EXPECT_EQ(plan.topic_listeners("district-33"), (std::vector<int>{1, 2}));
  EXPECT_EQ(plan.topic_publishers("district-33"), (std::vector<int>{1, 2}));
  EXPECT_EQ(plan.remote_topics(1), (std::vector<std::string>{"district-33", "town"}));
  EXPECT_EQ(plan.remote_topics(0), std::vector<std::string>{});
  EXPECT_EQ(plan.action_watchers(kUserRequirement), (std::vector<int>{0}));
  EXPECT_TRUE(plan.topic_listeners("nowhere").empty());

  // More partitions than instances: the extra ones host nothing.
  const PartitionPlan thin(town(2), 4);
  EXPECT_EQ(thin.instances(1) + thin.instances(2) + thin.instances(3) + thin.instances(4), 2);
}

TEST(TerminationDetector, IdleOnlyAfterTwoIdenticalQuietBalancedWaves) {
  TerminationDetector detector(3);
  const ProcessCounters quiet{5, 5, 0};
  detector.start_wave(1);
  EXPECT_FALSE(detector.answer(1, 0, {2, 0, 0}));
  EXPECT_FALSE(detector.answer(1, 1, {3, 5, 0}));
  EXPECT_FALSE(detector.answer(1, 2, {0, 0, 0}));  // complete, balanced, quiet: but the first
  EXPECT_EQ(detector.complete(), 1u);
  detector.start_wave(2);
  EXPECT_FALSE(detector.answer(2, 0, {2, 0, 0}));
  EXPECT_FALSE(detector.answer(2, 1, {3, 5, 0}));
  EXPECT_FALSE(detector.answer(1, 2, {0, 0, 0}));  // an answer to the old wave does not count
  EXPECT_TRUE(detector.answer(2, 2, {0, 0, 0}));
  EXPECT_TRUE(detector.idle());

  // A message in flight (sent, not yet received) keeps the team going, however still it looks.
  TerminationDetector flight(2);
  for (std::uint64_t wave = 1; wave <= 3; ++wave) {
    flight.start_wave(wave);
    (void)flight.answer(wave, 0, {1, 0, 0});
    EXPECT_FALSE(flight.answer(wave, 1, {0, 0, 0}));
  }
  // Still and unbalanced: a lost message, or a slow one (the coordinator gives it silence_s).
  EXPECT_TRUE(flight.stalled());
  for (std::uint64_t wave = 4; wave <= 5; ++wave) {  // it arrives after all
    flight.start_wave(wave);
    (void)flight.answer(wave, 0, {1, 0, 0});
    EXPECT_EQ(flight.answer(wave, 1, {0, 1, 0}), wave == 5);
    EXPECT_FALSE(flight.stalled());
  }
  // Pending deliveries keep it going; so do counters that moved between the waves.
  TerminationDetector busy(2);
  busy.start_wave(1);
  (void)busy.answer(1, 0, quiet);
  EXPECT_FALSE(busy.answer(1, 1, {5, 5, 2}));
  busy.start_wave(2);
  (void)busy.answer(2, 0, quiet);
  EXPECT_FALSE(busy.answer(2, 1, {5, 5, 2}));
  busy.start_wave(3);
  (void)busy.answer(3, 0, quiet);
  EXPECT_FALSE(busy.answer(3, 1, {6, 6, 0}));  // it worked meanwhile
  busy.start_wave(4);
  (void)busy.answer(4, 0, quiet);
  EXPECT_TRUE(busy.answer(4, 1, {6, 6, 0}));
}

TEST(TraceMerge, ARecordOfAnotherTraceIsAppendedWithItsFieldsAsTheyWereAndANewSeq) {
  testing::RunSandbox sandbox("trace_merge");
  auto theirs = TraceWriter::open(sandbox.file("theirs.jsonl"));
  ASSERT_TRUE(theirs);
  json fields = {{"id", "msg-7"},
                 {"content", "a \"quoted\", {braced} [text] with \\ and \u00e9"},
                 {"recipients", {"Citizen-1", "Citizen-2"}},
                 {"payload", {{"seq", 99}, {"nested", {{"ts", "x"}}}}},
                 {"n", 3.5},
                 {"ok", true},
                 {"none", nullptr}};
  (*theirs)->append("message", fields);
  const std::string line = slurp(sandbox.file("theirs.jsonl"));
  const auto crc = line.rfind(",\"crc\":\"");
  ASSERT_NE(crc, std::string::npos);
  auto record = split_trace_line(std::string(line, 0, crc) + "}");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->type, "message");
  EXPECT_EQ(record->seq, 1u);
  EXPECT_FALSE(has(record->members, "\"ts\":\"20"));  // its own ts left out; the payload's kept

  auto ours = TraceWriter::open(sandbox.file("ours.jsonl"));
  ASSERT_TRUE(ours);
  (*ours)->append("run_start", json::object());
  EXPECT_EQ((*ours)->append_members(record->type, "\"partition\":2," + record->members), 2u);
  auto merged = read_trace(sandbox.file("ours.jsonl"));  // checksums and seq hold
  ASSERT_TRUE(merged) << merged.error().message;
  json back = merged->records[1];
  EXPECT_EQ(back["type"], "message");
  EXPECT_EQ(back["partition"], 2);
  for (const auto& [key, value] : fields.items()) EXPECT_EQ(back[key], value) << key;
  // Several at once (a chunk of a partition's trace): one write, seqs in order.
  EXPECT_EQ((*ours)->append_members({{"message", record->members}, {"action_end", "\"role\":\"Mayor\""}}),
            4u);
  merged = read_trace(sandbox.file("ours.jsonl"));
  ASSERT_TRUE(merged) << merged.error().message;
  ASSERT_EQ(merged->records.size(), 4u);
  EXPECT_EQ(merged->records[3]["type"], "action_end");
  EXPECT_EQ(merged->records[3]["role"], "Mayor");

  for (const char* bad : {"", "[]", "{}", "{\"type\":\"a\"", "{\"seq\":1}", "{\"type\":1}", "{\"a\":\"x}"})
    EXPECT_FALSE(split_trace_line(bad)) << bad;
}

// ---- End to end ----

// The town meeting SOP with `citizens` citizens, as a file of the test's.
fs::path town_file(Cluster& cluster, int citizens) {
  std::string text = slurp(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "simulation_town.yaml");
  const std::string count = "count: 1000";
  text.replace(text.find(count), count.size(), "count: " + std::to_string(citizens));
  const fs::path file = cluster.sandbox().file("town.yaml");
  spill(file, text);
  return file;
}

std::vector<std::string> town_run(Cluster& cluster, const fs::path& sop, const std::string& warehouse,
                                  bool spread) {
  std::vector<std::string> args = {"run",         "--no-user-config",
                                   "--warehouse", cluster.sandbox().file(warehouse).string(),
                                   "--llm",       "mock",
                                   "--sop",       sop.string(),
                                   "--name",      warehouse};
  if (spread)
    args.insert(args.end(), {"--nats", cluster.nats().url(), "--partitions", "4", "--config",
                             cluster.sandbox().file("coordinator.yaml").string()});
  args.push_back("Should the town build a new bridge?");
  return args;
}

// The project folder a run printed on stdout.
fs::path folder_of(const testing::ProcessResult& run) {
  std::string out = run.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
}

// Four workers of one slot each; the coordinator (coordinator.yaml) says a partition silent
// for `silence_s` is lost.
std::vector<std::shared_ptr<testing::BackgroundProcess>> four_workers(Cluster& cluster, int silence_s,
                                                                      const std::vector<std::string>& env) {
  spill(cluster.sandbox().file("coordinator.yaml"),
        "nats:\n  silence_s: " + std::to_string(silence_s) + "\n");
  std::vector<std::shared_ptr<testing::BackgroundProcess>> workers;
  for (int w = 1; w <= 4; ++w) workers.push_back(cluster.worker(fmt::format("w{}", w), 1, env));
  return workers;
}

// Every message of a trace by its sender, with all its recipients: those where it was
// published and those another process delivered it to (remote_delivery).
std::map<std::string, std::set<std::string>> recipients_by_sender(const std::vector<json>& records) {
  std::map<std::string, std::string> sender_of;  // message id -> sender
  std::map<std::string, std::set<std::string>> out;
  for (const auto& r : records)
    if (r["type"] == "message") {
      sender_of[r["id"]] = r["sent_from"];
      for (const auto& name : r["recipients"]) out[r["sent_from"]].insert(name);
    }
  for (const auto& r : records)
    if (r["type"] == "remote_delivery")
      for (const auto& name : r["recipients"]) out[sender_of.at(r["id"])].insert(name);
  return out;
}

TEST(PopulationCluster, TheTownSpreadOverFourWorkersEndsIdleWithTheMessagesOfOneProcess) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("population_town");
  ASSERT_TRUE(cluster.ok());
  const fs::path sop = town_file(cluster, 200);
  const auto workers = four_workers(cluster, 5, {});
  auto options = cluster.sandbox().options(town_run(cluster, sop, "spread", true), {});
  options.timeout = std::chrono::seconds(90);
  const auto spread = testing::run_process(options);
  ASSERT_EQ(spread.exit_code, 0) << spread.err << cluster.said();
  EXPECT_TRUE(has(spread.err, "all 4 partitions joined")) << spread.err;
  EXPECT_TRUE(has(spread.err, "the whole team is idle")) << spread.err;
  options = cluster.sandbox().options(town_run(cluster, sop, "local", false), {});
  const auto local = testing::run_process(options);
  ASSERT_EQ(local.exit_code, 0) << local.err;

  const fs::path spread_folder = folder_of(spread), local_folder = folder_of(local);
  auto spread_trace = read_trace(spread_folder / "run.jsonl");  // one file, seq in order
  auto local_trace = read_trace(local_folder / "run.jsonl");
  ASSERT_TRUE(spread_trace) << spread_trace.error().message;
  ASSERT_TRUE(local_trace) << local_trace.error().message;

  // The same messages, each reaching the same recipients, as in one process.
  const auto spread_reach = recipients_by_sender(spread_trace->records);
  EXPECT_EQ(spread_reach.size(), 202u);  // the user, the mayor, 200 citizens
  EXPECT_EQ(spread_reach, recipients_by_sender(local_trace->records));

  // Each citizen spoke once, in its partition, after the mayor (the merged order is causal).
  std::map<std::string, int> spoke;
  std::size_t mayor_at = 0;
  for (std::size_t i = 0; i < spread_trace->records.size(); ++i) {
    const json& r = spread_trace->records[i];
    if (r["type"] != "message") continue;
    const std::string sender = r["sent_from"];
    if (sender == "Mayor") mayor_at = i;
    if (sender.rfind("Citizen-", 0) != 0) continue;
    ++spoke[sender];
    EXPECT_GT(i, mayor_at) << sender;
    const int instance = std::stoi(sender.substr(8));
    EXPECT_EQ(r.value("partition", 0), 1 + instance / 50) << sender;
  }
  EXPECT_EQ(spoke.size(), 200u);
  // Every record of every kind is there: as many of each as in one process (a record whose
  // last field is an object, like llm_response's usage, was once dropped by the merge).
  std::map<std::string, int> kinds, local_kinds;
  for (const auto& r : spread_trace->records) ++kinds[r["type"].get<std::string>()];
  for (const auto& r : local_trace->records) ++local_kinds[r["type"].get<std::string>()];
  for (const char* kind : {"message", "action_start", "llm_request", "llm_response", "action_end"})
    EXPECT_EQ(kinds[kind], local_kinds[kind]) << kind;
  EXPECT_EQ(kinds["llm_response"], 201);
  for (const auto& [citizen, times] : spoke) EXPECT_EQ(times, 1) << citizen;
  EXPECT_EQ(spread_trace->records.back()["type"], "run_end");
  EXPECT_EQ(spread_trace->records.back()["reason"], "idle");

  const json meta = json::parse(slurp(spread_folder / "meta.json"));
  const json local_meta = json::parse(slurp(local_folder / "meta.json"));
  EXPECT_EQ(meta["outcome"]["status"], "finished");
  EXPECT_EQ(meta["distributed"]["records_not_merged"], 0);
  const json& team = meta["distributed"]["whole_team"];
  EXPECT_EQ(team["turns"], local_meta["turns"]);
  EXPECT_EQ(team["messages"], local_meta["messages"]);
  EXPECT_EQ(team["deliveries"],
            2001);  // the idea to the mayor, the town to 200, each citizen to 9 neighbours
  EXPECT_EQ(team["calls"], 201);
  EXPECT_EQ(team["messages_across_processes"], 4);  // the town message, once to each partition
  ASSERT_EQ(meta["distributed"]["processes"].size(), 4u);
  for (const auto& p : meta["distributed"]["processes"]) {
    EXPECT_EQ(p["instances"], 50);
    EXPECT_EQ(p["turns"], 50);
    EXPECT_FALSE(p["lost"].get<bool>());
  }
}

TEST(PopulationCluster, AWorkerKilledMidRoundFailsTheRunNamingItsPartitionAndKeepsTheRest) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("population_kill");
  ASSERT_TRUE(cluster.ok());
  const fs::path sop = town_file(cluster, 200);
  // Each citizen's model call takes 1.5 s: the round is under way when the worker dies.
  const auto workers = four_workers(cluster, 3, {"AGENTCO_MOCK_LATENCY_MS=1500"});
  auto options = cluster.sandbox().options(town_run(cluster, sop, "spread", true), {});
  options.timeout = std::chrono::seconds(90);
  testing::BackgroundProcess coordinator(options);
  ASSERT_TRUE(wait_until([&] { return has(coordinator.err(), "runs Announce"); }, std::chrono::seconds(60)))
      << coordinator.err() << cluster.said();
  // w2's partition: whichever it took. Kill the worker and its partition at once.
  ASSERT_TRUE(
      wait_until([&] { return has(workers[1]->output_so_far(), "partition-"); }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill_tree(workers[1]->pid());
  const auto ended = coordinator.wait(std::chrono::seconds(60));
  EXPECT_EQ(ended.exit_code, 1) << ended.err << cluster.said();
  EXPECT_TRUE(has(ended.err, "(worker w2) stopped answering")) << ended.err;

  const fs::path folder = folder_of(ended);
  auto trace = read_trace(folder / "run.jsonl");
  ASSERT_TRUE(trace) << trace.error().message;
  EXPECT_EQ(trace->records.back()["type"], "run_end");
  EXPECT_EQ(trace->records.back()["reason"], "failed");
  const json meta = json::parse(slurp(folder / "meta.json"));
  EXPECT_EQ(meta["outcome"]["status"], "failed");

  // Nothing the surviving partitions finished is missing: every message in their own traces
  // (kept by their workers) is in the run's.
  std::set<std::string> merged;
  int lost_partition = 0;
  for (const auto& p : meta["distributed"]["processes"])
    if (p["lost"].get<bool>()) lost_partition = p["process"];
  EXPECT_GT(lost_partition, 0);
  for (const auto& r : trace->records)
    if (r["type"] == "message") merged.insert(r["id"].get<std::string>());
  int survivors = 0;
  for (int w : {1, 3, 4}) {
    const fs::path dir = cluster.workdir("w" + std::to_string(w));
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename() != "run.jsonl") continue;
      ++survivors;
      auto own = read_trace(it->path());
      ASSERT_TRUE(own) << own.error().message;
      int messages = 0;
      for (const auto& r : own->records)
        if (r["type"] == "message") {
          ++messages;
          EXPECT_TRUE(merged.count(r["id"].get<std::string>())) << r["id"] << " of " << it->path();
        }
      EXPECT_EQ(messages, 50) << "each surviving partition's citizens all spoke: " << it->path();
    }
  }
  EXPECT_EQ(survivors, 3);
  // The surviving partitions were told to stop, and their workers say their partitions ended.
  for (std::size_t w : {0u, 2u, 3u})
    EXPECT_TRUE(wait_until([&] { return has(workers[w]->output_so_far(), ": exit 1 after"); },
                           std::chrono::seconds(20)))
        << workers[w]->output_so_far();
}

}  // namespace
}  // namespace agentco
