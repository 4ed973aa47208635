// agentco replay of runs recorded against the fake-llm-server program (real HTTP, streaming,
// latency, faults): the replay's files and git trees are byte-identical to the recording's
// (`replay --verify --strict` through the binary, and replay/verify.hpp in process), the
// model answers land in the recorded completion order even when files were coded
// concurrently and finished out of request order, a fault the client retried in the recording
// changes nothing, a run that stopped replays to the same stop, and a replay sends the server
// nothing (it is stopped first, or its request log does not grow).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/verify.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/scripted_project.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

// One review round and one test round; retries quick.
constexpr const char* kConfig =
    "llm:\n"
    "  timeout_connect_s: 2\n"
    "  timeout_first_byte_s: 5\n"
    "  timeout_idle_s: 5\n"
    "  timeout_total_s: 30\n"
    "  max_retries: 2\n"
    "  retry_base_s: 0.05\n"
    "  retry_max_s: 0.2\n"
    "run:\n"
    "  code_review_rounds: 1\n"
    "  test_rounds: 1\n";

using testing::has;

// The fake server's requests other than its own log reads (GET /_fake/...).
std::size_t model_requests(const FakeServerProcess& server) {
  std::size_t count = 0;
  for (const auto& entry : server.requests())
    if (!entry.value("target", "").starts_with("/_fake")) ++count;
  return count;
}

// The files whose code calls were answered, in the order the answers were traced.
std::vector<std::string> code_completion_order(const AgentcoRun& run) {
  std::map<long, std::string> file_of;
  for (const auto& r : run.of_type("llm_request")) {
    const json hints = r.value("hints", json::object());
    if (hints.value("kind", "") == "code") file_of[r.value("call_id", -1L)] = hints.value("file", "");
  }
  std::vector<std::string> order;
  for (const auto& r : run.trace)
    if (r.value("type", "") == "llm_response")
      if (auto it = file_of.find(r.value("call_id", -1L)); it != file_of.end()) order.push_back(it->second);
  return order;
}

// True when some code call was sent before an earlier code call was answered.
bool code_calls_overlapped(const AgentcoRun& run) {
  std::set<long> open;
  std::set<long> code;
  for (const auto& r : run.of_type("llm_request"))
    if (r.value("hints", json::object()).value("kind", "") == "code") code.insert(r.value("call_id", -1L));
  for (const auto& r : run.trace) {
    const std::string type = r.value("type", "");
    const long id = r.value("call_id", -1L);
    if (!code.count(id)) continue;
    if (type == "llm_request") {
      if (!open.empty()) return true;
      open.insert(id);
    } else if (type == "llm_response" || type == "llm_error") {
      open.erase(id);
    }
  }
  return false;
}

class ReplayFakeServer : public ::testing::Test {
 protected:
  ReplayFakeServer() : sandbox_("replay_fake") { testing::spill(sandbox_.file("config.yaml"), kConfig); }

  void start_server(const testing::ScriptOptions& options, int files) {
    const std::string script = testing::scripted_project_script(testing::scripted_project(files), options).dump();
    server_ = std::make_unique<FakeServerProcess>(sandbox_.root() / "server", FakeServerProcess::Options{script, "", false});
    ASSERT_TRUE(server_->ok());
  }

  AgentcoRun record(const std::string& idea) {
    return sandbox_.run(server_->base_url(), idea, {"--config", sandbox_.file("config.yaml").string(), "-q"});
  }

  // `agentco replay <folder> --out <sandbox>/replayed --verify --strict`, collected.
  AgentcoRun replay(const AgentcoRun& original) {
    return sandbox_.collect(testing::run_process(sandbox_.options(
        {"replay", original.folder.string(), "--out", sandbox_.file("replayed").string(), "--verify", "--strict"},
        {})));
  }

  // The replay equals the recording: --verify says so, replay/verify.hpp finds no difference,
  // every model call and process came from the recording, none went live.
  void expect_identical(const AgentcoRun& original, const AgentcoRun& replayed, int exit_code = 0) {
    ASSERT_EQ(replayed.process.exit_code, exit_code) << replayed.describe();
    EXPECT_TRUE(has(replayed.process.err, "verify: files and git trees are identical")) << replayed.process.err;
    EXPECT_TRUE(has(replayed.process.err, " 0 live calls")) << replayed.process.err;
    EXPECT_FALSE(has(replayed.process.err, "matched by role/action/order")) << replayed.process.err;
    ASSERT_EQ(replayed.folder, sandbox_.file("replayed"));
    const auto differences = compare_projects(original.folder, replayed.folder);
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
    const std::size_t calls =
        original.of_type("llm_response").size() + original.of_type("llm_error").size();
    EXPECT_TRUE(has(replayed.process.err, "replay: " + std::to_string(calls) + " model calls and " +
                                              std::to_string(original.of_type("process").size()) +
                                              " processes answered from the recording"))
        << replayed.process.err;
    for (const auto& p : replayed.of_type("process")) EXPECT_TRUE(p.value("replayed", false)) << p.dump();
    EXPECT_EQ(replayed.of_type("commit").size(), original.of_type("commit").size());
    EXPECT_EQ(code_completion_order(replayed), code_completion_order(original));
    ASSERT_FALSE(replayed.trace.empty());
    EXPECT_TRUE(replayed.trace.front().value("replay_of", json()).is_object());
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(ReplayFakeServer, AThreeFileRunReplaysByteIdenticalWithTheServerStopped) {
  testing::ScriptOptions options;
  options.ttft_ms = 20;
  options.tokens_per_second = 2000;
  start_server(options, 3);
  AgentcoRun original = record("a project of 3 files");
  ASSERT_EQ(original.process.exit_code, 0) << original.describe();
  testing::expect_work_kept(original, "idle");
  ASSERT_FALSE(original.of_type("process").empty()) << "QA ran nothing: no process to replay";

  server_.reset();  // nothing listens any more: a replay that asked the network would fail
  AgentcoRun replayed = replay(original);
  expect_identical(original, replayed);
  testing::expect_work_kept(replayed, "idle");
}

TEST_F(ReplayFakeServer, ParallelCodingReplaysInTheRecordedCompletionOrder) {
  // utils.py and config.py are coded at once; utils is slow, so config is answered first
  // although (in task-list order) utils was asked first.
  testing::ScriptOptions options;
  options.code_latency["utils"] = {{"first_token_ms", 700}};
  options.code_latency["view"] = {{"first_token_ms", 300}};
  start_server(options, 6);
  AgentcoRun original = record("a project of 6 files");
  ASSERT_EQ(original.process.exit_code, 0) << original.describe();
  ASSERT_TRUE(code_calls_overlapped(original)) << "no two files were coded at once";
  const auto order = code_completion_order(original);
  ASSERT_GE(order.size(), 6u);
  const auto position = [&](const std::string& file) { return std::find(order.begin(), order.end(), file) - order.begin(); };
  ASSERT_LT(position("config.py"), position("utils.py")) << ::testing::PrintToString(order);

  const std::size_t before = model_requests(*server_);
  AgentcoRun replayed = replay(original);
  expect_identical(original, replayed);
  EXPECT_EQ(model_requests(*server_), before) << "the replay asked the fake server";
  // Same commits in the same order, file by file.
  std::vector<std::string> original_commits, replayed_commits;
  for (const auto& c : original.of_type("commit")) original_commits.push_back(c.value("message", ""));
  for (const auto& c : replayed.of_type("commit")) replayed_commits.push_back(c.value("message", ""));
  EXPECT_EQ(replayed_commits, original_commits);
}

TEST_F(ReplayFakeServer, ARetried500DuringParallelCodingReplaysIdenticallyWithoutAskingTheServer) {
  testing::ScriptOptions options;
  options.first_rules.push_back({{"match", {{"regex", "Write the complete code of config\\.py"}}},
                                 {"fault", "http_500"},
                                 {"times", 1},
                                 {"reply", "unused"}});
  start_server(options, 6);
  AgentcoRun original = record("a project of 6 files");
  ASSERT_EQ(original.process.exit_code, 0) << original.describe();
  EXPECT_EQ(server_->answered_by(0), 1) << "the fault was not served";
  EXPECT_TRUE(has(original.process.err, "HTTP 500")) << original.process.err;

  const std::size_t before = model_requests(*server_);
  AgentcoRun replayed = replay(original);
  expect_identical(original, replayed);
  EXPECT_FALSE(has(replayed.process.err, "HTTP 500")) << "the replay retried against the network";
  EXPECT_EQ(model_requests(*server_), before) << "the replay asked the fake server";
}

TEST_F(ReplayFakeServer, ACutOffReplyAskedForAgainReplaysIdenticallyWithTheServerStopped) {
  testing::ScriptOptions options;
  options.first_rules.push_back({{"match", {{"regex", "Write the complete code of main\\.py"}}},
                                 {"fault", "finish_length"},
                                 {"times", 1},
                                 {"reply", "print('a reply long enough to be cut in half')\n"}});
  start_server(options, 3);
  AgentcoRun original = record("a project of 3 files");
  ASSERT_EQ(original.process.exit_code, 0) << original.describe();
  EXPECT_EQ(server_->answered_by(0), 1) << "the cut-off was not served";
  // The second try is a call of its own in the trace, with twice the max_tokens.
  int asked_again = 0;
  for (const auto& r : original.of_type("llm_request"))
    if (r.value("hints", json::object()).value("asked_again_after_cut_off", false)) {
      ++asked_again;
      EXPECT_EQ(r["request"].value("max_tokens", 0), 8192);
    }
  EXPECT_EQ(asked_again, 1);

  server_.reset();
  AgentcoRun replayed = replay(original);
  expect_identical(original, replayed);
  testing::expect_work_kept(replayed, "idle");
}

TEST_F(ReplayFakeServer, ARunStoppedByA502ThatStayedReplaysToTheSameStop) {
  testing::ScriptOptions options;
  options.first_rules.push_back({{"match", {{"action", "WriteDesign"}}}, {"fault", "http_502"}, {"reply", "unused"}});
  start_server(options, 3);
  AgentcoRun original = record("a project of 3 files");
  ASSERT_EQ(original.process.exit_code, 1) << original.describe();
  testing::expect_work_kept(original, "failed");

  server_.reset();
  AgentcoRun replayed = replay(original);
  expect_identical(original, replayed, 1);
  testing::expect_work_kept(replayed, "failed");
  EXPECT_EQ(replayed.meta["outcome"].value("detail", ""), original.meta["outcome"].value("detail", ""));
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
