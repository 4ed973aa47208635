// A MetaGPT config2.yaml through the real binary, against fake-llm-server programs: a role's
// `roles:` entry sends its calls to its own server while the others go to llm.base_url, a
// `models:` entry sends its model to its server, secrets stay out of every output, check-llm
// tests every server, and an entry naming no role of the SOP (or a typo) stops with exit 2.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/hello_project.hpp"
#include "tests/support/metagpt_config2.hpp"

namespace agentco {
namespace {

#ifdef AGENTCO_FAKE_SERVER

namespace fs = std::filesystem;
using json = nlohmann::json;

int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// "http://127.0.0.1:PORT/v1" -> "http://127.0.0.1:PORT".
std::string root_of(const std::string& base_url) { return base_url.substr(0, base_url.rfind("/v1")); }

// The chat requests a server received, as "role model" pairs.
std::multiset<std::pair<std::string, std::string>> chats(const testing::FakeServerProcess& server) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto& request : server.requests())
    if (request.value("target", "").find("chat/completions") != std::string::npos)
      out.insert({request.value("role", ""), request["body"].value("model", "")});
  return out;
}

testing::AgentcoRun run_with(const testing::RunSandbox& sandbox, const fs::path& config) {
  return sandbox.collect(testing::run_process(
      sandbox.options({"run", "--no-user-config", "--warehouse", sandbox.warehouse().string(), "--config",
                       config.string(), "say hello"},
                      {})));
}

TEST(MetaGptConfigRun, TheArchitectsCallsReachItsRolesServerAModelsEntryItsOwnAndTheRestLlmsServer) {
  testing::RunSandbox sandbox("metagpt_routes");
  auto script = [](const std::string& key) {
    return json{{"require_key", key}, {"rules", testing::hello_rules()}}.dump();
  };
  testing::FakeServerProcess main(sandbox.root() / "main", {script("sk-main-secret-41"), "", false});
  testing::FakeServerProcess architect(sandbox.root() / "architect",
                                       {script("sk-arch-secret-42"), "", false});
  testing::FakeServerProcess coder(sandbox.root() / "coder", {script("sk-coder-secret-43"), "", false});
  ASSERT_TRUE(main.ok() && architect.ok() && coder.ok());

  const fs::path config = sandbox.file("config2.yaml");
  testing::spill(config,
                 "llm:\n"
                 "  api_type: openai\n"
                 "  base_url: \"" +
                     main.base_url() +
                     "\"\n"
                     "  api_key: \"sk-main-secret-41\"\n"
                     "  model: fake-model\n"
                     "  models: {Engineer: coder}\n"
                     "roles:\n"
                     "  - role: Architect\n"
                     "    llm:\n"
                     "      api_type: openai\n"
                     "      base_url: \"" +
                     architect.base_url() +
                     "\"\n"
                     "      api_key: \"sk-arch-secret-42\"\n"
                     "      model: arch-model\n"
                     "models:\n"
                     "  coder:\n"
                     "    base_url: \"" +
                     coder.base_url() +
                     "\"\n"
                     "    api_key: \"sk-coder-secret-43\"\n"
                     "    model: c-coder\n"
                     "run: {code_review_rounds: 1, test_rounds: 1}\n");
  auto run = run_with(sandbox, config);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();

  const auto to_architect = chats(architect), to_coder = chats(coder), to_main = chats(main);
  ASSERT_FALSE(to_architect.empty());
  for (const auto& [role, model] : to_architect) EXPECT_EQ(role + " " + model, "Bob arch-model");
  ASSERT_FALSE(to_coder.empty());
  for (const auto& [role, model] : to_coder) EXPECT_EQ(role + " " + model, "Alex c-coder");
  std::set<std::string> main_roles;
  for (const auto& [role, model] : to_main) {
    main_roles.insert(role);
    EXPECT_EQ(model, "fake-model") << role;
  }
  EXPECT_EQ(main_roles, (std::set<std::string>{"Alice", "Eve", "Edward"}));

  // The trace names the model each call asked for; the server name stays in the config.
  std::map<std::string, std::set<std::string>> requested;
  for (const auto& r : run.of_type("llm_request"))
    requested[r.value("role", "")].insert(r["request"].value("model", ""));
  EXPECT_EQ(requested["Bob"], std::set<std::string>{"arch-model"});
  EXPECT_EQ(requested["Alex"], std::set<std::string>{"coder"});

  // Secrets: "***" in run_start's config, absent from everything the run printed or wrote.
  const json& recorded = run.trace.front()["config"];
  EXPECT_EQ(recorded["llm"]["api_key"], "***");
  EXPECT_EQ(recorded["roles"][0]["llm"]["api_key"], "***");
  EXPECT_EQ(recorded["roles"][0]["llm"]["base_url"], architect.base_url());
  EXPECT_EQ(recorded["models"]["coder"]["api_key"], "***");
  const std::string trace_text = testing::slurp(run.folder / "run.jsonl");
  const std::string meta_text = testing::slurp(run.folder / "meta.json");
  for (const char* secret : {"sk-main-secret-41", "sk-arch-secret-42", "sk-coder-secret-43"}) {
    EXPECT_EQ(run.process.out.find(secret), std::string::npos) << secret;
    EXPECT_EQ(run.process.err.find(secret), std::string::npos) << secret;
    EXPECT_EQ(trace_text.find(secret), std::string::npos) << secret;
    EXPECT_EQ(meta_text.find(secret), std::string::npos) << secret;
  }
}

// The example's shape: llm through its proxy, two OpenAI roles through theirs, two Azure roles
// on one resource, two named models; each distinct server is checked once.
TEST(MetaGptConfigRun, CheckLlmReportsEveryServerOfTheExampleConfigWithOneWarning) {
  testing::RunSandbox sandbox("metagpt_check");
  const std::string pong = "rules:\n  - reply: pong\n";
  testing::FakeServerProcess llm_proxy(sandbox.root() / "llm", {pong, "", false});
  testing::FakeServerProcess openai(sandbox.root() / "openai", {pong, "", false});
  testing::FakeServerProcess azure(sandbox.root() / "azure", {pong, "", false});
  ASSERT_TRUE(llm_proxy.ok() && openai.ok() && azure.ok());

  testing::MetaGptServers servers;
  servers.llm = "http://llm.invalid/v1";
  servers.llm_proxy = root_of(llm_proxy.base_url());
  servers.openai = "http://openai.invalid/v1";
  servers.openai_proxy = root_of(openai.base_url());
  servers.azure = root_of(azure.base_url());
  servers.models = openai.base_url();
  const fs::path config = sandbox.file("config2.yaml");
  testing::spill(config, testing::metagpt_config2(servers));

  auto checked = testing::run_process(
      sandbox.options({"check-llm", "--no-user-config", "--config", config.string()}, {}));
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  for (const char* header : {"== server 1 of 6, for llm (model gpt-4-turbo)",
                             "== server 2 of 6, for roles ProductManager (model gpt-4-turbo-1106)",
                             "== server 3 of 6, for roles Architect (model gpt-35-turbo)",
                             "== server 4 of 6, for roles ProjectManager, roles Engineer (model gpt-4-1106)",
                             "== server 5 of 6, for models model-one (model model-one)",
                             "== server 6 of 6, for models model-two (model model-two)"})
    EXPECT_NE(checked.out.find(header), std::string::npos) << header << "\n" << checked.out;
  EXPECT_EQ(occurrences(checked.out, "reply:    pong"), 6) << checked.out;
  EXPECT_EQ(occurrences(checked.err, "ignoring MetaGPT keys agentco has no use for: embedding, "), 1)
      << checked.err;
  EXPECT_NE(
      checked.err.find(config.string() + ":" +
                       std::to_string(testing::line_of(testing::metagpt_config2(servers), "embedding"))),
      std::string::npos)
      << checked.err;
  for (const char* secret : testing::kMetaGptSecrets) {
    EXPECT_EQ(checked.out.find(secret), std::string::npos) << secret;
    EXPECT_EQ(checked.err.find(secret), std::string::npos) << secret;
  }

  // The proxies saw the absolute-form requests for the hosts behind them.
  std::set<std::string> proxied;
  for (const auto* server : {&llm_proxy, &openai})
    for (const auto& request : server->requests()) proxied.insert(request.value("target", ""));
  EXPECT_TRUE(proxied.count("http://llm.invalid/v1/chat/completions"));
  EXPECT_TRUE(proxied.count("http://openai.invalid/v1/chat/completions"));
  std::set<std::string> deployments;
  for (const auto& request : azure.requests()) deployments.insert(request.value("target", ""));
  EXPECT_TRUE(deployments.count("/openai/deployments/gpt-4-1106/chat/completions?api-version=2024-02-01"))
      << azure.requests().dump();
}

TEST(MetaGptConfigRun, AnEntryNamingNoRoleOrATypoStopsWithExitTwoNamingTheFileAndLine) {
  testing::RunSandbox sandbox("metagpt_bad");
  const fs::path unknown = sandbox.file("unknown.yaml");
  testing::spill(
      unknown, "llm:\n  base_url: http://127.0.0.1:9/v1\nroles:\n  - role: Architekt\n    llm: {model: a}\n");
  auto run = run_with(sandbox, unknown);
  EXPECT_EQ(run.process.exit_code, 2) << run.describe();
  EXPECT_NE(run.process.err.find(unknown.string() +
                                 ":4: roles: role 'Architekt' names no role of SOP software_company"),
            std::string::npos)
      << run.describe();
  EXPECT_FALSE(fs::exists(sandbox.warehouse())) << "a folder was made";

  auto checked = testing::run_process(sandbox.options(
      {"check-sop", "software_company", "--no-user-config", "--config", unknown.string()}, {}));
  EXPECT_EQ(checked.exit_code, 2) << checked.err;
  EXPECT_NE(checked.err.find("roles: role 'Architekt' names no role"), std::string::npos) << checked.err;

  const fs::path typo = sandbox.file("typo.yaml");
  testing::spill(typo,
                 "llm:\n  model: m\nroles:\n  - role: Architect\n    llm:\n      bsae_url: http://a/v1\n");
  auto typo_run = run_with(sandbox, typo);
  EXPECT_EQ(typo_run.process.exit_code, 2) << typo_run.describe();
  EXPECT_NE(
      typo_run.process.err.find(
          typo.string() + ":6: unknown key 'roles[0].llm.bsae_url' (did you mean 'roles[0].llm.base_url'?)"),
      std::string::npos)
      << typo_run.describe();
}

#endif

}  // namespace
}  // namespace agentco
