// `agentco run` against fake-llm-server posing as Ollama (its `ollama:` key, llm.api_type
// ollama): before the first call the run asks the server's native API for the model's window,
// says it on the terminal, records it in run_start's context_windows and fits every prompt to
// it. Routed runs ask every Ollama server their calls reach (roles: and models: entries), each
// for the model it is sent. A server that is not Ollama says nothing and the run goes on with
// the built-in table.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

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

std::string ollama_config(const std::string& base_url, const std::string& extra = "") {
  return "llm:\n"
         "  api_type: ollama\n"
         "  base_url: " +
         base_url +
         "\n"
         "  model: qwen2.5-coder:7b\n"
         "  timeout_total_s: 30\n"
         "  max_retries: 1\n"
         "  retry_base_s: 0.05\n" +
         extra;
}

std::unique_ptr<FakeServerProcess> server(const RunSandbox& sandbox, const std::string& name,
                                          const std::string& models, const std::string& ollama) {
  std::string script = "models: [" + models + "]\n";
  if (!ollama.empty()) script += "ollama: " + ollama + "\n";
  script += "rules:\n  - read: true\n";
  auto process = std::make_unique<FakeServerProcess>(sandbox.root() / name,
                                                     FakeServerProcess::Options{script, "", false});
  EXPECT_TRUE(process->ok());
  return process;
}

std::size_t asked(const FakeServerProcess& server, const std::string& target) {
  std::size_t count = 0;
  for (const auto& entry : server.requests()) count += entry.value("target", "") == target;
  return count;
}

TEST(OllamaRun, TheLoadedModelsWindowIsSaidRecordedAndFittedTo) {
  RunSandbox sandbox("ollama_run");
  auto ollama =
      server(sandbox, "server", "qwen2.5-coder:7b", "{loaded: true, context_length: 4500, num_ctx: 8192}");
  AgentcoRun run = testing::run_with_config(sandbox, ollama_config(ollama->base_url()),
                                            "write a cli inventory tool with 12 files");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");

  EXPECT_TRUE(has(run.process.err, ollama->base_url() +
                                       " serves qwen2.5-coder:7b with a context window of 4500 "
                                       "tokens (as loaded, says /api/ps)"))
      << run.process.err;
  EXPECT_EQ(run.trace.front().value("context_windows", json()), (json{{"qwen2.5-coder:7b", 4500}}));
  const auto said = run.of_type("context_window");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].value("tokens", 0L), 4500);
  EXPECT_EQ(said[0].value("source", ""), "server") << "the server beats the table's 32768";
  ASSERT_FALSE(run.of_type("context_drop").empty());
  for (const auto& drop : run.of_type("context_drop")) EXPECT_EQ(drop.value("window", 0L), 4500);
  EXPECT_LE(testing::largest_request(run), 4500);
  EXPECT_EQ(asked(*ollama, "/api/ps"), 1u) << "asked once, before the run";
}

TEST(OllamaRun, WithoutALoadedModelTheModelfilesNumCtxIsTheWindow) {
  RunSandbox sandbox("ollama_run_num_ctx");
  auto ollama = server(sandbox, "server", "qwen2.5-coder:7b", "{num_ctx: 6000}");
  AgentcoRun run =
      testing::run_with_config(sandbox, ollama_config(ollama->base_url()), "a project of 3 files");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(run.trace.front().value("context_windows", json()), (json{{"qwen2.5-coder:7b", 6000}}));
  EXPECT_TRUE(has(run.process.err, "with a context window of 6000 tokens (num_ctx of its Modelfile"))
      << run.process.err;
  EXPECT_EQ(asked(*ollama, "/api/show"), 1u);
}

TEST(OllamaRun, AServerThatIsNotOllamaSaysNothingAndTheRunGoesOnWithTheTable) {
  RunSandbox sandbox("ollama_run_plain");
  auto plain = server(sandbox, "server", "qwen2.5-coder:7b", "");
  AgentcoRun run =
      testing::run_with_config(sandbox, ollama_config(plain->base_url()), "a project of 3 files");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");
  EXPECT_FALSE(run.trace.front().contains("context_windows"));
  EXPECT_FALSE(has(run.process.err, " serves ")) << run.process.err;
  const auto said = run.of_type("context_window");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].value("tokens", 0L), 32768);
  EXPECT_EQ(said[0].value("source", ""), "built-in table");
  EXPECT_EQ(asked(*plain, "/api/ps"), 1u) << "it was asked, and answered 404";
}

TEST(OllamaRun, EveryOllamaServerOfARoutedRunIsAskedForTheModelsItServes) {
  RunSandbox sandbox("ollama_run_routed");
  // llm's server reads 8192; the Architect's own server reads 6000 (num_ctx) of the same model
  // name, and serves the models: entry `coder` (the engineer's) as deepseek-coder-v2:16b.
  auto main = server(sandbox, "main", "qwen2.5-coder:7b", "{loaded: true, context_length: 8192}");
  auto second = server(sandbox, "second", "qwen2.5-coder:7b, deepseek-coder-v2:16b", "{num_ctx: 6000}");
  const std::string routes =
      "  models: {Engineer: coder}\n"
      "roles:\n"
      "  - role: Architect\n"
      "    llm: {api_type: ollama, base_url: '" +
      second->base_url() +
      "', model: qwen2.5-coder:7b}\n"
      "models:\n"
      "  coder: {api_type: ollama, base_url: '" +
      second->base_url() + "', model: deepseek-coder-v2:16b}\n";
  AgentcoRun run =
      testing::run_with_config(sandbox, ollama_config(main->base_url(), routes), "a project of 3 files");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  testing::expect_work_kept(run, "idle");
  EXPECT_EQ(run.trace.front().value("context_windows", json()),
            (json{{"qwen2.5-coder:7b", 6000}, {"coder", 6000}}))
      << "qwen: the smaller of 8192 (llm's server) and 6000 (the Architect's); coder: keyed by the call's "
         "name";
  EXPECT_TRUE(
      has(run.process.err, main->base_url() + " serves qwen2.5-coder:7b with a context window of 8192"))
      << run.process.err;
  EXPECT_TRUE(
      has(run.process.err, second->base_url() + " serves qwen2.5-coder:7b with a context window of 6000"))
      << run.process.err;
  EXPECT_TRUE(has(run.process.err, second->base_url() +
                                       " serves deepseek-coder-v2:16b (for coder) with a context "
                                       "window of 6000"))
      << run.process.err;
  // The second server was asked for the model it is sent, never for the name "coder".
  bool show_coder = false;
  for (const auto& entry : second->requests())
    if (entry.value("target", "") == "/api/show")
      show_coder = show_coder || entry["body"].dump().find("\"coder\"") != std::string::npos;
  EXPECT_FALSE(show_coder);
  // The engineer's calls reached the second server as deepseek-coder-v2:16b, fitted to 6000.
  for (const auto& r : run.of_type("llm_request"))
    if (r.value("role", "") == "Alex") EXPECT_EQ(r["request"].value("model", ""), "coder");
  EXPECT_LE(testing::largest_request(run), 8192);
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
