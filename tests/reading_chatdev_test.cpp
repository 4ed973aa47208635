// The reading model (tests/support/reading_model.hpp) runs ChatDev's chain (sop/chatdev.yaml)
// through the binary and the fake server program, answering only from what each phase's
// prompt shows: the form and the language concluded alone, the program written as files in
// the format the answering side's system prompt names, a review that reads the code listing
// (the first version has a misspelled local name: the review names it, the modification fixes
// it, the next review says Finished), the program run, requirements.txt and manual.md from
// the code and the environment document shown. Then phases the run does not reach (a test
// modification from a traceback, a code completion), from the real templates, and a vote.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/reading_runs.hpp"
#include "tests/support/prompt_checks.hpp"
#include "tests/support/reading_model.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::has;
using testing::RunSandbox;
using testing::slurp;
using testing::spill;

using testing::kReaderScript;
using testing::messages_of;
using testing::python;
constexpr const char* kIdea = "write a cli inventory tool";

// A template of actions/prompts with its {{name}}s replaced.
std::string render(const std::string& name, const std::map<std::string, std::string>& values) {
  std::string text = slurp(fs::path(AGENTCO_SOURCE_DIR) / "actions" / "prompts" / (name + ".txt"));
  for (const auto& [key, value] : values)
    for (auto at = text.find("{{" + key + "}}"); at != std::string::npos;
         at = text.find("{{" + key + "}}", at))
      text.replace(at, key.size() + 4, value), at += value.size();
  return text;
}

// The files a reply gives as "name" then a fenced block.
std::map<std::string, std::string> files_in(const std::string& reply) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (true) {
    const auto fence = reply.find("\n```", pos);
    if (fence == std::string::npos) break;
    const auto name_start = reply.rfind('\n', fence - 1);
    const std::string name = reply.substr(name_start == std::string::npos ? 0 : name_start + 1,
                                          fence - (name_start == std::string::npos ? 0 : name_start + 1));
    const auto body = reply.find('\n', fence + 1) + 1;
    const auto end = reply.find("```", body);
    if (end == std::string::npos) break;
    out[name] = reply.substr(body, end - body);
    pos = end + 3;
  }
  return out;
}

// One chatdev run against the reading model, shared by the tests of the suite.
class ReadingChatdev : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    box() = std::make_unique<RunSandbox>("reading_chatdev");
    FakeServerProcess server(box()->root() / "server", FakeServerProcess::Options{kReaderScript, "", false});
    ASSERT_TRUE(server.ok());
    run() = box()->run(server.base_url(), kIdea, {"-q", "--sop", "chatdev"});
  }
  static void TearDownTestSuite() { box().reset(); }
  static std::unique_ptr<RunSandbox>& box() {
    static std::unique_ptr<RunSandbox> sandbox;
    return sandbox;
  }
  static AgentcoRun& run() {
    static AgentcoRun r;
    return r;
  }
  // The messages of the first model request the answering side of `action` got.
  static std::vector<ChatMessage> answer_request(const std::string& action) {
    for (const auto& request : run().of_type("llm_request"))
      if (request.value("action", "") == action &&
          request.value("hints", json::object()).value("side", "") == "assistant")
        return messages_of(request);
    return {};
  }
  static std::vector<std::string> actions_started() {
    std::vector<std::string> out;
    for (const auto& start : run().of_type("action_start")) out.push_back(start.value("action", ""));
    return out;
  }
  static std::string content_of(const std::string& cause_by) {
    for (const auto& m : run().of_type("message"))
      if (m.value("cause_by", "") == cause_by) return m.value("content", "");
    return {};
  }
};

TEST_F(ReadingChatdev, EveryPhaseRunsAndTheProgramRunsAndPasses) {
  const AgentcoRun& r = run();
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  testing::expect_work_kept(r, "idle");
  const auto started = actions_started();
  for (const char* phase : {"DemandAnalysis", "LanguageChoose", "Coding", "CodeReviewComment",
                            "TestErrorSummary", "EnvironmentDoc", "Manual"})
    EXPECT_NE(std::find(started.begin(), started.end(), phase), started.end()) << phase << " never ran";
  for (const char* file : {"main.py", "requirements.txt", "manual.md"})
    EXPECT_TRUE(fs::exists(r.folder / file)) << file;

  // The program run the trace records passed, and it runs as a user would start it.
  const auto runs = r.of_type("execution");
  ASSERT_FALSE(runs.empty()) << r.describe();
  EXPECT_EQ(runs.back().value("name", ""), "program");
  EXPECT_TRUE(runs.back().value("ok", false)) << runs.back().dump(2);
  EXPECT_EQ(r.meta["verdict"].value("decision", ""), "passed") << r.meta.dump(2);
  const auto program = python(r.folder, {"main.py"});
  EXPECT_EQ(program.exit_code, 0) << program.err;
  EXPECT_TRUE(has(program.out, kIdea)) << program.out;

  // Every request is one the reading model understood, and no phase ended without its marker.
  for (const auto& request : r.of_type("llm_request")) {
    const auto reply = testing::reading_reply(messages_of(request));
    EXPECT_FALSE(has(reply, "reading model: I cannot tell")) << testing::user_prompt(request);
  }
  for (const auto& w : r.of_type("warning")) ADD_FAILURE() << "warning: " << w.dump();
}

TEST_F(ReadingChatdev, TheFormAndTheLanguageAreConcludedAloneFromTheRequirement) {
  EXPECT_EQ(content_of("DemandAnalysis"), "Command-line program");
  EXPECT_EQ(content_of("LanguageChoose"), "Python");
  // The coding phase is shown both, as the documents the SOP keeps them as.
  const auto coding = answer_request("Coding");
  ASSERT_EQ(coding.size(), 2u);
  EXPECT_TRUE(has(coding[1].content, "Form: Command-line program")) << coding[1].content;
  EXPECT_TRUE(has(coding[1].content, "Language: Python")) << coding[1].content;
}

TEST_F(ReadingChatdev, TheReviewNamesTheSlipTheModificationFixesItAndTheNextReviewSaysFinished) {
  const AgentcoRun& r = run();
  std::vector<std::string> verdicts;
  for (const auto& review : r.of_type("review")) verdicts.push_back(review.value("verdict", ""));
  ASSERT_GE(verdicts.size(), 2u) << r.describe();
  EXPECT_EQ(verdicts.front(), "LBTM");
  EXPECT_EQ(verdicts.back(), "LGTM");
  const json first = r.of_type("review").front();
  EXPECT_TRUE(has(first.value("comment", ""), "returns `reslt`, which it never defines")) << first.dump(2);
  const auto started = actions_started();
  EXPECT_NE(std::find(started.begin(), started.end(), "CodeReviewModification"), started.end());
  // Fixed before the program ever ran: the first run passed, and no file keeps the slip.
  EXPECT_EQ(r.of_type("execution").size(), 1u);
  for (const auto& entry : fs::directory_iterator(r.folder))
    if (entry.path().extension() == ".py") {
      EXPECT_FALSE(has(slurp(entry.path()), "reslt")) << entry.path();
    }
}

TEST_F(ReadingChatdev, RequirementsAndTheManualComeFromWhatTheirPromptsShow) {
  const AgentcoRun& r = run();
  const std::string requirements = slurp(r.folder / "requirements.txt");
  EXPECT_TRUE(has(requirements, "# Only the Python standard library is needed")) << requirements;
  const std::string manual = slurp(r.folder / "manual.md");
  EXPECT_FALSE(has(manual, "does not show")) << manual;
  EXPECT_TRUE(has(manual, "    python3 main.py")) << manual;
  EXPECT_TRUE(has(manual, "requirements.txt lists no package")) << manual;
  for (const auto& entry : fs::directory_iterator(r.folder))
    if (entry.path().extension() == ".py") {
      EXPECT_TRUE(has(manual, "### " + entry.path().filename().string())) << manual;
    }
}

TEST_F(ReadingChatdev, TheReplayIsIdentical) {
  ASSERT_EQ(run().process.exit_code, 0) << run().describe();
  const auto replayed =
      testing::run_process(box()->options({"replay", "--verify", "--strict", run().folder.string()}, {}));
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_TRUE(has(replayed.err, "verify: files and git trees are identical")) << replayed.err;
}

// ---- Phases the run does not reach, from the real templates -----------------------------------

// The code as the first review saw it (with the slip): the "## The code" section of its prompt.
std::string listing_of(const std::vector<ChatMessage>& review) {
  const std::string& prompt = review.at(1).content;
  const auto at = prompt.find("## The code\n");
  const auto end = prompt.find("\n## Phase", at);
  return prompt.substr(at + 12, end - at - 12);
}

TEST_F(ReadingChatdev, ATestModificationShownATracebackFixesTheFileItPointsAt) {
  const auto review = answer_request("CodeReviewComment");
  const auto modification = answer_request("CodeReviewModification");
  ASSERT_FALSE(review.empty());
  ASSERT_FALSE(modification.empty());
  const std::string listing = listing_of(review);
  // The first version, run as the Tester would: a NameError.
  const auto first_files = files_in(testing::reading_reply(answer_request("Coding")));
  const fs::path folder = box()->root() / "first_version";
  for (const auto& [name, code] : first_files) spill(folder / name, code);
  const auto failed = python(folder, {"main.py"});
  ASSERT_NE(failed.exit_code, 0);
  ASSERT_TRUE(has(failed.err, "NameError: name 'reslt' is not defined")) << failed.err;

  std::vector<ChatMessage> messages = {
      modification.at(0),  // the Programmer, told to give files whole
      {"user", render("chatdev_test_modification",
                      {{"idea", kIdea},
                       {"code_listing", listing},
                       {"messages",
                        "Software Test Engineer: $ python3 main.py\nit failed (exit code 1).\n"
                        "--- stdout ---\n" +
                            failed.out + "\n--- stderr ---\n" + failed.err}})}};
  const auto reply = testing::reading_reply(messages);
  const auto fixed = files_in(reply);
  ASSERT_EQ(fixed.size(), 1u) << reply;
  const auto& [name, code] = *fixed.begin();
  EXPECT_FALSE(has(code, "reslt")) << code;
  for (const auto& [n, c] : first_files) spill(folder / n, n == name ? code : c);
  const auto passed = python(folder, {"main.py"});
  EXPECT_EQ(passed.exit_code, 0) << passed.err;

  // Shown no output, it finds nothing to fix and says so instead of giving files.
  messages[1].content =
      render("chatdev_test_modification", {{"idea", kIdea}, {"code_listing", listing}, {"messages", ""}});
  EXPECT_TRUE(files_in(testing::reading_reply(messages)).empty());
}

TEST_F(ReadingChatdev, AReviewNamesAPlaceholderAndTheCompletionFillsIt) {
  const auto review = answer_request("CodeReviewComment");
  const auto modification = answer_request("CodeReviewModification");
  ASSERT_FALSE(review.empty());
  ASSERT_FALSE(modification.empty());
  std::string listing = listing_of(review);
  // One method's logic replaced by `pass` and a TODO (the slip fixed first).
  for (auto at = listing.find("reslt"); at != std::string::npos; at = listing.find("reslt"))
    listing.replace(at, 5, "result");
  const auto method = listing.find("        result = count *");
  ASSERT_NE(method, std::string::npos) << listing;
  const auto method_end = listing.find("return result\n", method) + 14;
  listing.replace(method, method_end - method, "        # TODO: the arithmetic\n        pass\n");
  const auto file_at = listing.rfind("#### ", method);
  const std::string file = listing.substr(file_at + 5, listing.find('\n', file_at) - file_at - 5);

  auto reviewed = review;
  reviewed[1].content = render("chatdev_review_comment", {{"idea", kIdea}, {"code_listing", listing}});
  const auto comment = testing::reading_reply(reviewed);
  EXPECT_TRUE(has(comment, "In " + file + ", ")) << comment;
  EXPECT_TRUE(has(comment, "has no logic: its body is only `pass`")) << comment;
  EXPECT_FALSE(comment.starts_with("<INFO>")) << comment;

  std::vector<ChatMessage> complete = {
      modification.at(0),
      {"user", render("chatdev_code_complete", {{"idea", kIdea},
                                                {"code_listing", listing},
                                                {"messages", "Chief Technology Officer: " + file}})}};
  const auto reply = testing::reading_reply(complete);
  const auto files = files_in(reply);
  ASSERT_EQ(files.size(), 1u) << reply;
  ASSERT_EQ(files.begin()->first, file) << reply;
  EXPECT_FALSE(has(files.begin()->second, "pass\n")) << reply;
  EXPECT_FALSE(has(files.begin()->second, "TODO")) << reply;
  EXPECT_TRUE(has(files.begin()->second, "return int(count *")) << reply;
}

// ---- A vote -------------------------------------------------------------------------------------

TEST(ReadingVote, EveryVoterPicksTheOptionThePromptNamesAndSaysWhy) {
  RunSandbox sandbox("reading_vote");
  FakeServerProcess server(sandbox.root() / "server", FakeServerProcess::Options{kReaderScript, "", false});
  ASSERT_TRUE(server.ok());
  spill(sandbox.root() / "prompts" / "choose_form.txt",
        "## The customer's task\n{{idea}}\n\n## Task\nWhich form should the product take?\n");
  spill(sandbox.file("config.yaml"), "run:\n  prompts_dir: " + (sandbox.root() / "prompts").string() + "\n");
  spill(sandbox.file("team.yaml"),
        "name: form_vote\n"
        "roles:\n"
        "  - name: Board\n"
        "    profile: Board of directors\n"
        "    goal: Decide the product's form.\n"
        "    actions: [ChooseForm]\n"
        "    watch: [UserRequirement]\n"
        "actions:\n"
        "  ChooseForm:\n"
        "    type: vote\n"
        "    prompt: choose_form\n"
        "    options: [Desktop application, Website]\n"
        "    voters: 3\n");
  const AgentcoRun r = sandbox.run(
      server.base_url(), "write a website that lists the books of a library",
      {"-q", "--sop", sandbox.file("team.yaml").string(), "--config", sandbox.file("config.yaml").string()});
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  json decided;
  for (const auto& m : r.of_type("message"))
    if (m.value("cause_by", "") == "ChooseForm") decided = m;
  ASSERT_FALSE(decided.is_null()) << r.describe();
  EXPECT_EQ(decided.value("content", ""), "Website");
  EXPECT_EQ(decided["payload"]["votes"], json({{"Desktop application", 0}, {"Website", 3}}))
      << decided.dump(2);
  for (const auto& ballot : decided["payload"]["ballots"]) {
    const std::string answer = ballot.value("answer", "");
    EXPECT_TRUE(answer.starts_with("Website. ")) << answer;
    EXPECT_TRUE(has(answer, "more than any other option")) << answer;
  }
}

TEST(ReadingVote, ABallotTheMessagesDoNotDecideTakesTheFirstOption) {
  const auto reply = testing::reading_reply({{"system", "You are voter 1 of 3."},
                                             {"user",
                                              "## Task\nShould we ship now?\n\nAnswer with exactly one of: "
                                              "A, B. Put it first, then one sentence on why."}});
  EXPECT_TRUE(reply.starts_with("A. ")) << reply;
  EXPECT_TRUE(has(reply, "first one listed")) << reply;
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
