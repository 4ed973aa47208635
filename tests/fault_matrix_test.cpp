// The fault matrix: the real agentco binary against the fake-llm-server program over
// loopback, one run per fault the real world throws at a model client. Each run must end
// either completed (exit 0) or stopped cleanly with a precise message (exit 1), and lose
// nothing it finished: trace records, documents, files, commits (expect_work_kept).
//
// The project is tiny (calc.py + main.py) and the deadlines and backoff are short (a config
// file below), so that each run takes seconds. Faults that a retry cures are scripted for
// one request (`times: 1`); faults that stay are scripted for every request of one action.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::expect_work_kept;
using testing::FakeServerProcess;
using testing::RunSandbox;

constexpr const char* kIdea = "a tiny calculator that adds two numbers";

// Short deadlines and backoff: a fault costs about a second, the matrix well under two minutes.
constexpr const char* kFastConfig =
    "llm:\n"
    "  timeout_connect_s: 2\n"
    "  timeout_first_byte_s: 1\n"
    "  timeout_idle_s: 1\n"
    "  timeout_total_s: 30\n"
    "  max_retries: 2\n"
    "  retry_base_s: 0.05\n"
    "  retry_max_s: 0.2\n"
    "run:\n"
    "  code_review_rounds: 1\n"
    "  test_rounds: 1\n";

std::string content(const json& j) { return "[CONTENT]\n" + j.dump(2) + "\n[/CONTENT]"; }
std::string fenced(const std::string& code) { return "```python\n" + code + "```"; }

json rule(const json& match, const std::string& reply) {
  json r = {{"reply", reply}};
  if (!match.is_null()) r["match"] = match;
  return r;
}

const std::string kCalc = "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n";
const std::string kMain =
    "from calc import add\n\n\ndef main():\n    print(add(2, 3))\n\n\nif __name__ == \"__main__\":\n    main()\n";
const std::string kTestCalc =
    "import unittest\n\nfrom calc import add\n\n\nclass TestAdd(unittest.TestCase):\n    def test_add(self):\n"
    "        self.assertEqual(add(2, 3), 5)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";

json prd() {
  return {{"Language", "en_us"},
          {"Programming Language", "Python"},
          {"Original Requirements", kIdea},
          {"Project Name", "tiny_calc"},
          {"Product Goals", {"Add two numbers correctly"}},
          {"User Stories", {"As a user, I want to add two numbers"}},
          {"Competitive Analysis", {"bc: a shell calculator"}},
          {"Competitive Quadrant Chart",
           "quadrantChart\n    title Calculators\n    x-axis Low Reach --> High Reach\n    y-axis Low --> High\n"
           "    quadrant-1 Expand\n    quadrant-2 Promote\n    quadrant-3 Re-evaluate\n    quadrant-4 Improve\n"
           "    bc: [0.3, 0.6]\n    Our Target Product: [0.5, 0.6]"},
          {"Requirement Analysis", "One function, add."},
          {"Requirement Pool", json::array({json::array({"P0", "add(a, b) returns a + b"})})},
          {"UI Design draft", "Command line; prints the sum."},
          {"Anything UNCLEAR", ""}};
}

json design() {
  return {{"Implementation approach", "Plain Python, no third-party packages."},
          {"File list", {"main.py", "calc.py"}},
          {"Data structures and interfaces", "classDiagram\n    class Calc {\n        +add(a: int, b: int) int\n    }"},
          {"Program call flow", "sequenceDiagram\n    participant M as Main\n    participant C as Calc\n    M->>C: add(2, 3)"},
          {"Anything UNCLEAR", ""}};
}

json tasks() {
  return {{"Required packages", json::array()},
          {"Required Other language third-party packages", json::array()},
          {"Logic Analysis", json::array({json::array({"calc.py", "Contains add(a, b). Imports nothing."}),
                                          json::array({"main.py", "Imports add from calc.py; prints add(2, 3)."})})},
          {"Task list", {"calc.py", "main.py"}},
          {"Full API spec", ""},
          {"Shared Knowledge", ""},
          {"Anything UNCLEAR", ""}};
}

// The whole project's replies, after `faults` (which come first and so win while they last).
std::string script(const json& faults) {
  json rules = json::array();
  for (const auto& r : faults) rules.push_back(r);
  rules.push_back(rule({{"action", "WritePRD"}}, content(prd())));
  rules.push_back(rule({{"action", "WriteDesign"}}, content(design())));
  rules.push_back(rule({{"action", "WriteTasks"}}, content(tasks())));
  rules.push_back(rule({{"action", "WriteManual"}}, "# tiny_calc\n\nRun `python3 main.py`.\n"));
  rules.push_back(rule({{"regex", "Decide what to do about the failures"}},
                       content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "unexpected"}})));
  rules.push_back(rule({{"regex", "Summarize the project"}},
                       content({{"Summary", "calc.py adds; main.py prints the sum."}, {"TODOs", json::array()}})));
  rules.push_back(rule({{"regex", "Write tests/test_\\w+\\.py"}}, fenced(kTestCalc)));
  rules.push_back(rule({{"regex", "Review \\S+\\.py"}}, "## Code Review Result\nLGTM"));
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) calc\\.py"}}, fenced(kCalc)));
  rules.push_back(rule({{"regex", "(Write the complete code of|Rewrite) main\\.py"}}, fenced(kMain)));
  return json{{"models", {"fake-model"}}, {"rules", rules}}.dump();
}

// A fault rule: `fields` adds times, retry_after, stall_ms, ...
json fault(const json& match, const std::string& name, const json& fields = json::object()) {
  json r = {{"match", match}, {"fault", name}, {"reply", content(prd())}};
  for (const auto& [key, value] : fields.items()) r[key] = value;
  return r;
}

struct Outcome {
  AgentcoRun run;
  int fault_requests = 0;  // how many requests the fault rule (rule 0) answered
};

// One run of the whole company against a fake server whose first rule is `fault_rule`.
Outcome run_with(const json& fault_rule, const std::vector<std::string>& extra = {},
                 const std::vector<std::string>& env = {}, bool tls = false) {
  RunSandbox sandbox("faults");
  testing::spill(sandbox.file("fast.yaml"), kFastConfig);
  FakeServerProcess server(sandbox.root() / "server", {script(json::array({fault_rule})), "", tls});
  Outcome outcome;
  if (!server.ok()) return outcome;
  std::vector<std::string> args = {"--config", sandbox.file("fast.yaml").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<std::string> environment = env;
  for (auto& entry : environment)
    if (entry.ends_with("=CERT")) entry.replace(entry.size() - 4, 4, server.cert_path().string());
  outcome.run = sandbox.run(server.base_url(), kIdea, args, environment);
  outcome.fault_requests = server.answered_by(0);
  // The warehouse holds exactly the run's folder.
  int folders = 0;
  if (fs::exists(sandbox.warehouse()))
    for (const auto& entry : fs::directory_iterator(sandbox.warehouse())) folders += entry.is_directory();
  EXPECT_EQ(folders, 1) << outcome.run.describe();
  // The sandbox is removed when this returns: keep what the checks need.
  if (!outcome.run.folder.empty()) {
    const fs::path kept = fs::temp_directory_path() / ("agentco_faults_kept_" + std::to_string(::getpid()) + "_" +
                                                       outcome.run.folder.filename().string());
    std::error_code ec;
    fs::remove_all(kept, ec);
    fs::copy(outcome.run.folder, kept, fs::copy_options::recursive, ec);
    EXPECT_FALSE(ec) << ec.message();
    outcome.run.folder = kept;
  }
  return outcome;
}

// Removes the copy run_with() kept.
struct Cleanup {
  const AgentcoRun& run;
  ~Cleanup() {
    std::error_code ec;
    if (!run.folder.empty()) fs::remove_all(run.folder, ec);
  }
};

using testing::has;

// A completed run: exit 0, every document and both files, all kept.
void expect_completed(const AgentcoRun& run) {
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_TRUE(has(run.tail(), "run finished")) << run.tail();
  expect_work_kept(run, "idle");
  for (const char* file : {"docs/prd.json", "docs/system_design.json", "docs/tasks.json", "calc.py", "main.py"})
    EXPECT_TRUE(fs::is_regular_file(run.folder / file)) << file;
  EXPECT_EQ(testing::slurp(run.folder / "calc.py"), kCalc);
}

// A clean stop: exit 1, the headline names the role, the action and the cause; what was
// finished before is kept.
void expect_failed(const AgentcoRun& run, const std::string& who, const std::vector<std::string>& says) {
  ASSERT_EQ(run.process.exit_code, 1) << run.describe();
  ASSERT_FALSE(run.process.timed_out);
  const std::string tail = run.tail(12);
  EXPECT_TRUE(has(tail, "run failed: " + who)) << tail;
  for (const auto& part : says) EXPECT_TRUE(has(tail, part)) << "'" << part << "' not in:\n" << tail;
  EXPECT_TRUE(has(tail, "finished work is kept")) << tail;
  expect_work_kept(run, "failed");
  EXPECT_EQ(run.meta["outcome"].value("status", ""), "failed");
  EXPECT_TRUE(has(run.meta["outcome"].value("detail", ""), who)) << run.meta.dump(2);
  EXPECT_TRUE(testing::head_text(run.folder, "docs/requirement.txt").has_value());
}

// ---- Faults a retry cures: the run completes -------------------------------------------------

TEST(FaultMatrix, A429WithRetryAfterIsWaitedOutAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"action", "WriteDesign"}}, "http_429", {{"times", 1}, {"retry_after", 1}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "HTTP 429")) << run.process.err;
  EXPECT_TRUE(has(run.process.err, "waiting 1.0 s as the server asked")) << run.process.err;
}

TEST(FaultMatrix, A500IsRetriedAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"action", "WriteTasks"}}, "http_500", {{"times", 1}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "HTTP 500")) << run.process.err;
}

TEST(FaultMatrix, AStallBeforeTheFirstByteHitsTheDeadlineIsRetriedAndTheRunCompletes) {
  auto [run, hits] =
      run_with(fault({{"action", "WritePRD"}}, "stall_before_first_byte", {{"times", 1}, {"stall_ms", 4000}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "first-byte deadline")) << run.process.err;
}

TEST(FaultMatrix, AStallMidStreamHitsTheIdleDeadlineIsRetriedAndTheRunCompletes) {
  auto [run, hits] =
      run_with(fault({{"action", "WriteDesign"}}, "stall_mid_stream", {{"times", 1}, {"stall_ms", 4000}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "idle deadline")) << run.process.err;
}

TEST(FaultMatrix, AConnectionResetMidStreamIsRetriedAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"regex", "Write the complete code of calc\\.py"}}, "reset_mid_stream",
                                    {{"times", 1}, {"reply", std::string(400, 'x')}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "127.0.0.1")) << run.process.err;
}

TEST(FaultMatrix, AReplyCutOffAtMaxTokensIsAskedForAgainWithMoreAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"action", "WriteDesign"}}, "finish_length", {{"times", 1}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "cut off at max_tokens=4096; asking again with 8192")) << run.process.err;
}

TEST(FaultMatrix, AnEmptyReplyIsAskedForAgainAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"action", "WritePRD"}}, "empty_reply", {{"times", 1}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  EXPECT_TRUE(has(run.process.err, "empty reply")) << run.process.err;
}

TEST(FaultMatrix, InvalidJsonInContentIsSentBackWithTheErrorAndTheRunCompletes) {
  auto [run, hits] = run_with(fault({{"action", "WriteTasks"}}, "invalid_content_json", {{"times", 1}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);
  expect_completed(run);
  auto errors = run.of_type("parse_error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value("action", ""), "WriteTasks");
}

// ---- Faults that stay: a clean stop with a precise message -------------------------------

TEST(FaultMatrix, A502ThatStaysStopsTheRunListingEveryTryAndKeepsThePrd) {
  auto [run, hits] = run_with(fault({{"action", "WriteDesign"}}, "http_502"));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 3);  // max_retries: 2
  expect_failed(run, "Bob (Architect) could not finish WriteDesign",
                {"failed after 3 tries", "try 1: HTTP 502 from 127.0.0.1: 502 Bad Gateway",
                 "try 3: HTTP 502 from 127.0.0.1: 502 Bad Gateway"});
  EXPECT_TRUE(testing::head_text(run.folder, "docs/prd.json").has_value());
  EXPECT_FALSE(fs::exists(run.folder / "docs/system_design.json"));
}

TEST(FaultMatrix, AMalformedSseFrameStopsTheRunNamingTheEventAndKeepsTheDocumentsBefore) {
  auto [run, hits] = run_with(fault({{"action", "WriteTasks"}}, "malformed_sse"));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 1);  // not retried: a server that breaks its stream will do it again
  expect_failed(run, "Eve (Project Manager) could not finish WriteTasks", {"malformed event", "{not json"});
  EXPECT_TRUE(testing::head_text(run.folder, "docs/prd.json").has_value());
  EXPECT_TRUE(testing::head_text(run.folder, "docs/system_design.json").has_value());
  EXPECT_FALSE(fs::exists(run.folder / "docs/tasks.json"));
}

TEST(FaultMatrix, AReplyCutOffTwiceStopsTheRunSayingHowToFixIt) {
  auto [run, hits] = run_with(fault({{"action", "WriteDesign"}}, "finish_length"));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 2);
  expect_failed(run, "Bob (Architect) could not finish WriteDesign",
                {"cut off at max_tokens=8192", "even after asking again", "raise llm.max_tokens"});
}

TEST(FaultMatrix, InvalidJsonThatStaysStopsTheRunAfterTheRepairAttempts) {
  auto [run, hits] = run_with(fault({{"action", "WritePRD"}}, "invalid_content_json"));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 3);  // the first try and llm.repair_attempts (2) re-asks
  expect_failed(run, "Alice (Product Manager) could not finish WritePRD", {"could not be used after 3 tries"});
  EXPECT_EQ(run.of_type("parse_error").size(), 3u);
}

TEST(FaultMatrix, AStallThatStaysStopsTheRunNamingTheDeadlineAndItsSetting) {
  auto [run, hits] = run_with(fault({{"action", "WritePRD"}}, "stall_before_first_byte", {{"stall_ms", 3000}}));
  Cleanup cleanup{run};
  EXPECT_EQ(hits, 3);
  expect_failed(run, "Alice (Product Manager) could not finish WritePRD",
                {"within 1 s of sending the request (first-byte deadline)", "llm.timeout_first_byte_s"});
}

// ---- TLS with a self-signed certificate -------------------------------------------------

TEST(FaultMatrix, HttpsWithATrustedSelfSignedCertificateCompletes) {
  auto [run, hits] = run_with(json{{"match", {{"action", "NoSuchAction"}}}, {"reply", "unused"}}, {},
                              {"SSL_CERT_FILE=CERT"}, true);
  Cleanup cleanup{run};
  expect_completed(run);
  EXPECT_TRUE(has(run.trace.front()["config"]["llm"].value("base_url", ""), "https://")) << run.trace.front().dump();
}

TEST(FaultMatrix, HttpsWithAnUntrustedCertificateStopsNamingTheCertificateAndInsecure) {
  auto [run, hits] =
      run_with(json{{"match", {{"action", "NoSuchAction"}}}, {"reply", "unused"}}, {}, {}, true);
  Cleanup cleanup{run};
  expect_failed(run, "Alice (Product Manager) could not finish WritePRD",
                {"TLS handshake with 127.0.0.1:", "certificate not accepted", "SSL_CERT_FILE", "--insecure"});
}

TEST(FaultMatrix, HttpsWithAnUntrustedCertificateCompletesWithInsecure) {
  auto [run, hits] =
      run_with(json{{"match", {{"action", "NoSuchAction"}}}, {"reply", "unused"}}, {"--insecure"}, {}, true);
  Cleanup cleanup{run};
  expect_completed(run);
}

// ---- Ctrl-C during a model call ----------------------------------------------------------

TEST(FaultMatrix, CtrlCDuringAStalledModelCallCancelsItAndStopsWith130KeepingThePrd) {
  RunSandbox sandbox("ctrlc");
  // Deadlines far beyond the test's own timeout: only cancelling can end the stalled call.
  testing::spill(sandbox.file("slow.yaml"),
                 "llm:\n  timeout_first_byte_s: 120\n  timeout_total_s: 300\n  max_retries: 0\n");
  FakeServerProcess server(
      sandbox.root() / "server",
      {script(json::array({fault({{"action", "WriteDesign"}}, "stall_before_first_byte", {{"stall_ms", 120000}})})),
       "", false});
  ASSERT_TRUE(server.ok());
  testing::BackgroundProcess agentco(sandbox.options(
      sandbox.run_args(server.base_url(), kIdea, {"--config", sandbox.file("slow.yaml").string()}), {}));
  ASSERT_TRUE(agentco.started());
  // Wait until the design call is stalled at the server, then press Ctrl-C.
  bool stalled = false;
  for (int i = 0; i < 300 && !stalled; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stalled = server.answered_by(0) > 0;
  }
  ASSERT_TRUE(stalled) << agentco.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  agentco.signal(SIGINT);
  AgentcoRun run = sandbox.collect(agentco.wait(std::chrono::seconds(20)));
  ASSERT_FALSE(run.process.timed_out) << "Ctrl-C did not cancel the call in flight\n" << run.describe();
  ASSERT_EQ(run.process.exit_code, 130) << run.describe();
  EXPECT_TRUE(has(run.tail(), "run stopped (interrupted): stopped by Ctrl-C")) << run.tail();
  EXPECT_TRUE(has(run.process.err, "cancelling the model calls in flight")) << run.process.err;
  expect_work_kept(run, "interrupted");
  auto errors = run.of_type("llm_error");
  ASSERT_EQ(errors.size(), 1u) << run.describe();
  EXPECT_EQ(errors[0].value("action", ""), "WriteDesign");
  EXPECT_EQ(errors[0].value("code", ""), "interrupted");
  EXPECT_TRUE(testing::head_text(run.folder, "docs/prd.json").has_value());
  EXPECT_FALSE(fs::exists(run.folder / "docs/system_design.json"));
  EXPECT_EQ(run.meta["outcome"].value("status", ""), "stopped");
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
