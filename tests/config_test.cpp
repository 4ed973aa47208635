// Pins config/config.hpp: the layers and their order, error messages with file:line, the
// environment names, flags, pricing merge and secret redaction.
#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

extern char** environ;

namespace agentco {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// Every test runs in a fresh temp directory with HOME pointing inside it and no
// AGENTCO_*, OPENAI_* or XDG_CONFIG_HOME variables; all of it is restored afterwards.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = fs::current_path();
    for (char** entry = environ; *entry; ++entry) {
      const std::string text = *entry;
      const auto eq = text.find('=');
      const std::string name = text.substr(0, eq);
      if (name.starts_with("AGENTCO_") || name.starts_with("OPENAI_") || name == "HOME" ||
          name == "XDG_CONFIG_HOME")
        saved_env_[name] = text.substr(eq + 1);
    }
    for (const auto& [name, value] : saved_env_) unsetenv(name.c_str());

    char pattern[] = "/tmp/agentco_config_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    home_ = root_ / "home";
    work_ = root_ / "work";
    fs::create_directories(home_);
    fs::create_directories(work_);
    setenv("HOME", home_.c_str(), 1);
    fs::current_path(work_);
  }

  void TearDown() override {
    fs::current_path(old_cwd_);
    for (char** entry = environ; *entry;) {  // unset what the test set, then restore
      const std::string text = *entry;
      const std::string name = text.substr(0, text.find('='));
      if (name.starts_with("AGENTCO_") || name.starts_with("OPENAI_") || name == "HOME" ||
          name == "XDG_CONFIG_HOME") {
        unsetenv(name.c_str());
        entry = environ;
      } else {
        ++entry;
      }
    }
    for (const auto& [name, value] : saved_env_) setenv(name.c_str(), value.c_str(), 1);
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path user_config() const { return home_ / ".config" / "agentco" / "config.yaml"; }
  fs::path cwd_config() const { return work_ / "config" / "agentco.yaml"; }

  static ConfigSources only_defaults() {
    ConfigSources sources;
    sources.read_default_files = false;
    sources.read_environment = false;
    return sources;
  }

  // The error message of a layer applied on top of the defaults.
  static std::string yaml_error(const std::string& text) {
    Config config;
    Status status = apply_config_yaml(config, text, "f.yaml");
    EXPECT_FALSE(status.ok()) << "accepted:\n" << text;
    if (status.ok()) return "";
    EXPECT_EQ(status.error().code, "config");
    return status.error().message;
  }

  fs::path root_, home_, work_, old_cwd_;
  std::map<std::string, std::string> saved_env_;
};

nlohmann::json without_pricing(nlohmann::json json) {
  json.erase("pricing");
  return json;
}

// ---- Defaults --------------------------------------------------------------------------

TEST_F(ConfigTest, BuiltInDefaultsMatchTheStructDefaults) {
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(without_pricing(config->to_json(false)), without_pricing(Config{}.to_json(false)));
  EXPECT_EQ(config->origin.at("llm.model"), "default");
  EXPECT_EQ(config->origin.at("run.investment"), "default");
}

TEST_F(ConfigTest, BuiltInDefaultsIncludePricesForTheDefaultModel) {
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->pricing.count("gpt-4o-mini"));
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-4o-mini").prompt_per_1k, 0.00015);
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-4o-mini").completion_per_1k, 0.0006);
  EXPECT_DOUBLE_EQ(config->pricing.at("mock").prompt_per_1k, 0.0);
}

TEST_F(ConfigTest, EveryKnownKeyHasAnOrigin) {
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  const nlohmann::json json = config->to_json(false);
  for (const auto& [section, keys] : json.items()) {
    if (section == "pricing") continue;
    for (const auto& [key, value] : keys.items())
      EXPECT_TRUE(config->origin.count(section + "." + key)) << section << "." << key;
  }
}

// ---- Layers ----------------------------------------------------------------------------

TEST_F(ConfigTest, EachFileLayerOverridesTheOneBelow) {
  write_file(cwd_config(), "llm:\n  model: from-cwd\n  temperature: 0.5\nrun:\n  max_rounds: 7\n");
  write_file(user_config(), "llm:\n  temperature: 0.7\n  model: from-home\n");
  const fs::path explicit_file = root_ / "explicit.yaml";
  write_file(explicit_file, "# explicit\nllm:\n  model: from-flag-file\n");

  ConfigSources sources;
  sources.read_environment = false;
  sources.config_file = explicit_file.string();
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;

  EXPECT_EQ(config->llm.model, "from-flag-file");
  EXPECT_EQ(config->origin.at("llm.model"), explicit_file.string() + ":3");
  EXPECT_DOUBLE_EQ(config->llm.temperature, 0.7);
  EXPECT_EQ(config->origin.at("llm.temperature"), user_config().string() + ":2");
  EXPECT_EQ(config->run.max_rounds, 7);
  EXPECT_EQ(config->origin.at("run.max_rounds"), "config/agentco.yaml:5");
  EXPECT_EQ(config->run.investment, 10.0);
  EXPECT_EQ(config->origin.at("run.investment"), "default");
}

TEST_F(ConfigTest, XdgConfigHomeReplacesDotConfigUnderHome) {
  write_file(user_config(), "llm:\n  model: from-home\n");
  const fs::path xdg = root_ / "xdg";
  write_file(xdg / "agentco" / "config.yaml", "llm:\n  model: from-xdg\n");
  setenv("XDG_CONFIG_HOME", xdg.c_str(), 1);

  ConfigSources sources;
  sources.read_environment = false;
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.model, "from-xdg");
}

TEST_F(ConfigTest, DefaultFilesAreSkippedWhenReadDefaultFilesIsFalse) {
  write_file(cwd_config(), "llm:\n  model: from-cwd\n");
  write_file(user_config(), "run:\n  max_rounds: 3\n");
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.model, LlmConfig{}.model);
  EXPECT_EQ(config->run.max_rounds, RunConfig{}.max_rounds);
}

TEST_F(ConfigTest, AMissingConfigFileIsAClearError) {
  ConfigSources sources = only_defaults();
  sources.config_file = (root_ / "nope.yaml").string();
  Result<Config> config = load_config(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "config");
  EXPECT_EQ(config.error().message,
            "--config " + (root_ / "nope.yaml").string() + ": file not found");
}

TEST_F(ConfigTest, AnErrorInAFileLayerNamesThatFileAndLine) {
  write_file(user_config(), "run:\n  investment: 5\n  max_round: 4\n");
  ConfigSources sources;
  sources.read_environment = false;
  Result<Config> config = load_config(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(
      config.error().message,
      user_config().string() + ":3: unknown key 'run.max_round' (did you mean 'run.max_rounds'?)");
}

TEST_F(ConfigTest, AnEmptyFileChangesNothing) {
  write_file(user_config(), "");
  write_file(cwd_config(), "# only a comment\n");
  ConfigSources sources;
  sources.read_environment = false;
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(without_pricing(config->to_json(false)), without_pricing(Config{}.to_json(false)));
}

// ---- Validation ------------------------------------------------------------------------

TEST_F(ConfigTest, AnUnknownKeyNamesTheLineAndSuggestsTheClosestKey) {
  EXPECT_EQ(yaml_error("llm:\n  model: a\n  modle: b\n"),
            "f.yaml:3: unknown key 'llm.modle' (did you mean 'llm.model'?)");
  EXPECT_EQ(yaml_error("llm:\n  temprature: 1\n"),
            "f.yaml:2: unknown key 'llm.temprature' (did you mean 'llm.temperature'?)");
}

TEST_F(ConfigTest, AnUnknownKeyFarFromEveryKnownKeyListsTheSectionKeys) {
  EXPECT_EQ(yaml_error("log:\n  destination: stderr\n"),
            "f.yaml:2: unknown key 'log.destination' (known keys in log: level)");
}

TEST_F(ConfigTest, AKnownKeyInTheWrongSectionPointsToItsSection) {
  EXPECT_EQ(yaml_error("run:\n  model: gpt-4o\n"),
            "f.yaml:2: unknown key 'run.model' (did you mean 'llm.model'?)");
}

TEST_F(ConfigTest, AnUnknownTopLevelKeyIsAnUnknownKey) {
  EXPECT_EQ(yaml_error("lm:\n  model: x\n"), "f.yaml:1: unknown key 'lm' (did you mean 'llm'?)");
  EXPECT_EQ(yaml_error("llm:\n  model: x\ncolour: red\n"),
            "f.yaml:3: unknown key 'colour' (known sections: llm, run, log, tools, pricing, mcp_servers, roles, models, nats)");
}

TEST_F(ConfigTest, AValueOfTheWrongTypeNamesTheLineAndTheKey) {
  EXPECT_EQ(yaml_error("llm:\n  temperature: warm\n"),
            "f.yaml:2: llm.temperature: expected a number, got 'warm'");
  EXPECT_EQ(yaml_error("run:\n\n  max_rounds: 2.5\n"),
            "f.yaml:3: run.max_rounds: expected an integer, got '2.5'");
  EXPECT_EQ(yaml_error("llm:\n  stream: maybe\n"),
            "f.yaml:2: llm.stream: expected a boolean (true/false/yes/no), got 'maybe'");
  EXPECT_EQ(yaml_error("llm:\n  model: [a, b]\n"),
            "f.yaml:2: llm.model: expected a string, got a list");
}

TEST_F(ConfigTest, BooleansAcceptTrueFalseYesAndNo) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"false", false}, {"yes", true}, {"no", false}}) {
    Config config;
    config.llm.stream = !expected;
    ASSERT_TRUE(apply_config_yaml(config, "llm:\n  stream: " + text + "\n", "f.yaml").ok()) << text;
    EXPECT_EQ(config.llm.stream, expected) << text;
  }
}

TEST_F(ConfigTest, OutOfRangeValuesAreRejectedWithTheirLimits) {
  EXPECT_EQ(yaml_error("llm:\n  temperature: 3\n"),
            "f.yaml:2: llm.temperature: must be between 0 and 2, got 3");
  EXPECT_EQ(yaml_error("llm:\n  max_tokens: 0\n"),
            "f.yaml:2: llm.max_tokens: must be at least 1, got 0");
  EXPECT_EQ(yaml_error("llm:\n  repair_attempts: 11\n"),
            "f.yaml:2: llm.repair_attempts: must be between 0 and 10, got 11");
  EXPECT_EQ(yaml_error("run:\n  max_rounds: 0\n"),
            "f.yaml:2: run.max_rounds: must be at least 1, got 0");
  EXPECT_EQ(yaml_error("run:\n  investment: -1\n"),
            "f.yaml:2: run.investment: must be at least 0, got -1");
  EXPECT_EQ(yaml_error("log:\n  level: loud\n"),
            "f.yaml:2: log.level: must be one of trace|debug|info|warn|error|off, got 'loud'");
}

TEST_F(ConfigTest, ASyntaxErrorNamesTheFileAndLine) {
  const std::string message =
      yaml_error("llm:\n  model: gpt-4o\n  temperature: [0.2\nrun:\n  sop: x\n");
  EXPECT_TRUE(message.starts_with("f.yaml:")) << message;
  EXPECT_NE(message.find(": YAML syntax error: "), std::string::npos) << message;
  const int line = std::stoi(message.substr(std::string("f.yaml:").size()));
  EXPECT_GE(line, 3) << message;
  EXPECT_LE(line, 5) << message;

  EXPECT_EQ(yaml_error("llm:\n  model: a: b\n"), "f.yaml:2: YAML syntax error: illegal map value");
}

TEST_F(ConfigTest, ASectionThatIsNotAMapIsAnError) {
  EXPECT_EQ(yaml_error("llm: gpt-4o\n"), "f.yaml:1: llm: expected a map, got 'gpt-4o'");
  EXPECT_EQ(yaml_error("- llm\n"),
            "f.yaml:1: expected a map with sections llm, run, log, tools, pricing, mcp_servers (and MetaGPT's roles, models); "
            "got a list");
}

TEST_F(ConfigTest, AFailedLayerLeavesTheConfigUnchanged) {
  Config config;
  ASSERT_FALSE(
      apply_config_yaml(config, "llm:\n  model: changed\n  temperature: hot\n", "f.yaml").ok());
  EXPECT_EQ(config.llm.model, LlmConfig{}.model);
  EXPECT_TRUE(config.origin.empty());
}

TEST_F(ConfigTest, ANullStringValueMeansEmpty) {
  Config config;
  config.llm.base_url = "http://old";
  ASSERT_TRUE(apply_config_yaml(config, "llm:\n  base_url:\n", "f.yaml").ok());
  EXPECT_EQ(config.llm.base_url, "");
}

// ---- MetaGPT compatibility -------------------------------------------------------------

TEST_F(ConfigTest, AMetaGptConfig2FileLoads) {
  const fs::path file = root_ / "config2.yaml";
  write_file(file,
             "llm:\n"
             "  api_type: \"openai\"  # or azure / ollama / groq etc.\n"
             "  model: \"gpt-4-turbo\"\n"
             "  base_url: \"https://api.openai.com/v1\"\n"
             "  api_key: \"sk-metagpt-style\"\n"
             "  api_version: \"\"\n");
  ConfigSources sources = only_defaults();
  sources.config_file = file.string();
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.api_type, "openai");
  EXPECT_EQ(config->llm.model, "gpt-4-turbo");
  EXPECT_EQ(config->llm.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config->llm.api_key, "sk-metagpt-style");
  EXPECT_EQ(config->origin.at("llm.api_key"), file.string() + ":5");
}

// ---- Environment -----------------------------------------------------------------------

TEST_F(ConfigTest, TheEnvironmentOverridesFiles) {
  write_file(user_config(), "llm:\n  model: from-home\nrun:\n  investment: 1\n");
  setenv("AGENTCO_LLM_MODEL", "from-env", 1);
  setenv("AGENTCO_RUN_INVESTMENT", "2.5", 1);
  setenv("AGENTCO_RUN_MAX_ROUNDS", "12", 1);
  setenv("AGENTCO_LLM_STREAM", "no", 1);
  setenv("AGENTCO_LOG_LEVEL", "debug", 1);

  Result<Config> config = load_config(ConfigSources{});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.model, "from-env");
  EXPECT_EQ(config->origin.at("llm.model"), "env AGENTCO_LLM_MODEL");
  EXPECT_DOUBLE_EQ(config->run.investment, 2.5);
  EXPECT_EQ(config->run.max_rounds, 12);
  EXPECT_FALSE(config->llm.stream);
  EXPECT_EQ(config->log.level, "debug");
}

TEST_F(ConfigTest, OpenAiVariablesSetTheKeyAndBaseUrl) {
  setenv("OPENAI_API_KEY", "sk-openai", 1);
  setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
  Result<Config> config = load_config(ConfigSources{});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.api_key, "sk-openai");
  EXPECT_EQ(config->origin.at("llm.api_key"), "env OPENAI_API_KEY");
  EXPECT_EQ(config->llm.base_url, "http://127.0.0.1:9/v1");
  EXPECT_EQ(config->origin.at("llm.base_url"), "env OPENAI_BASE_URL");
}

TEST_F(ConfigTest, AgentcoVariablesBeatOpenAiVariables) {
  setenv("OPENAI_API_KEY", "sk-openai", 1);
  setenv("AGENTCO_LLM_API_KEY", "sk-agentco", 1);
  setenv("OPENAI_BASE_URL", "http://openai", 1);
  setenv("AGENTCO_LLM_BASE_URL", "http://agentco", 1);
  Result<Config> config = load_config(ConfigSources{});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.api_key, "sk-agentco");
  EXPECT_EQ(config->origin.at("llm.api_key"), "env AGENTCO_LLM_API_KEY");
  EXPECT_EQ(config->llm.base_url, "http://agentco");
}

TEST_F(ConfigTest, ABadEnvironmentValueNamesTheVariable) {
  setenv("AGENTCO_RUN_MAX_ROUNDS", "lots", 1);
  Result<Config> config = load_config(ConfigSources{});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "config");
  EXPECT_EQ(config.error().message,
            "env AGENTCO_RUN_MAX_ROUNDS (run.max_rounds): expected an integer, got 'lots'");
}

TEST_F(ConfigTest, AnEmptyEnvironmentVariableCountsAsUnset) {
  write_file(user_config(), "llm:\n  api_key: sk-file\n");
  setenv("OPENAI_API_KEY", "", 1);
  Result<Config> config = load_config(ConfigSources{});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.api_key, "sk-file");
}

TEST_F(ConfigTest, TheEnvironmentIsIgnoredWhenReadEnvironmentIsFalse) {
  setenv("AGENTCO_LLM_MODEL", "from-env", 1);
  setenv("OPENAI_API_KEY", "sk-openai", 1);
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.model, LlmConfig{}.model);
  EXPECT_EQ(config->llm.api_key, "");
}

// ---- Flags -----------------------------------------------------------------------------

TEST_F(ConfigTest, FlagsBeatTheEnvironment) {
  setenv("AGENTCO_LLM_MODEL", "from-env", 1);
  setenv("AGENTCO_LLM_MAX_TOKENS", "100", 1);
  ConfigSources sources;
  sources.flags = {{"llm.model", "from-flag"}, {"run.investment", "0.5"}};
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.model, "from-flag");
  EXPECT_EQ(config->origin.at("llm.model"), "flag");
  EXPECT_DOUBLE_EQ(config->run.investment, 0.5);
  EXPECT_EQ(config->llm.max_tokens, 100);
  EXPECT_EQ(config->origin.at("llm.max_tokens"), "env AGENTCO_LLM_MAX_TOKENS");
}

TEST_F(ConfigTest, ABadFlagValueNamesTheFlag) {
  ConfigSources sources = only_defaults();
  sources.flags = {{"llm.max_tokens", "x"}};
  Result<Config> config = load_config(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "flag llm.max_tokens: expected an integer, got 'x'");

  sources.flags = {{"llm.temperature", "9"}};
  config = load_config(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "flag llm.temperature: must be between 0 and 2, got 9");
}

TEST_F(ConfigTest, AnUnknownFlagKeySuggestsTheClosestKey) {
  ConfigSources sources = only_defaults();
  sources.flags = {{"llm.modle", "x"}};
  Result<Config> config = load_config(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "flag: unknown key 'llm.modle' (did you mean 'llm.model'?)");
}

// ---- Pricing ---------------------------------------------------------------------------

TEST_F(ConfigTest, PricingMergesPerModelOverLowerLayers) {
  write_file(user_config(),
             "pricing:\n"
             "  my-local-model: {prompt: 0.001, completion: 0.002}\n"
             "  gpt-4o:\n"
             "    prompt: 0.005\n");
  ConfigSources sources;
  sources.read_environment = false;
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_DOUBLE_EQ(config->pricing.at("my-local-model").prompt_per_1k, 0.001);
  EXPECT_DOUBLE_EQ(config->pricing.at("my-local-model").completion_per_1k, 0.002);
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-4o").prompt_per_1k, 0.005);
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-4o").completion_per_1k,
                   0.01);  // from the built-in layer
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-4o-mini").prompt_per_1k, 0.00015);
  EXPECT_EQ(config->origin.at("pricing.gpt-4o"), user_config().string() + ":3");
}

TEST_F(ConfigTest, PricingRejectsUnknownFieldsAndNegativePrices) {
  EXPECT_EQ(yaml_error("pricing:\n  gpt-4o: {prompt: 1, input: 2}\n"),
            "f.yaml:2: unknown key 'pricing.gpt-4o.input' (known keys: prompt, completion, cached)");
  EXPECT_EQ(yaml_error("pricing:\n  gpt-4o:\n    completion: -1\n"),
            "f.yaml:3: pricing.gpt-4o.completion: must be at least 0, got -1");
  EXPECT_EQ(yaml_error("pricing:\n  gpt-4o:\n    prompt: cheap\n"),
            "f.yaml:3: pricing.gpt-4o.prompt: expected a number, got 'cheap'");
  EXPECT_EQ(
      yaml_error("pricing:\n  gpt-4o: 0.1\n"),
      "f.yaml:2: pricing.gpt-4o: expected a map {prompt: number, completion: number}, got '0.1'");
}

TEST_F(ConfigTest, ACachedPriceComesFromTheDefaultsFilesAndFlagsAndSurvivesTheRecordedConfig) {
  ConfigSources sources = only_defaults();
  sources.flags = {{"pricing.my-model.cached", "0.0001"}, {"pricing.my-model.prompt", "0.001"}};
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->pricing.at("gpt-4o-mini").cached_per_1k, std::optional<double>(0.000075));
  EXPECT_EQ(config->pricing.at("gpt-4-turbo").cached_per_1k, std::nullopt);  // no prompt cache: the prompt price
  EXPECT_EQ(config->pricing.at("my-model").cached_per_1k, std::optional<double>(0.0001));
  EXPECT_DOUBLE_EQ(config->pricing.at("my-model").prompt_per_1k, 0.001);
  // The recorded config (run_start) reads back the same prices.
  const nlohmann::json json = config->to_json();
  EXPECT_EQ(json["pricing"]["my-model"]["cached"], 0.0001);
  EXPECT_FALSE(json["pricing"]["gpt-4-turbo"].contains("cached"));
  Config again;
  ASSERT_TRUE(apply_config_yaml(again, json.dump(), "recorded").ok());
  EXPECT_EQ(again.pricing.at("my-model").cached_per_1k, std::optional<double>(0.0001));
  EXPECT_EQ(again.pricing.at("gpt-4-turbo").cached_per_1k, std::nullopt);
  EXPECT_EQ(yaml_error("pricing:\n  gpt-4o:\n    cached: -1\n"), "f.yaml:3: pricing.gpt-4o.cached: must be at least 0, got -1");
}

TEST_F(ConfigTest, APriceFlagAcceptsModelNamesWithDots) {
  ConfigSources sources = only_defaults();
  sources.flags = {{"pricing.gpt-3.5-turbo.prompt", "0.1"}};
  Result<Config> config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-3.5-turbo").prompt_per_1k, 0.1);
  EXPECT_DOUBLE_EQ(config->pricing.at("gpt-3.5-turbo").completion_per_1k, 0.0015);
}

// ---- JSON and redaction ----------------------------------------------------------------

TEST_F(ConfigTest, RedactedJsonNeverContainsTheSecret) {
  setenv("OPENAI_API_KEY", "sk-very-secret-123", 1);
  Result<Config> config = load_config(ConfigSources{});
  ASSERT_TRUE(config.ok()) << config.error().message;

  const nlohmann::json redacted = config->to_json(true);
  EXPECT_EQ(redacted.dump().find("sk-very-secret-123"), std::string::npos);
  EXPECT_EQ(redacted["llm"]["api_key"], "***");
  EXPECT_EQ(config->to_json().dump().find("sk-very-secret-123"), std::string::npos)
      << "redacts by default";
  EXPECT_EQ(config->to_json(false)["llm"]["api_key"], "sk-very-secret-123");
}

TEST_F(ConfigTest, AnEmptyKeyStaysEmptyWhenRedacted) {
  EXPECT_EQ(Config{}.to_json(true)["llm"]["api_key"], "");
}

TEST_F(ConfigTest, JsonHasEverySectionWithTypedValues) {
  Result<Config> config = load_config(only_defaults());
  ASSERT_TRUE(config.ok()) << config.error().message;
  const nlohmann::json json = config->to_json();
  EXPECT_TRUE(json["llm"]["temperature"].is_number_float());
  EXPECT_TRUE(json["llm"]["max_tokens"].is_number_integer());
  EXPECT_TRUE(json["llm"]["stream"].is_boolean());
  EXPECT_EQ(json["run"]["sop"], "software_company");
  EXPECT_EQ(json["log"]["level"], "info");
  EXPECT_DOUBLE_EQ(json["pricing"]["gpt-4o"]["completion"].get<double>(), 0.01);
}

// Found by fuzz/config_fuzz.cpp: a model name with a byte that is not UTF-8 loaded, and then
// dumping it as JSON (a request body, the recorded config a replay loads) threw.
TEST_F(ConfigTest, BytesThatAreNotUtf8BecomeReplacementCharactersAndTheConfigStillDumps) {
  Config config;
  const std::string text = "pricing:\n  gpt-\xcb.1: {prompt: 0.002, completion: 0.008}\n";
  ASSERT_TRUE(apply_config_yaml(config, text, "f.yaml").ok());
  ASSERT_EQ(config.pricing.count("gpt-\xef\xbf\xbd.1"), 1u);
  EXPECT_NO_THROW((void)config.to_json().dump());
}

TEST_F(ConfigTest, AnEscapeOfHalfASurrogatePairIsASyntaxErrorWithItsLine) {
  const std::string message = yaml_error("llm:\n  model: \"gpt-\\uD800\"\n");
  EXPECT_TRUE(message.starts_with("f.yaml:2: YAML syntax error: invalid unicode")) << message;
}

}  // namespace
}  // namespace agentco
