// Per-role and per-action models: a SOP action's `model:` wins over its role's, a role's over
// the run's (llm.model / --model). Bad values are SOP errors with file:line. End to end, the
// fake server sees each request with the model its action or role asked for.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "actions/prompt_library.hpp"
#include "sop/sop.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/fake_llm_server_runs.hpp"

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
  json tasks = {{"Required packages", json::array()},
                {"Required Other language third-party packages", json::array()},
                {"Logic Analysis", json::array({json::array({"main.py", "Prints hello."})})},
                {"Task list", {"main.py"}},
                {"Full API spec", ""},
                {"Shared Knowledge", ""},
                {"Anything UNCLEAR", ""}};
  json design_doc = {{"Implementation approach", "Plain Python."},
                     {"File list", {"main.py"}},
                     {"Data structures and interfaces", "classDiagram\n    class Main"},
                     {"Program call flow", "sequenceDiagram\n    participant M as Main"},
                     {"Anything UNCLEAR", ""}};
  json prd = {{"Language", "en_us"},          {"Programming Language", "Python"},
              {"Original Requirements", "hi"}, {"Project Name", "hello"},
              {"Product Goals", {"greet"}},   {"User Stories", {"As a user, I am greeted"}},
              {"Competitive Analysis", {"echo"}},
              {"Competitive Quadrant Chart", "quadrantChart\n    title Greeters\n    echo: [0.3, 0.6]"},
              {"Requirement Analysis", ""},   {"Requirement Pool", json::array({json::array({"P0", "greet"})})},
              {"UI Design draft", ""},        {"Anything UNCLEAR", ""}};
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
#endif

}  // namespace
}  // namespace agentco
