// Per-role and per-action models. The order (sop/model_choice.hpp): the config's llm.models
// "Role/Action" > llm.models "Role" > the SOP action's `model:` > the SOP role's `model:` >
// llm.model (--model). Bad values are errors with file:line; llm.models keys that name no role
// or action of the SOP stop a run with exit 2. End to end, the fake server sees each request
// with the model its action or role asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "config/config.hpp"
#include "sop/model_choice.hpp"
#include "sop/sop.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/hello_project.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kSop =
    "name: tiny\n"                                                       // 1
    "roles:\n"                                                           // 2
    "  - name: Writer\n"                                                 // 3
    "    profile: Product Manager\n"                                     // 4
    "    actions: [WritePRD]\n"                                          // 5
    "    watch: [UserRequirement]\n"                                     // 6
    "    model: writer-model\n"                                          // 7
    "actions:\n"                                                         // 8
    "  WritePRD:\n"                                                      // 9
    "    type: document\n"                                               // 10
    "    prompt: write_prd\n"                                            // 11
    "    document: prd\n"                                                // 12
    "    model: prd-model\n"                                             // 13
    "    schema:\n"                                                      // 14
    "      - {name: Project Name, type: str, instruction: \"A name.\"}\n";  // 15

std::string with_line(int number, const std::string& text) {
  std::istringstream in(kSop);
  std::string out, line;
  for (int n = 1; std::getline(in, line); ++n) out += (n == number ? text : line) + "\n";
  return out;
}

class ModelOverride : public ::testing::Test {
 protected:
  void SetUp() override { register_builtin_actions(registry_); }
  Result<Sop> parse(const std::string& yaml) { return parse_sop(yaml, "tiny.yaml", registry_, prompts_); }
  ActionRegistry registry_;
  PromptLibrary prompts_;
};

TEST_F(ModelOverride, ASopActionAndARoleCanEachNameAModel) {
  auto sop = parse(kSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->roles.at(0).model, "writer-model");
  ASSERT_NE(sop->action("WritePRD"), nullptr);
  EXPECT_EQ(sop->action("WritePRD")->model, "prd-model");
}

TEST_F(ModelOverride, AnActionModelThatIsNotOneNameIsAnErrorWithFileAndLine) {
  for (const std::string bad : {"    model: \"\"", "    model: gpt 4o", "    model: [a, b]"}) {
    auto sop = parse(with_line(13, bad));
    ASSERT_FALSE(sop.ok()) << bad;
    EXPECT_NE(sop.error().message.find("tiny.yaml:13: "), std::string::npos) << sop.error().message;
    EXPECT_NE(sop.error().message.find("model"), std::string::npos) << sop.error().message;
  }
}

TEST_F(ModelOverride, ARoleModelThatIsNotOneNameIsAnErrorWithFileAndLine) {
  auto sop = parse(with_line(7, "    model: \"two words\""));
  ASSERT_FALSE(sop.ok());
  EXPECT_NE(sop.error().message.find("tiny.yaml:7: role Writer: model must name one model"), std::string::npos)
      << sop.error().message;
}


// ---- llm.models in the config ------------------------------------------------------------

// Sets a variable for the length of a test.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedVariable() { ::unsetenv(name_); }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
};

class ConfigModels : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("AGENTCO_LLM_MODELS"); }
  // The built-in defaults under one file "my.yaml" holding `yaml`, plus `flags`.
  Result<Config> load(const std::string& yaml, FlagOverrides flags = {}, bool environment = false) {
    testing::spill(dir_.path() / "my.yaml", yaml);
    ConfigSources sources;
    sources.read_default_files = false;
    sources.read_environment = environment;
    sources.config_file = (dir_.path() / "my.yaml").string();
    sources.flags = std::move(flags);
    return load_config(sources);
  }
  std::string file() const { return (dir_.path() / "my.yaml").string(); }
  testing::RunTempDir dir_{"config_models"};
};

TEST_F(ConfigModels, AreEmptyByDefault) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->llm.models.empty());
  EXPECT_EQ(config->to_json()["llm"]["models"], json::object());
}

TEST_F(ConfigModels, AFileMapsRolesAndRoleActionsToModelsAndSaysWhereEachCameFrom) {
  auto config = load("llm:\n  model: base\n  models:\n    Architect: gpt-4o\n    Engineer/WriteCode: deepseek-coder\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const std::map<std::string, std::string> expected{{"Architect", "gpt-4o"}, {"Engineer/WriteCode", "deepseek-coder"}};
  EXPECT_EQ(config->llm.models, expected);
  EXPECT_EQ(config->origin.at("llm.models.Architect"), file() + ":4");
  EXPECT_EQ(config->origin.at("llm.models.Engineer/WriteCode"), file() + ":5");
  EXPECT_EQ(config->to_json()["llm"]["models"]["Engineer/WriteCode"], "deepseek-coder");
}

TEST_F(ConfigModels, TheTracedConfigLoadsBackAsItWas) {  // replay rebuilds the config from run_start
  auto config = load("llm:\n  models: {Architect: gpt-4o, Alex/WriteCode: coder}\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  Config again;
  ASSERT_TRUE(apply_config_yaml(again, config->to_json(true).dump(), "run_start").ok());
  EXPECT_EQ(again.llm.models, config->llm.models);
}

TEST_F(ConfigModels, EachLayerMergesKeyByKeyAndTheEnvironmentAndFlagsWin) {
  ScopedVariable variable("AGENTCO_LLM_MODELS", "{Architect: from-env, QA Engineer: qa-env}");
  auto config = load("llm:\n  models:\n    Architect: from-file\n    Engineer: eng-file\n    Engineer/WriteCode: code-file\n",
                     {{"llm.models.Engineer/WriteCode", "from-flag"}}, /*environment=*/true);
  ASSERT_TRUE(config.ok()) << config.error().message;
  const std::map<std::string, std::string> expected{{"Architect", "from-env"},
                                                    {"Engineer", "eng-file"},
                                                    {"Engineer/WriteCode", "from-flag"},
                                                    {"QA Engineer", "qa-env"}};
  EXPECT_EQ(config->llm.models, expected);
  EXPECT_EQ(config->origin.at("llm.models.Architect"), "env AGENTCO_LLM_MODELS");
  EXPECT_EQ(config->origin.at("llm.models.Engineer"), file() + ":4");
  EXPECT_EQ(config->origin.at("llm.models.Engineer/WriteCode"), "flag");
}

TEST_F(ConfigModels, BadKeysAndModelsInAFileAreErrorsWithFileLineAndKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"llm:\n  models:\n    Engineer/: m\n", ":3: llm.models: 'Engineer/' must be ROLE or ROLE/ACTION"},
      {"llm:\n  models:\n    /WriteCode: m\n", ":3: llm.models: '/WriteCode' must be ROLE or ROLE/ACTION"},
      {"llm:\n  models:\n    A/B/C: m\n", ":3: llm.models: 'A/B/C' must be ROLE or ROLE/ACTION"},
      {"llm:\n  models:\n    Architect: gpt 4o\n", ":3: llm.models.Architect: must name one model"},
      {"llm:\n  models:\n    Architect: \"\"\n", ":3: llm.models.Architect: must name one model"},
      {"llm:\n  models:\n    Architect: [a, b]\n", ":3: llm.models.Architect: expected a model name, got a list"},
      {"llm:\n  models: gpt-4o\n", ":2: llm.models: expected a map of role or role/action -> model"},
      {"llm:\n  modles: {}\n", ":2: unknown key 'llm.modles' (did you mean 'llm.models'?)"},
  };
  for (const auto& [yaml, message] : cases) {
    auto config = load(yaml);
    ASSERT_FALSE(config.ok()) << yaml;
    EXPECT_NE(config.error().message.find(file() + message), std::string::npos) << config.error().message;
  }
}

TEST_F(ConfigModels, ABadEnvironmentValueOrFlagNamesTheVariableOrFlag) {
  {
    ScopedVariable variable("AGENTCO_LLM_MODELS", "Architect=gpt-4o");
    auto config = load("", {}, /*environment=*/true);
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("env AGENTCO_LLM_MODELS: llm.models: expected a map"), std::string::npos)
        << config.error().message;
  }
  {
    ScopedVariable variable("AGENTCO_LLM_MODELS", "{Architect: [x");
    auto config = load("", {}, /*environment=*/true);
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("env AGENTCO_LLM_MODELS: llm.models: not a YAML map"), std::string::npos)
        << config.error().message;
  }
  auto config = load("", {{"llm.models.Architect", "two words"}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("flag llm.models.Architect: must name one model"), std::string::npos)
      << config.error().message;
}

// ---- Which model a call uses ---------------------------------------------------------------

TEST(ModelFor, ConfigActionThenConfigRoleThenSopActionThenSopRoleThenTheRunsModel) {
  LlmConfig llm;
  llm.model = "run-model";
  RoleSpec role;
  role.name = "Alex";
  role.profile = "Engineer";
  ActionSpec action;
  action.name = "WriteCode";
  EXPECT_EQ(model_for(llm, role, action), "run-model");
  role.model = "sop-role";
  EXPECT_EQ(model_for(llm, role, action), "sop-role");
  action.model = "sop-action";
  EXPECT_EQ(model_for(llm, role, action), "sop-action");
  llm.models["Engineer"] = "config-role";
  EXPECT_EQ(model_for(llm, role, action), "config-role");
  llm.models["Engineer/WriteCode"] = "config-action";
  EXPECT_EQ(model_for(llm, role, action), "config-action");
  ActionSpec other;
  other.name = "WriteManual";
  EXPECT_EQ(model_for(llm, role, other), "config-role");
}

TEST(ModelFor, ARolesNameWinsOverItsProfileAndAPopulationAnswersToItsName) {
  LlmConfig llm;
  llm.models = {{"Engineer", "by-profile"}, {"Alex", "by-name"}, {"Citizen/Discuss", "citizens"}};
  RoleSpec alex;
  alex.name = "Alex";
  alex.profile = "Engineer";
  ActionSpec code;
  code.name = "WriteCode";
  EXPECT_EQ(model_for(llm, alex, code), "by-name");
  RoleSpec citizen;
  citizen.name = "Citizen";
  citizen.profile = "Citizen";
  citizen.count = 3;
  ActionSpec discuss;
  discuss.name = "Discuss";
  for (const RoleSpec& instance : role_instances(citizen)) EXPECT_EQ(model_for(llm, instance, discuss), "citizens");
}

class ModelOverrideCheck : public ModelOverride {
 protected:
  Status check(std::map<std::string, std::string> models) {
    auto sop = load_sop("software_company", registry_, prompts_);
    EXPECT_TRUE(sop.ok());
    Config config;
    config.llm.models = std::move(models);
    for (const auto& [key, model] : config.llm.models) config.origin["llm.models." + key] = "my.yaml:9";
    return check_model_overrides(config, *sop);
  }
};

TEST_F(ModelOverrideCheck, KeysNamingRolesByNameOrProfileAndTheirActionsPass) {
  Status status = check({{"Architect", "a"}, {"Alex", "b"}, {"Engineer/WriteCode", "c"}, {"Edward/RunTests", "d"},
                         {"QA Engineer", "e"}});
  EXPECT_TRUE(status.ok()) << status.error().message;
}

TEST_F(ModelOverrideCheck, AnUnknownRoleIsAnErrorNamingWhereTheKeyWasSetAndTheRoles) {
  Status status = check({{"Architekt", "a"}});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("my.yaml:9: llm.models.Architekt: no role 'Architekt' in SOP software_company"),
            std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("Bob (Architect)"), std::string::npos) << status.error().message;
}

TEST_F(ModelOverrideCheck, AnActionTheRoleDoesNotRunOrThatDoesNotExistIsAnError) {
  Status status = check({{"Engineer/WritePRD", "a"}, {"Engineer/WriteCod", "b"}, {"WriteCode", "c"}});
  ASSERT_FALSE(status.ok());
  const std::string& message = status.error().message;
  EXPECT_NE(message.find("my.yaml:9: llm.models.Engineer/WritePRD: role Engineer in SOP software_company does not "
                         "run 'WritePRD' (its actions: WriteCode, WriteManual, FixCode)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("llm.models.Engineer/WriteCod: role Engineer in SOP software_company has no action 'WriteCod'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("WriteCode is an action: write ROLE/WriteCode"), std::string::npos) << message;
}

TEST_F(ModelOverrideCheck, TheCallsOfASopAreEachRoleWithEachModelItsActionsUseOnce) {
  auto sop = load_sop("software_company", registry_, prompts_);
  ASSERT_TRUE(sop.ok());
  Config config;
  config.llm.model = "m";
  config.llm.models = {{"Architect", "big"}, {"Engineer/WriteCode", "coder"}};
  const std::vector<RoleModel> calls = models_of_calls(config.llm, *sop);
  auto has = [&](const std::string& role, const std::string& model) {
    return std::count_if(calls.begin(), calls.end(),
                         [&](const RoleModel& c) { return c.role == role && c.model == model; });
  };
  EXPECT_EQ(has("Bob", "big"), 1);
  EXPECT_EQ(has("Alex", "coder"), 1);
  EXPECT_EQ(has("Alex", "m"), 1) << "WriteManual and FixCode, once";
  EXPECT_EQ(has("Alice", "m"), 1);
  EXPECT_EQ(has("Bob", "m"), 0);
  for (const auto& call : calls) EXPECT_FALSE(call.profile.empty()) << call.role;
}

#ifdef AGENTCO_FAKE_SERVER
// The built-in SOP with WriteDesign on one model and the engineer on another: the fake server
// answers only the model each call must use, so a wrong model fails the run.
TEST(ModelOverrideRun, EachCallGoesToTheModelOfItsActionElseItsRoleElseTheRun) {
  std::string sop = testing::slurp(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "software_company.yaml");
  const std::string design = "  WriteDesign:\n    type: document\n";
  const std::string engineer = "    actions: [WriteCode, WriteManual, FixCode]\n";
  ASSERT_NE(sop.find(design), std::string::npos);
  ASSERT_NE(sop.find(engineer), std::string::npos);
  sop.replace(sop.find(design), design.size(), design + "    model: design-model\n");
  sop.replace(sop.find(engineer), engineer.size(), engineer + "    model: coder-model\n");

  testing::RunSandbox sandbox("models");
  testing::spill(sandbox.file("sop.yaml"), sop);
  testing::spill(sandbox.file("fast.yaml"), "run:\n  code_review_rounds: 1\n  test_rounds: 1\n");
  const json tasks = testing::hello_tasks(), design_doc = testing::hello_design(), prd = testing::hello_prd();
  auto content = [](const json& j) { return "[CONTENT]\n" + j.dump() + "\n[/CONTENT]"; };
  const std::string code = "```python\nprint('hello')\n```";
  const std::string test = "```python\nimport unittest\n\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n"
                           "        self.assertTrue(True)\n```";
  json rules = json::array({
      {{"match", {{"action", "WriteDesign"}, {"model", "design-model"}}}, {"reply", content(design_doc)}},
      {{"match", {{"action", "WritePRD"}, {"model", "fake-model"}}}, {"reply", content(prd)}},
      {{"match", {{"action", "WriteTasks"}, {"model", "fake-model"}}}, {"reply", content(tasks)}},
      {{"match", {{"role", "Alex"}, {"model", "coder-model"}, {"regex", "Summarize the project"}}},
       {"reply", content({{"Summary", "prints hello"}, {"TODOs", json::array()}})}},
      {{"match", {{"role", "Alex"}, {"model", "coder-model"}, {"regex", "Review main\\.py"}}},
       {"reply", "## Code Review Result\nLGTM"}},
      {{"match", {{"role", "Alex"}, {"model", "coder-model"}, {"action", "WriteManual"}}}, {"reply", "# hello\n"}},
      {{"match", {{"role", "Alex"}, {"model", "coder-model"}}}, {"reply", code}},
      {{"match", {{"role", "Edward"}, {"model", "fake-model"}, {"regex", "Decide what to do"}}},
       {"reply", content({{"Decision", "give_up"}, {"File", ""}, {"Reason", "-"}})}},
      {{"match", {{"role", "Edward"}, {"model", "fake-model"}}}, {"reply", test}},
  });
  testing::FakeLlmServer server(json{{"rules", rules}}.dump());
  auto run = sandbox.run(server.base_url(), "say hello",
                         {"--sop", sandbox.file("sop.yaml").string(), "--config", sandbox.file("fast.yaml").string()});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  std::map<std::string, std::set<std::string>> models;  // role/action -> models asked for
  for (const auto& request : server.requests()) {
    if (request.target != "/v1/chat/completions") continue;
    EXPECT_GE(request.rule_index, 0) << request.role << " " << request.action << " " << request.body.dump();
    models[request.action].insert(request.body.value("model", ""));
  }
  EXPECT_EQ(models["WriteDesign"], std::set<std::string>{"design-model"});
  EXPECT_EQ(models["WritePRD"], std::set<std::string>{"fake-model"});
  EXPECT_EQ(models["WriteCode"], std::set<std::string>{"coder-model"});
  EXPECT_EQ(models["WriteTest"], std::set<std::string>{"fake-model"});
  // The trace and the ledger name the model that answered each call.
  std::set<std::string> answered;
  for (const auto& r : run.of_type("llm_response")) answered.insert(r.value("model", ""));
  EXPECT_TRUE(answered.count("design-model"));
  EXPECT_TRUE(answered.count("coder-model"));
}

// The fake server program answers every action whatever the model; its request log says which
// model each request named. The config file, AGENTCO_LLM_MODELS, the SOP and --model each set
// some, so that every step of the order shows.
TEST(ModelOverrideRun, TheConfigsModelsWinOverTheSopsAndEachRequestNamesItsModel) {
  std::string sop = testing::slurp(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "software_company.yaml");
  auto add_after = [&sop](const std::string& anchor, const std::string& line) {
    ASSERT_NE(sop.find(anchor), std::string::npos) << anchor;
    sop.replace(sop.find(anchor), anchor.size(), anchor + line);
  };
  add_after("  WriteDesign:\n    type: document\n", "    model: design-model\n");  // loses to the config
  add_after("  WriteTasks:\n    type: document\n", "    model: tasks-model\n");
  add_after("    actions: [WriteTest, RunTests]\n", "    model: qa-model\n");

  testing::RunSandbox sandbox("models_config");
  testing::spill(sandbox.file("sop.yaml"), sop);
  testing::spill(sandbox.file("models.yaml"),
                 "run:\n  code_review_rounds: 1\n  test_rounds: 1\n"
                 "llm:\n  models:\n    Architect: arch-model\n    Alex/WriteManual: manual-model\n");
  const json rules = testing::hello_rules();
  const json served = {"fake-model", "arch-model", "design-model", "tasks-model", "coder-model", "manual-model", "qa-model"};
  testing::FakeServerProcess server(sandbox.root() / "server", {json{{"models", served}, {"rules", rules}}.dump(), "", false});
  ASSERT_TRUE(server.ok());
  auto run = sandbox.run(server.base_url(), "say hello",
                         {"--sop", sandbox.file("sop.yaml").string(), "--config", sandbox.file("models.yaml").string()},
                         {"AGENTCO_LLM_MODELS={Engineer/WriteCode: coder-model}"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();

  const std::map<std::string, std::set<std::string>> expected{
      {"WritePRD", {"fake-model"}},       // --model
      {"WriteDesign", {"arch-model"}},    // config per role (Architect) beats the SOP action's design-model
      {"WriteTasks", {"tasks-model"}},    // the SOP action
      {"WriteCode", {"coder-model"}},     // AGENTCO_LLM_MODELS per role/action (profile/action)
      {"WriteManual", {"manual-model"}},  // config per role/action (name/action)
      {"WriteTest", {"qa-model"}},        // the SOP role
  };
  std::map<std::string, std::set<std::string>> asked;  // action -> models its requests named
  for (const auto& request : server.requests()) {
    if (request.value("target", "") != "/v1/chat/completions") continue;
    EXPECT_GE(request.value("rule_index", -1), 0) << request.dump();
    asked[request.value("action", "")].insert(request["body"].value("model", ""));
  }
  for (const auto& [action, models] : expected) EXPECT_EQ(asked[action], models) << action;

  // The trace's call records name the same models, request and response.
  std::map<std::string, std::set<std::string>> requested, answered;
  for (const auto& r : run.of_type("llm_request"))
    requested[r.value("action", "")].insert(r["request"].value("model", ""));
  for (const auto& r : run.of_type("llm_response")) answered[r.value("action", "")].insert(r.value("model", ""));
  for (const auto& [action, models] : expected) {
    EXPECT_EQ(requested[action], models) << action;
    EXPECT_EQ(answered[action], models) << action;
  }
  EXPECT_EQ(run.trace.front()["config"]["llm"]["models"]["Architect"], "arch-model");
}

// A key that names no role or action of the SOP stops the run before anything is made, with
// the file, line and key; `check-sop` says the same.
TEST(ModelOverrideRun, AKeyNotInTheSopIsExitTwoNamingTheFileLineAndKey) {
  testing::RunSandbox sandbox("models_bad");
  const fs::path bad = sandbox.file("bad.yaml");
  testing::spill(bad, "llm:\n  models:\n    Architect: gpt-4o\n    Architekt: gpt-4o\n    Engineer/WritePRD: x\n");
  auto run = sandbox.run("http://127.0.0.1:9/v1", "say hello", {"--config", bad.string()});
  EXPECT_EQ(run.process.exit_code, 2) << run.describe();
  EXPECT_NE(run.process.err.find(bad.string() + ":4: llm.models.Architekt: no role 'Architekt' in SOP software_company"),
            std::string::npos)
      << run.describe();
  EXPECT_NE(run.process.err.find(bad.string() + ":5: llm.models.Engineer/WritePRD: role Engineer in SOP "
                                                "software_company does not run 'WritePRD'"),
            std::string::npos)
      << run.describe();
  EXPECT_FALSE(fs::exists(sandbox.warehouse())) << "a folder was made";

  auto checked = testing::run_process(
      sandbox.options({"check-sop", "software_company", "--no-user-config", "--config", bad.string()}, {}));
  EXPECT_EQ(checked.exit_code, 2) << checked.err;
  EXPECT_NE(checked.err.find("llm.models.Architekt: no role 'Architekt'"), std::string::npos) << checked.err;

  auto from_env = sandbox.run("http://127.0.0.1:9/v1", "say hello", {}, {"AGENTCO_LLM_MODELS={Nobody: m}"});
  EXPECT_EQ(from_env.process.exit_code, 2) << from_env.describe();
  EXPECT_NE(from_env.process.err.find("env AGENTCO_LLM_MODELS: llm.models.Nobody: no role 'Nobody'"), std::string::npos)
      << from_env.describe();
}
#endif

}  // namespace
}  // namespace agentco
