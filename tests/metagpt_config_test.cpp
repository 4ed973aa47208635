// Pins config/metagpt_keys.hpp: a MetaGPT config2.yaml loads as it is. llm.proxy, timeout,
// max_token and pricing_plan have their effect; `roles:` and `models:` entries are read, merged
// across layers and redacted; the keys agentco has no use for make one warning; any other
// unknown key is still an error with file:line and a suggestion.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/metagpt_config2.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// What spdlog prints while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int count(const std::string& needle) const {
    int n = 0;
    const std::string text = out_.str();
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

class MetaGptConfig : public ::testing::Test {
 protected:
  // The built-in defaults under one --config file holding `yaml`, nothing else.
  Result<Config> load(const std::string& yaml) {
    testing::spill(file(), yaml);
    ConfigSources sources;
    sources.read_default_files = false;
    sources.read_environment = false;
    sources.config_file = file().string();
    return load_config(sources);
  }
  fs::path file() const { return dir_.path() / "config2.yaml"; }
  std::string at(int line) const { return file().string() + ":" + std::to_string(line); }
  std::string error_of(const std::string& yaml) {
    auto config = load(yaml);
    EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
    return config.ok() ? "" : config.error().message;
  }
  testing::RunTempDir dir_{"metagpt_config"};
};

// ---- The example file ----------------------------------------------------------------------

TEST_F(MetaGptConfig, TheExampleFileWithItsPlaceholdersFilledInLoadsWithOneWarningAboutWhatIsIgnored) {
  const std::string yaml = testing::metagpt_config2({});
  CapturedLog log;
  auto config = load(yaml);
  ASSERT_TRUE(config.ok()) << config.error().message;

  EXPECT_EQ(log.count("warning "), 1) << log.text();
  EXPECT_EQ(log.count("ignoring MetaGPT keys"), 1) << log.text();
  const std::string warning = ignored_keys_warning(*config).value_or("");
  EXPECT_TRUE(warning.starts_with(at(testing::line_of(yaml, "embedding")) +
                                  ": ignoring MetaGPT keys agentco has no "
                                  "use for: embedding, repair_llm_output"))
      << warning;
  for (const char* key :
       {"embedding", "repair_llm_output", "proxy", "search", "browser", "mermaid", "redis", "s3", "exp_pool",
        "role_zero", "azure_tts_subscription_key", "azure_tts_region", "iflytek_api_id", "iflytek_api_key",
        "iflytek_api_secret", "metagpt_tti_url", "omniparse"})
    EXPECT_NE(warning.find(std::string(" ") + key), std::string::npos) << key << " in " << warning;
  for (const char* secret : testing::kMetaGptSecrets)
    EXPECT_EQ(log.text().find(secret), std::string::npos) << secret << " was logged";

  EXPECT_EQ(config->llm.model, "gpt-4-turbo");
  EXPECT_EQ(config->llm.proxy, "http://127.0.0.1:9");
  EXPECT_EQ(config->llm.timeout_total_s, 600);
  ASSERT_EQ(config->roles.size(), 4u);
  EXPECT_EQ(config->roles[0].role, "ProductManager");
  EXPECT_EQ(config->roles[0].model, "gpt-4-turbo-1106");
  EXPECT_EQ(config->roles[1].endpoint.api_key, "sk-architect-0004");
  EXPECT_EQ(config->roles[2].endpoint.api_type, "azure");
  EXPECT_EQ(config->roles[2].endpoint.api_version, "2024-02-01");
  EXPECT_EQ(config->roles[3].origin, at(testing::line_of(yaml, "roles") + 22));
  ASSERT_EQ(config->named_models.size(), 2u);
  EXPECT_EQ(config->named_models.at("model-one").endpoint.timeout_total_s, 300)
      << "timeout 0 is MetaGPT's 300 s";
  EXPECT_EQ(config->named_models.at("model-two").pricing_plan, "gpt-4o");
}

// ---- llm: keys -----------------------------------------------------------------------------

TEST_F(MetaGptConfig, LlmProxyIsKeptForModelRequestsAndItsCredentialsAreRedacted) {
  auto config = load("llm:\n  proxy: http://user:pa55word@proxy.example:3128\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.proxy, "http://user:pa55word@proxy.example:3128");
  EXPECT_EQ(config->origin.at("llm.proxy"), at(2));
  EXPECT_EQ(config->to_json()["llm"]["proxy"], "http://***@proxy.example:3128");
  EXPECT_EQ(config->to_json().dump().find("pa55word"), std::string::npos);
  EXPECT_EQ(config->to_json(false)["llm"]["proxy"], "http://user:pa55word@proxy.example:3128");
}

TEST_F(MetaGptConfig, ABadProxyIsAnErrorWithFileAndLineThatDoesNotRepeatIt) {
  const std::string message = error_of("llm:\n  model: m\n  proxy: socks5://user:pa55word@proxy:1080\n");
  EXPECT_TRUE(message.starts_with(at(3) + ": llm.proxy: only http:// proxies are supported")) << message;
  EXPECT_EQ(message.find("pa55word"), std::string::npos) << message;
  EXPECT_TRUE(error_of("roles:\n  - role: Architect\n    llm: {proxy: \"http:// spaced\"}\n")
                  .starts_with(at(3) + ": roles[0].llm.proxy: expected a proxy URL"));
}

TEST_F(MetaGptConfig, LlmTimeoutIsTheDeadlineOfOneRequestAndZeroMeansThreeHundredSeconds) {
  auto config = load("llm:\n  timeout: 45\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.timeout_total_s, 45);
  EXPECT_EQ(config->origin.at("llm.timeout_total_s"), at(2));
  auto zero = load("llm:\n  timeout: 0\n");
  ASSERT_TRUE(zero.ok()) << zero.error().message;
  EXPECT_EQ(zero->llm.timeout_total_s, 300);
  EXPECT_EQ(error_of("llm:\n  timeout: soon\n"), at(2) + ": llm.timeout: expected a number, got 'soon'");
}

TEST_F(MetaGptConfig, LlmMaxTokenTemperatureAndStreamAreOurOwnSettings) {
  auto config = load("llm:\n  max_token: 2048\n  temperature: 0.0\n  stream: false\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.max_tokens, 2048);
  EXPECT_EQ(config->origin.at("llm.max_tokens"), at(2));
  EXPECT_EQ(config->llm.temperature, 0.0);
  EXPECT_FALSE(config->llm.stream);
}

TEST_F(MetaGptConfig, LlmKeysWithoutUseJoinTheOneWarningInsteadOfFailing) {
  auto config = load(
      "llm:\n  model: m\n  top_p: 0.9\n  calc_usage: false\n  region_name: us-east-1\n"
      "roles:\n  - role: Architect\n    llm: {model: a, temperature: 0.5, seed: 3}\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(ignored_keys_warning(*config).value_or(""),
            at(3) +
                ": ignoring MetaGPT keys agentco has no use for: llm.top_p, llm.calc_usage, llm.region_name, "
                "roles[0].llm.temperature, roles[0].llm.seed");
  EXPECT_FALSE(ignored_keys_warning(*load("llm:\n  model: m\n")).has_value());
}

TEST_F(MetaGptConfig, APricingPlanPricesTheModelAsThePlanItNames) {
  auto config = load("llm:\n  api_type: azure\n  model: gpt-35-turbo-1106\n  pricing_plan: gpt-3.5-turbo\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const ModelPrice& plan = config->pricing.at("gpt-3.5-turbo");
  ASSERT_TRUE(config->pricing.count("gpt-35-turbo-1106"));
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-35-turbo-1106").prompt_per_1k, plan.prompt_per_1k);
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-35-turbo-1106").completion_per_1k, plan.completion_per_1k);

  // A dated plan name takes the price of the name it starts with.
  auto dated = load("llm:\n  model: my-deployment\n  pricing_plan: gpt-4o-2024-08-06\n");
  ASSERT_TRUE(dated.ok()) << dated.error().message;
  EXPECT_DOUBLE_EQ(dated->pricing.at("my-deployment").prompt_per_1k,
                   dated->pricing.at("gpt-4o").prompt_per_1k);
}

TEST_F(MetaGptConfig, APricingPlanWithoutAPriceIsAnErrorNamingWhereItWasSet) {
  EXPECT_EQ(
      error_of("llm:\n  model: m\n  pricing_plan: gtp-4o\n"),
      at(3) +
          ": llm.pricing_plan: no pricing: entry for plan 'gtp-4o' (did you mean 'gpt-4o'?); add one under "
          "pricing:");
  EXPECT_TRUE(
      error_of("models:\n  fast:\n    model: x\n    pricing_plan: nothing-like-it\n")
          .starts_with(at(2) + ": models.fast.pricing_plan: no pricing: entry for plan 'nothing-like-it'"));
}

// ---- roles: and models: ------------------------------------------------------------------

TEST_F(MetaGptConfig, ARolesEntryGivesItsRoleAModelAndAServer) {
  auto config = load(
      "roles:\n"
      "  - role: QaEngineer\n"
      "    llm:\n"
      "      api_type: azure\n"
      "      base_url: https://qa.example/\n"
      "      api_key: qa-key\n"
      "      api_version: 2024-02-01\n"
      "      proxy: proxy.example:3128\n"
      "      model: qa-deployment\n"
      "      timeout: 90\n"
      "      pricing_plan: gpt-4o-mini\n"
      "  - role: Alice\n"
      "    llm: {model: alice-model}\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->roles.size(), 2u);
  const RoleLlm& qa = config->roles[0];
  EXPECT_EQ(qa.role, "QaEngineer");
  EXPECT_EQ(qa.model, "qa-deployment");
  EXPECT_EQ(qa.pricing_plan, "gpt-4o-mini");
  EXPECT_EQ(qa.endpoint.api_type, "azure");
  EXPECT_EQ(qa.endpoint.base_url, "https://qa.example/");
  EXPECT_EQ(qa.endpoint.api_key, "qa-key");
  EXPECT_EQ(qa.endpoint.api_version, "2024-02-01");
  EXPECT_EQ(qa.endpoint.proxy, "proxy.example:3128");
  EXPECT_EQ(qa.endpoint.timeout_total_s, 90);
  EXPECT_EQ(qa.origin, at(2));
  EXPECT_TRUE(qa.endpoint.names_a_server());
  EXPECT_FALSE(config->roles[1].endpoint.names_a_server());
  EXPECT_DOUBLE_EQ(config->pricing.at("qa-deployment").prompt_per_1k,
                   config->pricing.at("gpt-4o-mini").prompt_per_1k);
}

TEST_F(MetaGptConfig, AModelsEntryNamesAModelOnItsOwnServer) {
  auto config = load(
      "models:\n"
      "  \"gpt-4o\":\n"
      "    base_url: http://fast.example/v1\n"
      "    api_key: fast-key\n"
      "  cheap:\n"
      "    model: gpt-4o-mini\n"
      "    base_url: http://cheap.example/v1\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->named_models.size(), 2u);
  EXPECT_EQ(config->named_models.at("gpt-4o").endpoint.base_url, "http://fast.example/v1");
  EXPECT_EQ(config->named_models.at("gpt-4o").model, "");
  EXPECT_EQ(config->named_models.at("cheap").model, "gpt-4o-mini");
  EXPECT_EQ(config->named_models.at("cheap").origin, at(5));
  // A name without a price of its own costs what its model costs.
  EXPECT_DOUBLE_EQ(config->pricing.at("cheap").prompt_per_1k,
                   config->pricing.at("gpt-4o-mini").prompt_per_1k);
}

TEST_F(MetaGptConfig, EntriesMergeAcrossLayersFieldByField) {
  Config config;
  ASSERT_TRUE(apply_config_yaml(
                  config,
                  "roles:\n  - role: Architect\n    llm: {model: a, base_url: http://a/v1, api_key: k}\n"
                  "models:\n  m: {base_url: http://m/v1, api_key: mk}\n",
                  "low.yaml")
                  .ok());
  ASSERT_TRUE(
      apply_config_yaml(
          config,
          "roles:\n  - role: architect\n    llm: {model: b}\n  - role: Engineer\n    llm: {model: e}\n"
          "models:\n  m: {model: real-m}\n",
          "high.yaml")
          .ok());
  ASSERT_EQ(config.roles.size(), 2u);
  EXPECT_EQ(config.roles[0].model, "b");
  EXPECT_EQ(config.roles[0].endpoint.base_url, "http://a/v1");
  EXPECT_EQ(config.roles[0].endpoint.api_key, "k");
  EXPECT_EQ(config.roles[0].origin, "high.yaml:2");
  EXPECT_EQ(config.named_models.at("m").model, "real-m");
  EXPECT_EQ(config.named_models.at("m").endpoint.api_key, "mk");
}

TEST_F(MetaGptConfig, ASecondEntryForOneRoleInOneFileIsAnError) {
  EXPECT_EQ(error_of("roles:\n  - role: Architect\n    llm: {model: a}\n  - role: \"architect \"\n    llm: "
                     "{model: b}\n"),
            at(4) + ": roles[1]: a second entry for role 'architect ' (the first is at " + at(2) + ")");
}

TEST_F(MetaGptConfig, SecretsOfRolesAndModelsEntriesAreRedactedAndDroppedBeforeLoadingBack) {
  auto config = load(testing::metagpt_config2({.llm_proxy = "http://me:proxy-pass-99@127.0.0.1:9"}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  const json redacted = config->to_json();
  for (const char* secret : testing::kMetaGptSecrets)
    EXPECT_EQ(redacted.dump().find(secret), std::string::npos) << secret;
  EXPECT_EQ(redacted.dump().find("proxy-pass-99"), std::string::npos);
  EXPECT_EQ(redacted["roles"][1]["llm"]["api_key"], "***");
  EXPECT_EQ(redacted["models"]["model-two"]["api_key"], "***");
  EXPECT_EQ(redacted["llm"]["proxy"], "http://***@127.0.0.1:9");

  json recorded = redacted;
  drop_redacted_secrets(recorded);
  EXPECT_EQ(recorded.dump().find("***"), std::string::npos) << recorded.dump();
  Config again;
  ASSERT_TRUE(apply_config_yaml(again, recorded.dump(), "run_start").ok());
  ASSERT_EQ(again.roles.size(), 4u);
  EXPECT_EQ(again.roles[2].model, "gpt-4-1106");
  EXPECT_EQ(again.roles[2].endpoint.base_url, config->roles[2].endpoint.base_url);
  EXPECT_EQ(again.roles[2].endpoint.api_key, "");
  EXPECT_EQ(again.named_models.at("model-two").endpoint.timeout_total_s, 120);
  EXPECT_EQ(again.named_models.at("model-two").pricing_plan, "gpt-4o");
}

// ---- Mistakes --------------------------------------------------------------------------------

TEST_F(MetaGptConfig, ATypoIsStillAnErrorWithFileLineAndASuggestion) {
  EXPECT_EQ(error_of("llm:\n  model: m\nrolse:\n  - role: Architect\n"),
            at(3) + ": unknown key 'rolse' (did you mean 'roles'?)");
  EXPECT_EQ(error_of("llm:\n  model: m\n  proxxy: http://p:1\n"),
            at(3) + ": unknown key 'llm.proxxy' (did you mean 'llm.proxy'?)");
  EXPECT_EQ(error_of("llm:\n  timout: 5\n"),
            at(2) + ": unknown key 'llm.timout' (did you mean 'llm.timeout'?)");
  EXPECT_EQ(error_of("serch:\n  api_key: x\n"), at(1) + ": unknown key 'serch' (did you mean 'search'?)");
  EXPECT_EQ(error_of("roles:\n  - role: Architect\n    llm:\n      base_ur: http://a/v1\n"),
            at(4) + ": unknown key 'roles[0].llm.base_ur' (did you mean 'roles[0].llm.base_url'?)");
  EXPECT_EQ(error_of("roles:\n  - rol: Architect\n    llm: {model: a}\n"),
            at(2) + ": unknown key 'roles[0].rol' (did you mean 'roles[0].role'?)");
  EXPECT_EQ(error_of("models:\n  fast:\n    modle: x\n"),
            at(3) + ": unknown key 'models.fast.modle' (did you mean 'models.fast.model'?)");
}

TEST_F(MetaGptConfig, MalformedEntriesAreErrorsWithFileAndLine) {
  EXPECT_TRUE(error_of("roles:\n  role: Architect\n").starts_with(at(2) + ": roles: expected a list"));
  EXPECT_EQ(error_of("roles:\n  - llm: {model: a}\n"),
            at(2) +
                ": roles[0]: needs role: a MetaGPT class name (ProductManager), a profile or a role's name "
                "(Alice)");
  EXPECT_EQ(error_of("roles:\n  - role: Architect\n"),
            at(2) + ": roles[0] (role Architect): needs llm: {model, base_url, ...}");
  EXPECT_EQ(error_of("roles:\n  - role: Architect\n    llm: {model: two words}\n"),
            at(3) + ": roles[0].llm.model: must name one model, e.g. gpt-4o; got 'two words'");
  EXPECT_EQ(error_of("models:\n  fast:\n    timeout: -1\n"),
            at(3) + ": models.fast.timeout: expected seconds between 0 and 86400 (0: 300), got '-1'");
  EXPECT_TRUE(error_of("models: [a]\n").starts_with(at(1) + ": models: expected a map of model name"));
}

// ---- Which role an entry names -----------------------------------------------------------

TEST(RoleEntryMatch, MetaGptClassNamesNameProfilesWhateverTheCaseAndBlanks) {
  EXPECT_EQ(role_entry_match("ProductManager", "Alice", "Product Manager"), 1);
  EXPECT_EQ(role_entry_match("QaEngineer", "Edward", "QA Engineer"), 1);
  EXPECT_EQ(role_entry_match("project_manager", "Eve", "Project Manager"), 1);
  EXPECT_EQ(role_entry_match("Engineer", "Edward", "QA Engineer"), 0);
  EXPECT_EQ(role_entry_match("Engineer", "Alex", "Engineer"), 1);
}

TEST(RoleEntryMatch, ARolesNameWinsOverItsProfileAndAPopulationAnswersToItsName) {
  EXPECT_EQ(role_entry_match("alice", "Alice", "Product Manager"), 3);
  EXPECT_EQ(role_entry_match("Citizen", "Citizen-17", "Resident"), 2);
  EXPECT_EQ(role_entry_match("Citizen", "Citizen-x", "Resident"), 0);
  const std::vector<RoleLlm> entries{{.role = "Engineer", .model = "by-profile"},
                                     {.role = "Alex", .model = "by-name"}};
  ASSERT_NE(role_llm_for(entries, "Alex", "Engineer"), nullptr);
  EXPECT_EQ(role_llm_for(entries, "Alex", "Engineer")->model, "by-name");
  EXPECT_EQ(role_llm_for(entries, "Bob", "Architect"), nullptr);
}

}  // namespace
}  // namespace agentco
