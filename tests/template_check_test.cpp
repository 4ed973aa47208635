// Pins sop/template_check.hpp through the SOP loader: every {{variable}} of every template an
// action uses is checked against what its type provides to that template and the documents
// it reads, with file:line for each problem: a variable nobody provides, a variable
// provided twice, an unknown variable.
#include "sop/template_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "actions/action.hpp"
#include "core/text.hpp"
#include "sop/prompt_library.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;

class TemplateCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_builtin_actions(registry_);
    dir_ = fs::temp_directory_path() / ("agentco_template_check_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_template(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / (name + ".txt")) << text;
  }

  Result<Sop> parse(const std::string& yaml) {
    PromptLibrary prompts(dir_.string());
    return parse_sop(yaml, "my.yaml", registry_, prompts);
  }

  // A product manager writing a PRD, and an engineer whose write_code template is `code_template`.
  static std::string sop(const std::string& code_template, const std::string& code_extra = "",
                         const std::string& prd_document = "prd") {
    return "name: t\n"                                       // 1
           "roles:\n"                                        // 2
           "  - name: Alice\n"                               // 3
           "    actions: [WritePRD]\n"                       // 4
           "    watch: [UserRequirement]\n"                  // 5
           "  - name: Alex\n"                                // 6
           "    actions: [WriteCode]\n"                      // 7
           "    watch: [WritePRD]\n"                         // 8
           "actions:\n"                                      // 9
           "  WritePRD:\n"                                   // 10
           "    type: document\n"                            // 11
           "    prompt: my_prd\n"                            // 12
           "    document: " + prd_document + "\n"            // 13
           "    schema:\n"                                   // 14
           "      - {name: Project Name, type: str}\n"       // 15
           "  WriteCode:\n"                                  // 16
           "    type: write_code\n"                          // 17
           "    prompt: " + code_template + "\n" +           // 18
           code_extra;
  }

  ActionRegistry registry_;
  fs::path dir_;
};

TEST_F(TemplateCheckTest, TemplatesThatUseOnlyWhatIsProvidedPass) {
  write_template("my_prd", "Requirement: {{idea}}\n{{format}}\n");
  write_template("my_code", "{{prd}}\nWrite {{file}} in {{language}}:\n{{task}}\n{{dependencies}}\n{{format}}\n");
  // The type's other templates, which by default show documents this SOP does not write.
  write_template("review_code", "Review {{file}}:\n{{code}}\n{{static_check}}\n");
  write_template("rewrite_code", "Rewrite {{file}}:\n{{code}}\n{{feedback}}\n");
  write_template("summarize_code", "{{code_listing}}\n{{format}}\n");
  Result<Sop> loaded = parse(sop("my_code"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const ActionSpec* code = loaded->action("WriteCode");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->reads, std::vector<std::string>{"prd"});  // no reads: every document of the SOP
  EXPECT_EQ(code->templates.at("prompt"), "my_code");
  EXPECT_EQ(code->templates.at("review_prompt"), "review_code");  // the type's default
}

TEST_F(TemplateCheckTest, AVariableTheActionDoesNotProvideIsReportedAtTheTemplatesLine) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "Write {{file}}.\n\nWhat failed:\n{{test_output}}\n");
  Result<Sop> loaded = parse(sop("my_code"));
  ASSERT_FALSE(loaded.ok());
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find((dir_ / "my_code.txt").string() + ":4: {{test_output}} is not provided to template "
                                                            "'my_code', used as action WriteCode's prompt"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("it is given: "), std::string::npos) << message;
}

TEST_F(TemplateCheckTest, AnUnknownVariableIsReportedWithTheNearestKnownName) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "Write {{file}}.\n{{dependancies}}\n");
  Result<Sop> loaded = parse(sop("my_code"));
  ASSERT_FALSE(loaded.ok());
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find((dir_ / "my_code.txt").string() + ":2: unknown variable {{dependancies}} in template 'my_code'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean {{dependencies}}?"), std::string::npos) << message;
}

TEST_F(TemplateCheckTest, ADocumentNamedLikeAnInputOfTheActionIsProvidedTwice) {
  // The bug this check exists for: a run-wide document "code" and the file's own {{code}}.
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "Write {{file}}.\n");
  Result<Sop> loaded = parse(sop("my_code", "", "code"));
  ASSERT_FALSE(loaded.ok());
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find("my.yaml:16: action WriteCode's review_prompt (the review of one file): input 'code' is "
                         "provided twice: by the write_code type"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the document 'code' that action WritePRD writes (line 10)"), std::string::npos) << message;
}

TEST_F(TemplateCheckTest, ADocumentListedTwiceUnderReadsIsReported) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{prd}} {{file}}\n");
  Result<Sop> loaded = parse(sop("my_code", "    reads: [prd, prd]\n"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("my.yaml:16: action WriteCode lists 'prd' twice under reads:"),
            std::string::npos)
      << loaded.error().message;
}

TEST_F(TemplateCheckTest, ADocumentTheActionDoesNotReadIsNotProvided) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{prd}}\nWrite {{file}}.\n");
  Result<Sop> loaded = parse(sop("my_code", "    reads: []\n"));
  ASSERT_FALSE(loaded.ok());
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find(":1: {{prd}} is not provided to template 'my_code'"), std::string::npos) << message;
  EXPECT_NE(message.find("it is a document: add it to the action's `reads:` in my.yaml:16"), std::string::npos)
      << message;
}

TEST_F(TemplateCheckTest, ReadingADocumentNobodyWritesIsReported) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{file}}\n");
  Result<Sop> loaded = parse(sop("my_code", "    reads: [pdr]\n"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("my.yaml:16: action WriteCode reads 'pdr', which no action of this SOP "
                                        "writes; did you mean 'prd'?"),
            std::string::npos)
      << loaded.error().message;
}

TEST_F(TemplateCheckTest, TwoActionsWritingOneDocumentAreReported) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{file}}\n");
  std::string yaml = sop("my_code") +
                     "  WritePRD2:\n"
                     "    type: document\n"
                     "    prompt: my_prd\n"
                     "    document: prd\n"
                     "    schema:\n"
                     "      - {name: Project Name, type: str}\n";
  yaml.replace(yaml.find("actions: [WritePRD]"), 19, "actions: [WritePRD, WritePRD2]");
  Result<Sop> loaded = parse(yaml);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("document 'prd' is provided twice: by action WritePRD (line 10) and by "
                                        "action WritePRD2"),
            std::string::npos)
      << loaded.error().message;
}

TEST_F(TemplateCheckTest, TheTypesDefaultTemplatesAreCheckedToo) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{file}}\n");
  write_template("review_code", "Review {{file}}\n{{feedback}}\n");  // a user's override of the default
  Result<Sop> loaded = parse(sop("my_code"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find((dir_ / "review_code.txt").string() +
                                        ":2: {{feedback}} is not provided to template 'review_code', used as "
                                        "action WriteCode's review_prompt"),
            std::string::npos)
      << loaded.error().message;
}

TEST_F(TemplateCheckTest, TheBuiltInTemplatesOfAWriteCodeActionNeedTheDesignAndTheTasks) {
  write_template("my_prd", "{{idea}}\n{{format}}\n");
  write_template("my_code", "{{file}}\n");
  Result<Sop> loaded = parse(sop("my_code"));
  ASSERT_FALSE(loaded.ok());
  // The per-file templates show the design as it concerns their file (a typed input); the
  // summary shows the design and the tasks whole, documents the action must read.
  EXPECT_NE(loaded.error().message.find("actions/prompts/summarize_code.txt:3: unknown variable {{system_design}} in "
                                        "template 'summarize_code'"),
            std::string::npos)
      << loaded.error().message;
}

TEST_F(TemplateCheckTest, EveryBuiltInTemplateOfTheBuiltInSopsPasses) {
  PromptLibrary builtin;
  for (const char* name : {"software_company", "simulation_town"}) {
    Result<Sop> loaded = load_sop(name, registry_, builtin);
    EXPECT_TRUE(loaded.ok()) << name << ": " << loaded.error().message;
  }
}

TEST(TemplateVariables, OnlyNamesInDoubleBracesAreVariablesWithTheirLines) {
  auto vars = template_variables("a {{x}}\n{{ y_2 }} {{\"k\": 1}} {{3}}\n\n{{_z}}{{x}}");
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(vars[0].name, "x");
  EXPECT_EQ(vars[0].line, 1);
  EXPECT_EQ(vars[1].name, "y_2");
  EXPECT_EQ(vars[1].line, 2);
  EXPECT_EQ(vars[2].name, "_z");
  EXPECT_EQ(vars[2].line, 4);
  EXPECT_EQ(vars[3].name, "x");
}

TEST(TemplateVariables, FillingInsertsValuesAsTheyAreAndLeavesUnknownNames) {
  std::string out = render_template("{{a}} and {{ b }} and {{c}}", {{"a", "{{b}}"}, {"b", "B"}});
  EXPECT_EQ(out, "{{b}} and B and {{c}}");
}

}  // namespace
}  // namespace agentco
