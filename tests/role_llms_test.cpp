// Pins sop/role_llms.hpp: the config's roles: entries bound to the SOP's roles. Entries name
// roles by MetaGPT class name, profile or name; their models become the roles' models unless
// llm.models says otherwise; an entry that names no role is an error with its file:line.
#include "sop/role_llms.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "sop/model_choice.hpp"

namespace agentco {
namespace {

class RoleLlms : public ::testing::Test {
 protected:
  void SetUp() override {
    register_builtin_actions(registry_);
    auto sop = load_sop("software_company", registry_, prompts_);
    ASSERT_TRUE(sop.ok()) << sop.error().message;
    sop_ = std::move(*sop);
  }
  // The config after `yaml` (a layer named my.yaml) over the defaults.
  Config config_of(const std::string& yaml) {
    Config config;
    Status status = apply_config_yaml(config, yaml, "my.yaml");
    EXPECT_TRUE(status.ok()) << status.error().message;
    return config;
  }
  const RoleSpec& role(const std::string& name) const {
    for (const auto& r : sop_.roles)
      if (r.name == name) return r;
    throw std::runtime_error("no role " + name);
  }
  std::string model_of(const Config& config, const std::string& role_name, const std::string& action) const {
    const ActionSpec* spec = sop_.action(action);
    EXPECT_NE(spec, nullptr) << action;
    return model_for(config.llm, role(role_name), *spec);
  }
  ActionRegistry registry_;
  PromptLibrary prompts_;
  Sop sop_;
};

TEST_F(RoleLlms, EachEntrysModelBecomesItsRolesModelWhetherNamedByClassNameProfileOrName) {
  Config config = config_of(
      "llm:\n  model: base\n"
      "roles:\n"
      "  - role: ProductManager\n    llm: {model: pm-model}\n"
      "  - role: QaEngineer\n    llm: {model: qa-model}\n"
      "  - role: Alex\n    llm: {model: alex-model}\n"
      "  - role: Architect\n    llm: {base_url: \"http://arch.example/v1\"}\n");
  ASSERT_TRUE(bind_role_llms(config, sop_).ok());
  EXPECT_EQ(model_of(config, "Alice", "WritePRD"), "pm-model");
  EXPECT_EQ(model_of(config, "Edward", "WriteTest"), "qa-model");
  EXPECT_EQ(model_of(config, "Alex", "WriteCode"), "alex-model");
  EXPECT_EQ(model_of(config, "Bob", "WriteDesign"), "base") << "an entry without a model keeps the role's";
  EXPECT_EQ(model_of(config, "Eve", "WriteTasks"), "base");
  EXPECT_EQ(config.origin.at("llm.models.Alice"), "my.yaml:4");
  EXPECT_TRUE(check_model_overrides(config, sop_).ok());
}

TEST_F(RoleLlms, LlmModelsWinsOverAnEntryAndRoleActionKeysStayMoreSpecific) {
  Config config = config_of(
      "llm:\n  models: {Engineer: from-models, Edward/WriteTest: qa-tests}\n"
      "roles:\n"
      "  - role: Engineer\n    llm: {model: from-roles}\n"
      "  - role: QaEngineer\n    llm: {model: qa-roles}\n");
  ASSERT_TRUE(bind_role_llms(config, sop_).ok());
  EXPECT_EQ(model_of(config, "Alex", "WriteCode"), "from-models");
  EXPECT_EQ(model_of(config, "Edward", "WriteTest"), "qa-tests");
  EXPECT_EQ(model_of(config, "Edward", "RunTests"), "qa-roles");
}

TEST_F(RoleLlms, TheTracedConfigLeavesDerivedModelsOutAndBindingAgainGivesTheSameModels) {
  Config config = config_of("roles:\n  - role: Architect\n    llm: {model: arch}\n");
  ASSERT_TRUE(bind_role_llms(config, sop_).ok());
  EXPECT_EQ(config.llm.models.at("Bob"), "arch");
  EXPECT_EQ(config.to_json()["llm"]["models"], nlohmann::json::object());
  EXPECT_EQ(config.to_json()["roles"][0]["llm"]["model"], "arch");

  Config again;
  ASSERT_TRUE(apply_config_yaml(again, config.to_json().dump(), "run_start").ok());
  ASSERT_TRUE(bind_role_llms(again, sop_).ok());
  ASSERT_TRUE(bind_role_llms(again, sop_).ok());
  EXPECT_EQ(again.llm.models, config.llm.models);
  EXPECT_EQ(model_of(again, "Bob", "WriteDesign"), "arch");
}

TEST_F(RoleLlms, AnEntryThatNamesNoRoleOfTheSopIsAnErrorWithItsFileAndLine) {
  Config config = config_of(
      "roles:\n"
      "  - role: Architect\n    llm: {model: a}\n"
      "  - role: Architekt\n    llm: {model: b}\n"
      "  - role: Designer\n    llm: {model: c}\n");
  Status status = bind_role_llms(config, sop_);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "config");
  const std::string& message = status.error().message;
  EXPECT_NE(message.find("my.yaml:4: roles: role 'Architekt' names no role of SOP software_company"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("my.yaml:6: roles: role 'Designer' names no role"), std::string::npos) << message;
  EXPECT_NE(message.find("Bob (Architect)"), std::string::npos) << message;
  EXPECT_EQ(message.find("'Architect'"), std::string::npos) << message;
}

}  // namespace
}  // namespace agentco
