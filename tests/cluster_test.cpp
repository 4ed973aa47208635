// The cluster (cluster/): NATS settings, what a job and a result carry, the trace tail, and
// end to end through the binary with a real nats-server (JetStream) on a loopback port, the
// fake model server and worker processes: an experiment spread over two workers whose
// folders equal the workers' own, and the fault cases — a worker killed mid-run, the NATS
// server restarted mid-experiment, a worker that never acknowledges, the coordinator
// interrupted. Skipped when nats-server is not installed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "cluster/file_tail.hpp"
#include "cluster/job.hpp"
#include "cluster/nats_client.hpp"
#include "cluster/nats_settings.hpp"
#include "config/config.hpp"
#include "core/secrets.hpp"
#include "replay/verify.hpp"
#include "tests/support/bench_runs.hpp"
#include "tests/support/nats_cluster.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::has;
using testing::RunSandbox;
using testing::slurp;
using testing::spill;

// ---- Settings, jobs, tail ----------------------------------------------------------------------

TEST(NatsSettings, TheFlagWinsAndErrorsNameTheFileAndLine) {
  RunSandbox sandbox("nats_settings");
  const fs::path file = sandbox.file("c.yaml");
  spill(file,
        "llm:\n  model: x\nnats:\n  url: nats://10.0.0.5:4222\n  ack_wait_s: 7\n  token: tok-s3cret-value\n");
  NatsSources sources;
  sources.config_file = file.string();
  sources.read_default_files = false;
  auto settings = load_nats_settings(sources);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->url, "nats://10.0.0.5:4222");
  EXPECT_EQ(settings->origin, file.string() + ":4");
  EXPECT_DOUBLE_EQ(settings->ack_wait_s, 7);
  EXPECT_EQ(scrub_secrets("token=tok-s3cret-value"), "token=***");  // never printed
  sources.url_flag = "nats://127.0.0.1:5000";
  EXPECT_EQ(load_nats_settings(sources)->url, "nats://127.0.0.1:5000");

  spill(file, "nats:\n  url: nats://h:1\n  ack_wiat_s: 3\n");
  auto typo = load_nats_settings(sources);
  ASSERT_FALSE(typo);
  EXPECT_TRUE(has(typo.error().message,
                  file.string() + ":3: unknown key 'nats.ack_wiat_s' (did you mean 'nats.ack_wait_s'?)"))
      << typo.error().message;
  spill(file, "nats:\n  cert_file: c.pem\n");
  EXPECT_TRUE(has(load_nats_settings(sources).error().message, "cert_file and key_file go together"));
  sources.url_flag = "http://127.0.0.1:4222";
  EXPECT_TRUE(has(load_nats_settings(sources).error().message, "--nats: expected nats://HOST:PORT"));
  sources.url_flag.clear();
  spill(file, "nats:\n  tls: true\n");
  EXPECT_TRUE(has(load_nats_settings(sources).error().message, "no NATS url"));

  // A run's own config skips the section: its token never reaches a trace.
  spill(file, "nats:\n  url: nats://h:1\n  token: tok-s3cret-value\nllm:\n  model: m\n");
  ConfigSources run_sources;
  run_sources.read_default_files = false;
  run_sources.config_file = file.string();
  auto config = load_config(run_sources);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(has(config->to_json(false).dump(), "tok-s3cret")) << config->to_json(false).dump();
  EXPECT_FALSE(has(config->to_json(false).dump(), "nats"));

  NatsSettings shown;
  shown.url = "nats://agent:pa55word-x@10.0.0.5:4222,nats://10.0.0.6:4222";
  EXPECT_EQ(shown.shown_url(), "nats://10.0.0.5:4222,nats://10.0.0.6:4222");
  // Every server's password is a secret, not only the first one's.
  sources.url_flag = "nats://a:first-pass-1@h1:4222,nats://b:second-pass-2@h2:4222";
  ASSERT_TRUE(load_nats_settings(sources));
  EXPECT_EQ(scrub_secrets("first-pass-1 second-pass-2"), "*** ***");
}

TEST(ClusterJob, AJobCarriesNoSecretAndRefusesWhatWouldEscapeTheWorkersFolder) {
  auto text = secretless_config(
      "llm:\n  model: m\n  api_key: sk-very-secret\n  proxy: http://u:p@proxy:8080\n"
      "models:\n  coder:\n    api_key: sk-other\n    model: c\n"
      "mcp_servers:\n  fs:\n    command: npx\n    env: {TOKEN: t-secret}\n    headers: {Authorization: b}\n"
      "nats:\n  token: nats-secret\n",
      "c.yaml");
  ASSERT_TRUE(text) << text.error().message;
  for (const char* gone : {"sk-very-secret", "sk-other", "proxy", "t-secret", "Authorization", "nats-secret"})
    EXPECT_FALSE(has(*text, gone)) << gone << " in\n" << *text;
  EXPECT_TRUE(has(*text, "model: m")) << *text;
  EXPECT_TRUE(has(*text, "command: npx")) << *text;

  ClusterJob job;
  job.experiment = "e1";
  job.index = 3;
  job.run_name = "p004_x_r1";
  job.idea = "-starts with a dash";
  job.sop_file = CarriedFile{"fast.yaml", "roles: []"};
  job.flags = {"--llm", "mock"};
  job.investment_usd = 0.5;
  auto back = ClusterJob::from_json(job.to_json().dump());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->idea, job.idea);
  EXPECT_EQ(back->sop_file->text, "roles: []");
  EXPECT_DOUBLE_EQ(back->investment_usd, 0.5);

  json bad = job.to_json();
  bad["sop_file"]["name"] = "../../etc/cron.d/x";
  EXPECT_FALSE(ClusterJob::from_json(bad.dump()));
  bad = job.to_json();
  bad["flags"] = {"--warehouse", "/"};
  EXPECT_FALSE(ClusterJob::from_json(bad.dump()));
  EXPECT_FALSE(ClusterJob::from_json("{not json"));
  EXPECT_FALSE(ClusterDone::from_json(R"({"index":1,"attempt":1,"exit_code":0,"folder":"../x"})"));

  auto subject = parse_run_subject("e1", trace_subject("e1", 12, 3));
  ASSERT_TRUE(subject);
  EXPECT_EQ(subject->kind, "trace");
  EXPECT_EQ(subject->index, 12);
  EXPECT_EQ(subject->attempt, 3u);
  EXPECT_EQ(parse_run_subject("e1", done_subject("e1", 4))->kind, "done");
  EXPECT_FALSE(parse_run_subject("e2", done_subject("e1", 4)));
  EXPECT_FALSE(parse_run_subject("e1", "agentco.runs.e1.trace.x.1"));

  // A worker named with bytes that are not UTF-8 still publishes its result.
  ClusterDone done;
  done.worker = "w\xff";
  done.error = "run failed: \xc3(";
  auto wire = ClusterDone::from_json(to_wire(done.to_json()));
  ASSERT_TRUE(wire) << wire.error().message;
  EXPECT_EQ(wire->worker, "w\xef\xbf\xbd");
}

TEST(FileTail, HandsOutWholeLinesOnceAndNeverMixesTwoFiles) {
  RunSandbox sandbox("file_tail");
  const fs::path file = sandbox.file("run.jsonl");
  FileTail tail(file);
  EXPECT_EQ(tail.peek(100), "");  // not there yet
  spill(file, "{\"a\":1}\n{\"b\":");
  EXPECT_EQ(tail.peek(100), "{\"a\":1}\n");
  tail.advance(8);
  EXPECT_EQ(tail.peek(100), "");               // the torn line waits
  EXPECT_EQ(tail.peek(100, true), "{\"b\":");  // unless the writer ended
  EXPECT_EQ(tail.peek(3), "{\"b");             // a chunk longer than the unfinished line is cut
  // A file put in its place (a resume's rebuilt trace) is not read after the first.
  fs::rename(file, sandbox.file("first.jsonl"));
  spill(file, "{\"new\":true}\n");
  EXPECT_EQ(tail.peek(100), "");
  // The file a worker wrote for a resume is not read at all; the one that replaces it is.
  struct stat st {};
  ::stat(file.c_str(), &st);
  FileTail fresh(file, st.st_ino);
  EXPECT_EQ(fresh.peek(100), "");
  fs::rename(file, sandbox.file("aside.jsonl"));
  spill(file, "{\"c\":3}\n");
  EXPECT_EQ(fresh.peek(100), "{\"c\":3}\n");
}

// ---- End to end ----

using testing::Cluster;
using testing::has_trace_of;
using testing::kill_tree;
using testing::wait_until;

long sum_of(const std::vector<std::map<std::string, std::string>>& rows, const std::string& column) {
  long total = 0;
  for (const auto& r : rows) total += std::stol(r.at(column));
  return total;
}

TEST(NatsClient, PublishesReadsBackAndFollowsInOrder) {
  SKIP_WITHOUT_NATS();
  testing::LoneNatsServer nats("nats_client");
  ASSERT_TRUE(nats.server.ok());
  NatsSettings& settings = nats.settings;
  std::vector<std::function<void()>> posted;
  auto client = NatsClient::connect(
      settings, "test", [&](std::function<void()> f) { posted.push_back(std::move(f)); }, [](std::string) {});
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE((*client)->ensure_jobs_stream());
  const std::string stream = runs_stream("e");
  ASSERT_TRUE((*client)->ensure_stream(stream, runs_filter("e")));
  ASSERT_TRUE((*client)->ensure_stream(stream, runs_filter("e")));  // there already: fine
  std::vector<std::uint64_t> sequences;
  for (int i = 0; i < 3; ++i) {
    auto sequence = (*client)->publish(trace_subject("e", 0, 1), "chunk" + std::to_string(i),
                                       {{"Agentco-Offset", "0"}}, "id" + std::to_string(i));
    ASSERT_TRUE(sequence) << sequence.error().message;
    sequences.push_back(*sequence);
  }
  EXPECT_EQ(sequences, (std::vector<std::uint64_t>{1, 2, 3}));
  auto again = (*client)->publish(trace_subject("e", 0, 1), "chunk0", {}, "id0");  // a retry: dropped
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 1u);
  ASSERT_TRUE((*client)->publish(trace_subject("e", 1, 1), "other run"));
  auto read = (*client)->read_all(stream, "agentco.runs.e.trace.0.*");
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[2].data(), "chunk2");
  EXPECT_EQ((*read)[0].header("Agentco-Offset"), "0");
  EXPECT_TRUE((*client)->read_all(stream, "agentco.runs.e.trace.7.*")->empty());
  // follow: each message reaches the handler only through `post`.
  std::vector<std::string> seen;
  ASSERT_TRUE((*client)->follow(stream, runs_filter("e"), [&](NatsMessage m) { seen.emplace_back(m.data()); }));
  ASSERT_TRUE(wait_until([&] { return posted.size() >= 4; }, std::chrono::seconds(10)));
  EXPECT_TRUE(seen.empty());
  for (auto& f : posted) f();
  EXPECT_EQ(seen, (std::vector<std::string>{"chunk0", "chunk1", "chunk2", "other run"}));

  // Once the experiment's stream is deleted, a publish says so with its own code.
  ASSERT_TRUE((*client)->delete_stream(stream));
  auto gone = (*client)->publish(done_subject("e", 0), "{}");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, kNoStream) << gone.error().message;
  auto last = (*client)->last(stream, done_subject("e", 0));
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_FALSE(*last);
}

// Two experiments share the jobs queue. One withdrawing its jobs (Ctrl-C) leaves the other's
// waiting job to be delivered. (A subject purge would not: nats-server 2.9 moves every consumer
// past it.)
TEST(NatsClient, AWithdrawnJobLeavesTheOtherExperimentsJobsInTheQueue) {
  SKIP_WITHOUT_NATS();
  testing::LoneNatsServer nats("nats_withdraw");
  ASSERT_TRUE(nats.server.ok());
  NatsSettings& settings = nats.settings;
  auto post = [](std::function<void()>) {};
  auto coordinator = NatsClient::connect(settings, "coordinator", post, [](std::string) {});
  auto worker = NatsClient::connect(settings, "worker", post, [](std::string) {});
  ASSERT_TRUE(coordinator && worker);
  ASSERT_TRUE((*coordinator)->ensure_jobs_stream());
  ASSERT_TRUE((*worker)->bind_jobs(30));
  auto b = (*coordinator)->publish(jobs_subject("b"), "job of b");
  auto a1 = (*coordinator)->publish(jobs_subject("a"), "job 1 of a");
  auto a2 = (*coordinator)->publish(jobs_subject("a"), "job 2 of a");
  ASSERT_TRUE(b && a1 && a2);
  ASSERT_TRUE((*coordinator)->delete_message(kJobsStream, *a1));
  ASSERT_TRUE((*coordinator)->delete_message(kJobsStream, *a2));
  ASSERT_TRUE((*coordinator)->delete_message(kJobsStream, *a2));  // gone already: fine
  std::vector<std::string> taken;
  for (int i = 0; i < 50 && taken.empty(); ++i) {
    auto pulled = (*worker)->fetch_jobs(5);
    ASSERT_TRUE(pulled) << pulled.error().message;
    for (auto& m : *pulled) {
      taken.emplace_back(m.data());
      (void)m.ack();
    }
    if (taken.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(taken, (std::vector<std::string>{"job of b"}));
}

TEST(NatsClient, ASlowConsumerIsSaidPlainly) {
  SKIP_WITHOUT_NATS();
  testing::LoneNatsServer nats("nats_slow");
  ASSERT_TRUE(nats.server.ok());
  NatsSettings& settings = nats.settings;
  std::mutex m;
  std::vector<std::string> said;
  // The owner takes each message slowly (its loop is busy): the client's buffer overflows.
  auto slow = [](std::function<void()> f) {
    std::this_thread::sleep_for(std::chrono::microseconds(20));
    f();
  };
  auto reader = NatsClient::connect(settings, "slow", slow, [&](std::string line) {
    std::lock_guard lock(m);
    said.push_back(std::move(line));
  });
  auto writer = NatsClient::connect(
      settings, "fast", [](std::function<void()> f) { f(); }, [](std::string) {});
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE((*reader)->subscribe("flood", [](NatsMessage) {}));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 300000; ++i) (void)(*writer)->publish_core("flood", "x");
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(m);
        for (const auto& line : said)
          if (has(line, "slow consumer on flood")) return true;
        return false;
      },
      std::chrono::seconds(30)));
}

TEST(Cluster, TwoWorkersRunTwentyPromptsAndTheFoldersEqualTheWorkersOwn) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_two");
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 2);
  auto w2 = cluster.worker("w2", 2);
  std::vector<std::string> prompts;
  for (int i = 1; i <= 20; ++i) prompts.push_back("add " + std::to_string(i) + " numbers");
  const auto result = testing::run_process(cluster.bench(prompts));
  ASSERT_EQ(result.exit_code, 0) << result.err << cluster.said();
  EXPECT_TRUE(has(result.err, "2 workers (4 slots)")) << result.err;
  EXPECT_TRUE(has(result.err, "20 of 20 runs finished")) << result.err;

  const auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 20u);
  auto kept = cluster.kept("w1");
  kept.merge(cluster.kept("w2"));
  EXPECT_EQ(kept.size(), 20u);
  std::set<std::string> by;
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("status"), "finished") << row.at("error");
    EXPECT_EQ(row.at("verdict"), "passed");
    const fs::path folder = row.at("folder");
    ASSERT_TRUE(kept.count(folder.filename().string())) << folder;
    const fs::path original = kept[folder.filename().string()];
    // Files and git trees, then the trace and meta.json byte for byte.
    const auto differences = compare_projects(original, folder);
    EXPECT_TRUE(differences.empty()) << folder << ": " << differences.front();
    EXPECT_EQ(slurp(original / "run.jsonl"), slurp(folder / "run.jsonl")) << folder;
    EXPECT_EQ(slurp(original / "meta.json"), slurp(folder / "meta.json")) << folder;
    by.insert(original.string().find("worker-w1") != std::string::npos ? "w1" : "w2");
  }
  EXPECT_EQ(by.size(), 2u) << "both workers took runs";
  // A coordinator's folder replays and verifies like a local one.
  auto verify = cluster.sandbox().options(
      {"replay", rows[0].at("folder"), "--verify", "--out", (cluster.sandbox().root() / "verify").string()},
      {});
  verify.timeout = std::chrono::milliseconds(60000);
  const auto replayed = testing::run_process(verify);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_TRUE(has(replayed.err, "identical")) << replayed.err;
  EXPECT_FALSE(fs::exists(cluster.out() / ".incoming"));
}

TEST(Cluster, AWorkerKilledMidRunLosesNothingAndNoFinishedCallIsPaidTwice) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_kill", {{"first_token_ms", 150}});
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 1);
  testing::BackgroundProcess bench(cluster.bench({"add two numbers", "add three numbers"}));
  ASSERT_TRUE(bench.started());
  // Once w1's run has several calls in its trace, and the worker had a few ticks (0.1 s each)
  // to stream them, the machine dies: the worker and its runs.
  ASSERT_TRUE(
      wait_until([&] { return has_trace_of(cluster.workdir("w1"), 60000); }, std::chrono::seconds(60)))
      << bench.err() << cluster.said();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill_tree(w1->pid());
  auto w2 = cluster.worker("w2", 2);
  const auto result = bench.wait(std::chrono::seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err << cluster.said();
  const auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.at("status"), "finished") << row.at("error");
  w2->signal(SIGINT);
  const auto w2_log = w2->wait(std::chrono::seconds(30)).err;
  EXPECT_TRUE(has(w2_log, "resuming from")) << w2_log << "\n--- w1:\n" << w1->err();
  // What was asked again: the calls w1's run had asked that were not answered in the trace
  // it streamed (in flight at the kill, or answered within its last tick), and no other.
  const long calls = sum_of(rows, "calls");
  const long served = static_cast<long>(cluster.server().requests().size());
  std::smatch at;
  ASSERT_TRUE(std::regex_search(w2_log, at, std::regex("resuming from (\\d+) bytes"))) << w2_log;
  const std::size_t streamed = std::stoul(at[1]);
  const auto kept = cluster.kept("w1");
  ASSERT_EQ(kept.size(), 1u);
  const std::string local = slurp(kept.begin()->second / "run.jsonl");
  ASSERT_GE(local.size(), streamed);
  auto count = [](const std::string& text, const std::string& what) {
    long n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const long asked_before = count(local, "\"type\":\"llm_request\"");
  const long answered_and_streamed = count(local.substr(0, streamed), "\"type\":\"llm_response\"");
  EXPECT_GE(answered_and_streamed, 5) << "the kill came after several answers were streamed";
  EXPECT_GE(served, calls);
  EXPECT_LE(served - calls, asked_before - answered_and_streamed)
      << "a call whose answer was streamed was paid again (asked before the kill: " << asked_before
      << ", answered in the streamed trace: " << answered_and_streamed << ")";
}

TEST(Cluster, TheNatsServerRestartedMidExperimentLosesNothing) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_restart", {{"first_token_ms", 60}});
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 2);
  testing::BackgroundProcess bench(
      cluster.bench({"add two numbers", "add three numbers", "add four numbers", "add five numbers"}));
  ASSERT_TRUE(
      wait_until([&] { return has_trace_of(cluster.workdir("w1"), 20000); }, std::chrono::seconds(60)))
      << bench.err() << cluster.said();
  cluster.nats().restart();
  ASSERT_TRUE(cluster.nats().ok());
  const auto result = bench.wait(std::chrono::seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err << cluster.said();
  EXPECT_TRUE(has(result.err, "reconnected to NATS")) << result.err;
  const auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("status"), "finished") << row.at("error");
    const fs::path folder = row.at("folder");
    const auto kept = cluster.kept("w1");
    ASSERT_TRUE(kept.count(folder.filename().string())) << folder;
    EXPECT_TRUE(compare_projects(kept.at(folder.filename().string()), folder).empty()) << folder;
  }
}

TEST(Cluster, AWorkerThatNeverAcknowledgesHasItsJobResumedElsewhere) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_hang", {{"first_token_ms", 100}});
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 1);
  testing::BackgroundProcess bench(cluster.bench({"add two numbers"}));
  ASSERT_TRUE(
      wait_until([&] { return has_trace_of(cluster.workdir("w1"), 20000); }, std::chrono::seconds(60)))
      << bench.err() << cluster.said();
  w1->signal(SIGSTOP);  // hung: no progress, no acknowledgement, no result
  auto w2 = cluster.worker("w2", 1);
  const auto result = bench.wait(std::chrono::seconds(90));
  w1->signal(SIGCONT);
  ASSERT_EQ(result.exit_code, 0) << result.err << cluster.said();
  const auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "finished") << rows[0].at("error");
  w2->signal(SIGINT);
  EXPECT_TRUE(has(w2->wait(std::chrono::seconds(30)).err, "attempt 2")) << "w2 took the redelivered job";
}

TEST(Cluster, CtrlCOnAWorkerGivesItsRunsBackToBeResumedElsewhere) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_worker_sigint", {{"first_token_ms", 100}});
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 1);
  testing::BackgroundProcess bench(cluster.bench({"add two numbers"}));
  ASSERT_TRUE(
      wait_until([&] { return has_trace_of(cluster.workdir("w1"), 20000); }, std::chrono::seconds(60)))
      << bench.err() << cluster.said();
  w1->signal(SIGINT);
  const auto w1_log = w1->wait(std::chrono::seconds(40)).err;
  EXPECT_TRUE(has(w1_log, "given back to the cluster")) << w1_log;
  auto w2 = cluster.worker("w2", 1);
  const auto result = bench.wait(std::chrono::seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err << cluster.said();
  const auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "finished") << rows[0].at("error");
  w2->signal(SIGINT);
  const auto w2_log = w2->wait(std::chrono::seconds(30)).err;
  EXPECT_TRUE(has(w2_log, "resuming from")) << w2_log;
}

TEST(Cluster, CtrlCOnTheCoordinatorStopsItsRunsOnTheWorkersAndKeepsWhatFinished) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_sigint", {{"first_token_ms", 100}});
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 1);
  testing::BackgroundProcess bench(
      cluster.bench({"add two numbers", "add three numbers", "add four numbers", "add five numbers"}));
  ASSERT_TRUE(wait_until(
      [&] {
        return fs::exists(cluster.out() / "results.csv") && testing::results_of(cluster.out()).size() >= 1;
      },
      std::chrono::seconds(60)))
      << bench.err() << cluster.said();
  bench.signal(SIGINT);
  const auto result = bench.wait(std::chrono::seconds(90));
  EXPECT_EQ(result.exit_code, 130) << result.err << cluster.said();
  const auto rows = testing::results_of(cluster.out());
  ASSERT_GE(rows.size(), 1u);
  ASSERT_LE(rows.size(), 3u);  // the last prompts never started
  EXPECT_EQ(rows[0].at("status"), "finished");
  for (std::size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].at("status"), "stopped") << rows[i].at("error");
  // A run stopped before it made its folder has none; every other has its trace.
  for (const auto& row : rows) {
    if (!row.at("folder").empty() || row.at("status") == "finished") {
      EXPECT_TRUE(fs::exists(fs::path(row.at("folder")) / "run.jsonl")) << row.at("folder");
    }
  }
  EXPECT_EQ(json::parse(slurp(cluster.out() / "results.json"))["experiment"]["stopped"], "interrupted");
  // The worker stays, ready for the next experiment.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(::kill(w1->pid(), 0), 0);
  w1->signal(SIGINT);
  const auto log = w1->wait(std::chrono::seconds(30)).err;
  EXPECT_TRUE(has(log, "stopped by its coordinator")) << log;
}

TEST(Cluster, TheSopAndConfigFilesTravelWithTheJobsAndTheBudgetHoldsAsLocally) {
  SKIP_WITHOUT_NATS();
  Cluster cluster("cluster_files");
  ASSERT_TRUE(cluster.ok());
  auto w1 = cluster.worker("w1", 1);
  // A SOP file the workers do not have: it travels in the job.
  spill(cluster.sandbox().file("mine.yaml"),
        slurp(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "software_company.yaml"));
  const auto ran = testing::run_process(
      cluster.bench({"add two numbers"}, {"--sop", cluster.sandbox().file("mine.yaml").string()}));
  ASSERT_EQ(ran.exit_code, 0) << ran.err << cluster.said();
  auto rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("variant"), "mine");
  EXPECT_EQ(rows[0].at("status"), "finished") << rows[0].at("error");

  // Priced so that the first call's worst case is beyond the budget; the pricing reaches the
  // workers in the --config file the jobs carry. One slot: the others are never launched.
  spill(cluster.sandbox().file("fast.yaml"),
        std::string(testing::kFastConfig) + "pricing:\n  fake-model: {prompt: 1.0, completion: 1.0}\n");
  fs::remove_all(cluster.out());
  auto budget_options =
      cluster.bench({"add two numbers", "add three numbers", "add four numbers"}, {"--budget", "0.001"});
  const auto budget = testing::run_process(budget_options);
  EXPECT_EQ(budget.exit_code, 3) << budget.err << cluster.said();
  EXPECT_TRUE(has(budget.err, "budget reached")) << budget.err;
  rows = testing::results_of(cluster.out());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("exit_code"), "3");
  EXPECT_EQ(rows[0].at("outcome"), "budget");
  const auto j = json::parse(slurp(cluster.out() / "results.json"));
  EXPECT_EQ(j["experiment"]["stopped"], "budget");
  EXPECT_EQ(j["experiment"]["launched"], 1);
}

TEST(Cluster, AnUnreachableServerIsOneMessageAndExit2) {
  SKIP_WITHOUT_NATS();
  RunSandbox sandbox("cluster_unreachable");
  const std::string url = "nats://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  auto worker = testing::run_process(sandbox.options({"worker", "--nats", url, "--no-user-config"}, {}));
  EXPECT_EQ(worker.exit_code, 2);
  EXPECT_TRUE(has(worker.err, "cannot connect to NATS at " + url)) << worker.err;
  spill(sandbox.work() / "p.txt", "add two numbers\n");
  auto bench = testing::run_process(
      sandbox.options({"bench", "p.txt", "--llm", "mock", "--no-user-config", "--nats", url}, {}));
  EXPECT_EQ(bench.exit_code, 2);
  EXPECT_TRUE(has(bench.err, "cannot connect to NATS at " + url)) << bench.err;
}

}  // namespace
}  // namespace agentco
