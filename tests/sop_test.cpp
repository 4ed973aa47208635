// Pins sop/sop.hpp: the built-in SOP loads, and every malformed SOP is rejected before any
// model call with "file:line: what is wrong" and what to change, all problems at once.
#include "sop/sop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;

// A valid two-role SOP. Tests copy it and change single lines; the line numbers matter.
//  1 name: tiny
//  3   - name: Writer        (role 1)
//  7   - name: Coder         (role 2)
// 11   WritePRD:             (action with a schema)
// 17   WriteCode:
constexpr const char* kTinySop =
    "name: tiny\n"                                                       // 1
    "roles:\n"                                                           // 2
    "  - name: Writer\n"                                                 // 3
    "    profile: Product Manager\n"                                     // 4
    "    actions: [WritePRD]\n"                                          // 5
    "    watch: [UserRequirement]\n"                                     // 6
    "  - name: Coder\n"                                                  // 7
    "    actions: [WriteCode]\n"                                         // 8
    "    watch: [WritePRD]\n"                                            // 9
    "actions:\n"                                                         // 10
    "  WritePRD:\n"                                                      // 11
    "    type: document\n"                                               // 12
    "    prompt: write_prd\n"                                            // 13
    "    document: prd\n"                                                // 14
    "    schema:\n"                                                      // 15
    "      - {name: Project Name, type: str, instruction: \"A name.\"}\n"  // 16
    "  WriteCode:\n"                                                     // 17
    "    type: manual\n"                                                 // 18
    "    prompt: write_manual\n";                                        // 19

// kTinySop with some lines replaced: original line number (1-based) -> new text, which may
// hold several lines (shifting the ones below) or be empty (leaving a blank line).
std::string tiny_with(const std::map<int, std::string>& edits) {
  std::istringstream in(kTinySop);
  std::string out, current;
  for (int n = 1; std::getline(in, current); ++n) {
    auto it = edits.find(n);
    out += (it == edits.end() ? current : it->second) + "\n";
  }
  return out;
}

std::string tiny_with(int line, const std::string& text) { return tiny_with(std::map<int, std::string>{{line, text}}); }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class SopTest : public ::testing::Test {
 protected:
  void SetUp() override { register_builtin_actions(registry_); }

  Result<Sop> parse(const std::string& yaml, const PromptLibrary* prompts = nullptr) {
    return parse_sop(yaml, "tiny.yaml", registry_, prompts ? *prompts : prompts_);
  }

  // The whole error text of a SOP that must be rejected.
  std::string rejection(const std::string& yaml) {
    Result<Sop> sop = parse(yaml);
    EXPECT_FALSE(sop.ok()) << "accepted:\n" << yaml;
    if (sop.ok()) return "";
    EXPECT_EQ(sop.error().code, "sop");
    return sop.error().message;
  }

  // Asserts that `message` has a problem at tiny.yaml:`line` holding every fragment.
  static void expect_problem(const std::string& message, int line, const std::vector<std::string>& fragments) {
    const std::string prefix = "tiny.yaml:" + std::to_string(line) + ": ";
    for (const auto& problem : split_lines(message)) {
      if (!problem.starts_with(prefix)) continue;
      bool all = true;
      for (const auto& f : fragments) all = all && problem.find(f) != std::string::npos;
      if (all) return;
    }
    std::string wanted;
    for (const auto& f : fragments) wanted += " [" + f + "]";
    ADD_FAILURE() << "no problem at " << prefix << "holding" << wanted << "\nmessage:\n" << message;
  }

  ActionRegistry registry_;
  PromptLibrary prompts_;
};

// ---- Valid SOPs ------------------------------------------------------------------------

TEST_F(SopTest, TheBuiltInSoftwareCompanyLoadsWithItsFiveRoles) {
  Result<Sop> sop = load_sop("software_company", registry_, prompts_);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->name, "software_company");
  EXPECT_EQ(sop->source, "sop/software_company.yaml");
  ASSERT_EQ(sop->roles.size(), 5u);
  std::vector<std::string> names;
  for (const auto& role : sop->roles) names.push_back(role.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Alice", "Bob", "Eve", "Alex", "Edward"}));
  EXPECT_EQ(sop->roles[0].profile, "Product Manager");
  EXPECT_EQ(sop->roles[0].watch, std::vector<std::string>{"UserRequirement"});
  for (const auto& role : sop->roles) {
    EXPECT_GT(role.line, 0) << role.name;
    for (const auto& action : role.actions) EXPECT_NE(sop->action(action), nullptr) << role.name << " " << action;
  }
  EXPECT_GE(sop->actions.size(), 5u);
  const ActionSpec* prd = sop->action("WritePRD");
  ASSERT_NE(prd, nullptr);
  EXPECT_EQ(prd->type, "document");
  EXPECT_EQ(prd->prompt, "write_prd");
  EXPECT_EQ(prd->params.value("document", ""), "prd");
  EXPECT_EQ(prd->schema.fields.size(), 12u);
  EXPECT_EQ(sop->action("WriteCode")->type, "write_code");
  EXPECT_EQ(sop->action("WriteCode")->reads, (std::vector<std::string>{"system_design", "tasks"}));
  EXPECT_EQ(sop->action("WriteTest")->type, "write_tests");
}

TEST_F(SopTest, AValidSopParsesWithItsDefaults) {
  Result<Sop> sop = parse(kTinySop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->name, "tiny");
  EXPECT_EQ(sop->source, "tiny.yaml");
  ASSERT_EQ(sop->roles.size(), 2u);
  const RoleSpec& coder = sop->roles[1];
  EXPECT_EQ(coder.name, "Coder");
  EXPECT_EQ(coder.profile, "Coder");  // defaults to the name
  EXPECT_EQ(coder.line, 7);
  EXPECT_EQ(coder.watch, std::vector<std::string>{"WritePRD"});
  EXPECT_EQ(coder.react_mode, ReactMode::kByOrder);
  EXPECT_EQ(coder.max_react_loop, 5);
  EXPECT_EQ(coder.max_turns, 0);
  EXPECT_EQ(sop->action("WritePRD")->line, 11);
  ASSERT_EQ(sop->action("WritePRD")->schema.fields.size(), 1u);
  EXPECT_EQ(sop->action("WritePRD")->schema.fields[0].name, "Project Name");
  EXPECT_EQ(sop->action("Nothing"), nullptr);
}

TEST_F(SopTest, ASopFileIsLoadedByPathAndNamedByItsPathInMessages) {
  fs::path dir = fs::temp_directory_path() / ("agentco_sop_" + std::to_string(::getpid()) + "_" +
                                              std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const fs::path good = dir / "good.yaml";
  const fs::path bad = dir / "bad.yaml";
  std::ofstream(good) << kTinySop;
  std::ofstream(bad) << tiny_with(12, "    type: documnet");

  Result<Sop> loaded = load_sop(good.string(), registry_, prompts_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->source, good.string());
  EXPECT_EQ(loaded->roles.size(), 2u);

  Result<Sop> rejected = load_sop(bad.string(), registry_, prompts_);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find(bad.string() + ":12: "), std::string::npos) << rejected.error().message;
  fs::remove_all(dir);
}

TEST_F(SopTest, AnUnknownSopNameListsTheBuiltInOnes) {
  Result<Sop> sop = load_sop("software_compnay", registry_, prompts_);
  ASSERT_FALSE(sop.ok());
  EXPECT_NE(sop.error().message.find("software_compnay"), std::string::npos) << sop.error().message;
  EXPECT_NE(sop.error().message.find("software_company"), std::string::npos) << sop.error().message;
}

// ---- Malformed SOPs: one problem each --------------------------------------------------

TEST_F(SopTest, AYamlSyntaxErrorNamesTheLine) {
  std::string message = rejection(tiny_with(5, "    actions: [WritePRD\n    watch: [UserRequirement]\n  - oops"));
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
  EXPECT_TRUE(message.starts_with("tiny.yaml:")) << message;
  EXPECT_FALSE(message.starts_with("tiny.yaml:0:")) << message;

  // A key indented wrongly under a list item: the error points at that line.
  message = rejection(tiny_with(4, "    profile: Product Manager\n   bad: indentation"));
  EXPECT_TRUE(message.starts_with("tiny.yaml:5: YAML syntax error")) << message;
}

TEST_F(SopTest, ARoleNamingAnUnknownActionIsRejectedWithTheDefinedActions) {
  std::string message = rejection(tiny_with(5, "    actions: [WritePDR]"));
  expect_problem(message, 5, {"role Writer", "unknown action 'WritePDR'", "defined actions: WriteCode, WritePRD"});
}

TEST_F(SopTest, AnUnknownActionTypeIsRejectedWithTheKnownTypes) {
  std::string message = rejection(tiny_with(12, "    type: documnet"));
  std::string known;
  for (const auto& name : registry_.names()) known += (known.empty() ? "" : ", ") + name;
  EXPECT_NE(known.find("document, "), std::string::npos) << known;
  expect_problem(message, 12, {"action WritePRD", "unknown type 'documnet'", "known types: " + known});
}

TEST_F(SopTest, ARoleWatchingAnActionNobodyProducesIsRejected) {
  std::string message = rejection(tiny_with(9, "    watch: [WriteDesign]"));
  expect_problem(message, 7, {"role Coder", "'WriteDesign'", "no role produces", "UserRequirement, WriteCode, WritePRD"});
}

TEST_F(SopTest, ARoleWatchingNothingIsRejected) {
  std::string message = rejection(tiny_with(9, "    watch: []"));
  expect_problem(message, 7, {"role Coder watches nothing", "add 'watch:'"});
  message = rejection(tiny_with(9, ""));
  expect_problem(message, 7, {"role Coder watches nothing"});
}

TEST_F(SopTest, ASopWhereNobodyWatchesUserRequirementIsRejected) {
  // Writer reacts to Coder instead of the user (a bounded cycle, so that is the only problem).
  std::string message = rejection(tiny_with(6, "    watch: [WriteCode]\n    max_turns: 2"));
  expect_problem(message, 3, {"no role watches UserRequirement", "add UserRequirement to the 'watch:'", "Writer"});
}

TEST_F(SopTest, ACycleWithoutMaxTurnsIsRejectedAndAcceptedWithIt) {
  // Writer -> Coder -> Writer: Writer also watches what Coder produces.
  const std::string writer_watch = "    watch: [UserRequirement, WriteCode]";
  std::string message = rejection(tiny_with(6, writer_watch));
  expect_problem(message, 3, {"Writer -> Coder -> Writer", "cycle", "max_turns:"});

  Result<Sop> sop = parse(tiny_with({{6, writer_watch}, {9, "    watch: [WritePRD]\n    max_turns: 3"}}));
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->roles[1].max_turns, 3);
}

TEST_F(SopTest, ARoleWatchingItsOwnActionIsACycleToo) {
  std::string message = rejection(tiny_with(9, "    watch: [WritePRD, WriteCode]"));
  expect_problem(message, 7, {"Coder -> Coder", "max_turns:"});
}

TEST_F(SopTest, UnknownKeysAreRejectedInARoleAnActionAndAtTheTop) {
  std::string message = rejection(tiny_with({{1, "name: tiny\nversion: 2"},                             // 2
                                             {4, "    profile: Product Manager\n    skills: [search]"},  // 6
                                             {14, "    document: prd\n    temperature: 0.5"}}));      // 17
  expect_problem(message, 2, {"unknown key 'version'", "the SOP", "allowed:", "roles"});
  expect_problem(message, 6, {"unknown key 'skills'", "a role", "allowed:", "watch"});
  expect_problem(message, 17, {"unknown key 'temperature'", "action WritePRD", "allowed:", "schema"});
}

TEST_F(SopTest, AnUnknownSchemaFieldTypeIsRejectedWithTheKnownTypes) {
  std::string message = rejection(tiny_with(16, "      - {name: Project Name, type: string, instruction: \"A name.\"}"));
  expect_problem(message, 16, {"action WritePRD", "'Project Name'", "unknown type 'string'", "use str, int"});
}

TEST_F(SopTest, AMissingPromptTemplateIsRejected) {
  std::string message = rejection(tiny_with(13, "    prompt: write_prdd"));
  expect_problem(message, 13, {"action WritePRD", "prompt template 'write_prdd' not found"});

  message = rejection(tiny_with(19, ""));  // manual needs a prompt
  expect_problem(message, 17, {"action WriteCode needs 'prompt:'"});
}

TEST_F(SopTest, ADocumentActionWithoutASchemaIsRejected) {
  std::string message = rejection(tiny_with({{15, ""}, {16, ""}}));
  expect_problem(message, 11, {"action WritePRD of type document needs a 'schema:'"});
}

TEST_F(SopTest, AUserPromptsDirOverridesABuiltInTemplate) {
  fs::path dir = fs::temp_directory_path() / ("agentco_prompts_" + std::to_string(::getpid()) + "_" +
                                              std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  std::ofstream(dir / "write_prd.txt") << "MY OWN PRD TEMPLATE {{idea}}\n";
  std::ofstream(dir / "my_step.txt") << "a template only the user has\n";

  PromptLibrary user(dir.string());
  EXPECT_EQ(user.find("write_prd").value_or(""), "MY OWN PRD TEMPLATE {{idea}}\n");
  EXPECT_EQ(user.origin("write_prd"), (dir / "write_prd.txt").string());
  // Templates the user did not override still come from the binary.
  EXPECT_EQ(user.find("write_code"), prompts_.find("write_code"));
  EXPECT_EQ(user.origin("write_code"), "built-in actions/prompts/write_code.txt");
  EXPECT_NE(prompts_.find("write_prd").value_or(""), "MY OWN PRD TEMPLATE {{idea}}\n");
  EXPECT_FALSE(prompts_.find("my_step").has_value());

  // A SOP may name a template that only the user's folder holds.
  std::string yaml = tiny_with(13, "    prompt: my_step");
  Result<Sop> with_user = parse(yaml, &user);
  ASSERT_TRUE(with_user.ok()) << with_user.error().message;
  EXPECT_EQ(with_user->action("WritePRD")->prompt, "my_step");
  expect_problem(rejection(yaml), 13, {"prompt template 'my_step' not found"});
  fs::remove_all(dir);
}

TEST_F(SopTest, TwoRolesWithTheSameNameAreRejected) {
  std::string message = rejection(tiny_with(7, "  - name: Writer"));
  expect_problem(message, 7, {"two roles are named Writer"});
}

TEST_F(SopTest, ABadReactModeIsRejectedWithTheAllowedModes) {
  std::string message = rejection(tiny_with(9, "    watch: [WritePRD]\n    react_mode: think"));
  expect_problem(message, 10, {"role Coder", "react_mode must be by_order or react", "'think'"});

  Result<Sop> react = parse(tiny_with(9, "    watch: [WritePRD]\n    react_mode: react\n    max_react_loop: 3"));
  ASSERT_TRUE(react.ok()) << react.error().message;
  EXPECT_EQ(react->roles[1].react_mode, ReactMode::kReact);
  EXPECT_EQ(react->roles[1].max_react_loop, 3);
}

TEST_F(SopTest, ANonNumericMaxTurnsIsRejected) {
  std::string message = rejection(tiny_with(9, "    watch: [WritePRD]\n    max_turns: many"));
  expect_problem(message, 10, {"max_turns must be a whole number", "'many'"});
}

TEST_F(SopTest, ASopThatIsNotAMapOrHasNoRolesIsRejected) {
  EXPECT_NE(rejection("- just\n- a list\n").find("tiny.yaml"), std::string::npos);
  std::string message = rejection("name: empty\nroles: []\nactions:\n  WriteCode: {type: write_code, prompt: write_code}\n");
  expect_problem(message, 2, {"'roles:' must be a non-empty list"});
}

// ---- Several problems are all reported at once -----------------------------------------

TEST_F(SopTest, EveryProblemInASopIsReportedAtOnce) {
  std::string message = rejection(tiny_with({{1, "name: tiny\nauthor: me"},                          // 2
                                             {7, "  - name: Writer"},                                 // 8
                                             {9, "    watch: [WritePRD]\n    react_mode: sometimes"},  // 11
                                             {12, "    type: documnet"},                              // 14
                                             {19, "    prompt: no_such_template"}}));                 // 21
  expect_problem(message, 2, {"unknown key 'author'"});
  expect_problem(message, 8, {"two roles are named Writer"});
  expect_problem(message, 11, {"react_mode must be by_order or react"});
  expect_problem(message, 14, {"unknown type 'documnet'"});
  expect_problem(message, 21, {"prompt template 'no_such_template' not found"});
}

TEST_F(SopTest, EveryProblemInTheRoleGraphIsReportedAtOnce) {
  std::string message = rejection(tiny_with({{6, "    watch: [UserRequirement, WriteTests]"}, {9, ""}}));
  expect_problem(message, 3, {"role Writer", "'WriteTests'", "no role produces"});
  expect_problem(message, 7, {"role Coder watches nothing"});
}

// ---- Found by fuzz/sop_fuzz.cpp ------------------------------------------------------------

std::string read_seed(const std::string& name) {
  std::ifstream in(std::string(AGENTCO_SOURCE_DIR) + "/fuzz/corpus/sop/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An example that holds itself through an alias (`&goals [first, *goals]`) was copied into
// JSON without end: a stack overflow.
TEST_F(SopTest, AnExampleThatHoldsItselfThroughAnAliasIsAProblemNotACrash) {
  const std::string yaml = read_seed("regress_alias_cycle.yaml");
  ASSERT_FALSE(yaml.empty());
  expect_problem(rejection(yaml), 12,
                 {"action WritePRD: the example of field 'Goals'", "an alias that refers to itself?"});
}

// Aliases repeating an alias nine levels deep stand for 8^9 values: the copy stops at 100000.
TEST_F(SopTest, AnExampleThatAliasesExpandToMillionsOfValuesIsAProblemNotAHang) {
  const std::string yaml = read_seed("regress_alias_laughs.yaml");
  ASSERT_FALSE(yaml.empty());
  expect_problem(rejection(yaml), 12, {"holds more than 100000 values"});
}

}  // namespace
}  // namespace agentco
