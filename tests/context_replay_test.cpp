// `agentco replay --verify --strict` of a run whose context window was probed from an Ollama
// server: the replay asks no server anything (the probe is not run again; the recorded
// run_start context_windows are used), fits its prompts to the recorded window, so every
// request is the recorded one (--strict refuses any other), and the files and git trees are
// identical.
#include <gtest/gtest.h>

#include <algorithm>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/context_run.hpp"
#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

using testing::has;

// The requests' hashes, sorted: files whose dependencies are written are asked for at once,
// so the order of their requests in the trace is the order the calls happened to start.
std::vector<std::string> request_hashes(const AgentcoRun& run) {
  std::vector<std::string> out;
  for (const auto& r : run.of_type("llm_request")) out.push_back(r.value("request_hash", ""));
  std::sort(out.begin(), out.end());
  return out;
}

// The context_drop records without their place and time in the trace, sorted likewise.
std::vector<json> drops(const AgentcoRun& run) {
  std::vector<json> out;
  for (json r : run.of_type("context_drop")) {
    for (const char* key : {"seq", "ts", "crc"}) r.erase(key);
    out.push_back(r);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ContextReplay, AReplayOfAProbedRunUsesTheRecordedWindowAndSendsTheSameRequests) {
  RunSandbox sandbox("context_replay");
  auto ollama = std::make_unique<FakeServerProcess>(
      sandbox.root() / "server",
      FakeServerProcess::Options{"models: [qwen2.5-coder:7b]\nollama: {loaded: true, context_length: 4500}\n"
                                 "rules:\n  - read: true\n",
                                 "", false});
  ASSERT_TRUE(ollama->ok());
  const std::string config =
      "llm:\n"
      "  api_type: ollama\n"
      "  base_url: " +
      ollama->base_url() +
      "\n"
      "  model: qwen2.5-coder:7b\n"
      "  timeout_total_s: 30\n"
      "  max_retries: 1\n";
  AgentcoRun original = testing::run_with_config(sandbox, config, "write a cli inventory tool with 12 files");
  ASSERT_EQ(original.process.exit_code, 0) << original.describe();
  ASSERT_EQ(original.trace.front().value("context_windows", json()), (json{{"qwen2.5-coder:7b", 4500}}));
  ASSERT_FALSE(drops(original).empty()) << "the window made the run leave things out";
  const std::size_t served = ollama->requests().size();

  AgentcoRun replayed = sandbox.collect(
      testing::run_process(sandbox.options({"replay", original.folder.string(), "--out",
                                            sandbox.file("replayed").string(), "--verify", "--strict"},
                                           {})));
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.describe();
  EXPECT_TRUE(has(replayed.process.err, "verify: files and git trees are identical")) << replayed.process.err;
  EXPECT_TRUE(has(replayed.process.err, " 0 live calls")) << replayed.process.err;
  EXPECT_FALSE(has(replayed.process.err, " serves ")) << "no probe during a replay";
  EXPECT_EQ(ollama->requests().size(), served + 1) << "the server was asked nothing (but this log read)";

  EXPECT_EQ(replayed.trace.front().value("context_windows", json()), (json{{"qwen2.5-coder:7b", 4500}}));
  EXPECT_EQ(request_hashes(replayed), request_hashes(original));
  EXPECT_EQ(drops(replayed), drops(original));
  const auto said = replayed.of_type("context_window");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].value("source", ""), "server");
  testing::expect_work_kept(replayed, "idle");
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
