// The SOP language's control flow, each construct through the binary with the mock: loops
// (until: and max_rounds:, the exit edge), conditional edges routed on a vote, fan-out with
// max_parallel and its reduce, fan-in (join), subgraphs, human nodes; check-sop's errors
// with file:line; and sop/chatdev.yaml, ChatDev's chain, run end to end, stats reading it
// as it reads an imported ChatDev log, and replayed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::RunSandbox;
using testing::has;
using testing::spill;

class SopFlow : public ::testing::Test {
 protected:
  SopFlow() : sandbox_("sop_flow") {
    spill(sandbox_.root() / "prompts" / "question.txt", "## The requirement\n{{idea}}\n\n## What was said\n{{messages}}\n");
    spill(sandbox_.file("config.yaml"), "run:\n  prompts_dir: " + (sandbox_.root() / "prompts").string() + "\n");
  }
  AgentcoRun run(const std::string& sop_yaml, const std::vector<std::string>& env = {},
                 const fs::path& stdin_file = {}, const std::vector<std::string>& extra = {}) {
    spill(sandbox_.file("team.yaml"), sop_yaml);
    std::vector<std::string> args = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(), "--sop",
                                     sandbox_.file("team.yaml").string(), "--config", sandbox_.file("config.yaml").string(),
                                     "--llm", "mock"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("write a cli snake game");
    auto options = sandbox_.options(args, env);
    options.stdin_file = stdin_file;
    return sandbox_.collect(testing::run_process(options));
  }
  testing::ProcessResult check(const std::string& sop_yaml) {
    spill(sandbox_.file("team.yaml"), sop_yaml);
    return testing::run_process(sandbox_.options(
        {"check-sop", sandbox_.file("team.yaml").string(), "--no-user-config", "--config", sandbox_.file("config.yaml").string()},
        {}));
  }
  std::string where(int line) const { return sandbox_.file("team.yaml").string() + ":" + std::to_string(line) + ": "; }

  static std::vector<json> messages_of(const AgentcoRun& run, const std::string& cause_by) {
    std::vector<json> out;
    for (const auto& m : run.of_type("message"))
      if (m.value("cause_by", "") == cause_by) out.push_back(m);
    return out;
  }
  static std::vector<std::string> actions_started(const AgentcoRun& run) {
    std::vector<std::string> out;
    for (const auto& r : run.of_type("action_start")) out.push_back(r.value("role", "") + ":" + r.value("action", ""));
    return out;
  }
  static long count(const std::vector<std::string>& list, const std::string& item) {
    return std::count(list.begin(), list.end(), item);
  }
  RunSandbox sandbox_;
};

// Writer drafts, Critic critiques; the critique loops back to the writer until it exits, and
// only the exit goes on to the publisher.
std::string loop_sop(const std::string& until) {
  return "name: loop\n"
         "roles:\n"
         "  - name: Writer\n"
         "    actions: [Draft]\n"
         "    watch: [UserRequirement, {action: Critique, when: not exit}]\n"
         "  - name: Critic\n"
         "    actions: [Critique]\n"
         "    watch: [Draft]\n"
         "  - name: Publisher\n"
         "    actions: [Publish]\n"
         "    watch: [{action: Critique, when: exit}]\n"
         "actions:\n"
         "  Draft: {type: speak, prompt: speak}\n"
         "  Critique: {type: speak, prompt: speak, until: \"" + until + "\", max_rounds: 3}\n"
         "  Publish: {type: speak, prompt: speak}\n";
}

TEST_F(SopFlow, ALoopRunsToItsBoundWhenItsConditionNeverHoldsAndOnlyItsExitGoesOn) {
  AgentcoRun r = run(loop_sop("content contains 'never said'"));
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  const auto critiques = messages_of(r, "Critique");
  ASSERT_EQ(critiques.size(), 3u) << r.describe();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(critiques[i].value("round", 0), i + 1);
    EXPECT_EQ(critiques[i].value("exit", true), i == 2);
    // Rounds 1 and 2 go back to the writer; the exit goes to the publisher alone.
    EXPECT_EQ(critiques[i]["recipients"], json::array({i == 2 ? "Publisher" : "Writer"})) << critiques[i];
  }
  EXPECT_EQ(messages_of(r, "Draft").size(), 3u);
  EXPECT_EQ(messages_of(r, "Publish").size(), 1u);
  EXPECT_TRUE(has(r.process.err, "the Critique loop ends after round 3 (its bound, max_rounds 3)")) << r.process.err;
}

TEST_F(SopFlow, ALoopEndsAtTheFirstRoundItsUntilConditionHolds) {
  AgentcoRun r = run(loop_sop("content starts_with 'Mock reply'"));  // the mock's speak reply
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  const auto critiques = messages_of(r, "Critique");
  ASSERT_EQ(critiques.size(), 1u);
  EXPECT_TRUE(critiques[0].value("exit", false));
  EXPECT_EQ(messages_of(r, "Draft").size(), 1u);
  EXPECT_EQ(messages_of(r, "Publish").size(), 1u);
  EXPECT_TRUE(has(r.process.err, "ends after round 1 (until: content starts_with 'Mock reply')")) << r.process.err;
}

// A board votes; the conditional edges send the decision to the one role it names.
std::string vote_sop(const std::string& options, const std::string& extra_roles = "", const std::string& extra_actions = "") {
  return "name: vote\n"
         "roles:\n"
         "  - name: Board\n"
         "    actions: [Decide]\n"
         "    watch: [UserRequirement]\n"
         "  - name: Builder\n"
         "    actions: [Build]\n"
         "    watch: [{action: Decide, when: \"payload.decision == 'build'\"}]\n"
         "  - name: Archivist\n"
         "    actions: [Shelve]\n"
         "    watch: [{action: Decide, when: \"payload.decision == 'shelve'\"}]\n" +
         extra_roles +
         "actions:\n"
         "  Decide: {type: vote, prompt: question, voters: 3, options: " + options + "}\n"
         "  Build: {type: speak, prompt: speak}\n"
         "  Shelve: {type: speak, prompt: speak}\n" + extra_actions;
}

TEST_F(SopFlow, AMajorityVoteOfThreeIsRoutedByConditionalEdgesOnItsDecision) {
  // The mock's voters 1 and 3 take the first option, voter 2 the second.
  AgentcoRun r = run(vote_sop("[build, shelve]"));
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  const auto decided = messages_of(r, "Decide");
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0]["payload"]["decision"], "build");
  EXPECT_EQ(decided[0]["payload"]["votes"], json({{"build", 2}, {"shelve", 1}}));
  EXPECT_EQ(decided[0]["payload"]["ballots"].size(), 3u);
  EXPECT_EQ(decided[0]["recipients"], json::array({"Builder"}));
  // Three voters, three calls of the board's, each told it is one voter of three.
  const auto requests = r.of_type("llm_request");
  ASSERT_EQ(requests.size(), 4u);  // three ballots and the builder
  for (int i = 0; i < 3; ++i) {
    const std::string system = requests[i]["request"]["messages"][0].value("content", "");
    EXPECT_TRUE(has(system, "You are voter " + std::to_string(i + 1) + " of 3")) << system;
    EXPECT_TRUE(has(requests[i]["request"]["messages"].back().value("content", ""), "Answer with exactly one of: build, shelve"));
  }
  EXPECT_EQ(messages_of(r, "Build").size(), 1u);
  EXPECT_EQ(messages_of(r, "Shelve").size(), 0u);

  AgentcoRun other = run(vote_sop("[shelve, build]"));
  ASSERT_EQ(other.process.exit_code, 0) << other.describe();
  EXPECT_EQ(messages_of(other, "Decide")[0]["payload"]["decision"], "shelve");
  EXPECT_EQ(messages_of(other, "Build").size(), 0u);
  EXPECT_EQ(messages_of(other, "Shelve").size(), 1u);
}

// After the vote, a weigher fans out over what the vote holds; a clerk reduces the branches.
constexpr const char* kWeighers =
    "  - name: Weigher\n"
    "    actions: [Weigh]\n"
    "    watch: [Decide]\n"
    "  - name: Clerk\n"
    "    actions: [Tally]\n"
    "    watch: [Weigh]\n";
std::string weigh_actions(const std::string& fan_out) {
  return "  Weigh: {type: speak, prompt: speak, fan_out: " + fan_out + "}\n"
         "  Tally: {type: speak, prompt: speak, reduce: Weigh}\n";
}

TEST_F(SopFlow, AFanOutRunsOneBranchPerItemAtMostMaxParallelAtOnceAndTheReduceGathersThemAll) {
  // 50 ms a call, so that branches overlap.
  AgentcoRun r = run(vote_sop("[build, shelve]", kWeighers, weigh_actions("payload.ballots, max_parallel: 2")),
                     {"AGENTCO_MOCK_LATENCY_MS=50"});
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  const auto fan = r.of_type("fan_out");
  ASSERT_EQ(fan.size(), 1u);
  EXPECT_EQ(fan[0].value("branches", 0), 3);
  EXPECT_EQ(fan[0].value("max_parallel", 0), 2);
  // Branches in flight at once: never more than 2, and 2 at some point.
  int open = 0, most = 0;
  for (const auto& record : r.trace) {
    if (record.value("action", "") != "Weigh") continue;
    if (record.value("type", "") == "action_start") most = std::max(most, ++open);
    if (record.value("type", "") == "action_end") --open;
  }
  EXPECT_EQ(most, 2);
  const auto weighed = messages_of(r, "Weigh");
  ASSERT_EQ(weighed.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(weighed[i]["branch"]["index"], i);
    EXPECT_EQ(weighed[i]["branch"]["of"], 3);
    EXPECT_EQ(weighed[i]["branch"]["fan_out"], messages_of(r, "Decide")[0]["id"]);
  }
  // Each branch saw its own ballot; the clerk tallied once, shown all three.
  const auto requests = r.of_type("llm_request");
  std::vector<std::string> weigh_prompts, tally_prompts;
  for (const auto& q : requests) {
    const std::string text = q["request"]["messages"].back().value("content", "");
    if (q.value("action", "") == "Weigh") weigh_prompts.push_back(text);
    if (q.value("action", "") == "Tally") tally_prompts.push_back(text);
  }
  ASSERT_EQ(weigh_prompts.size(), 3u);
  for (const auto& p : weigh_prompts) EXPECT_TRUE(has(p, "\"voter\"")) << p;
  ASSERT_EQ(tally_prompts.size(), 1u);
  EXPECT_EQ(std::count(tally_prompts[0].begin(), tally_prompts[0].end(), '\n') >= 3, true);
  const auto started = actions_started(r);
  EXPECT_EQ(count(started, "Clerk:Tally"), 1);
}

TEST_F(SopFlow, AFanOutOverAnEmptyListSaysSoOnceAndItsReduceStillRuns) {
  AgentcoRun r = run(vote_sop("[build, shelve]", kWeighers, weigh_actions("payload.nothing_here")));
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  const auto weighed = messages_of(r, "Weigh");
  ASSERT_EQ(weighed.size(), 1u);
  EXPECT_EQ(weighed[0]["branch"]["of"], 0);
  EXPECT_TRUE(has(r.process.err, "no list at payload.nothing_here")) << r.process.err;
  EXPECT_EQ(count(actions_started(r), "Clerk:Tally"), 1);
}

TEST_F(SopFlow, AJoinWaitsForEveryWatchedActionBeforeOneTurn) {
  auto sop = [](const std::string& join) {
    return "name: join\n"
           "roles:\n"
           "  - name: Left\n    actions: [SayLeft]\n    watch: [UserRequirement]\n"
           "  - name: Right\n    actions: [SayRight]\n    watch: [UserRequirement]\n"
           "  - name: Merger\n    actions: [Merge]\n    watch: [SayLeft, SayRight]\n" + join +
           "actions:\n"
           "  SayLeft: {type: speak, prompt: speak}\n"
           "  SayRight: {type: speak, prompt: speak}\n"
           "  Merge: {type: speak, prompt: speak}\n";
  };
  AgentcoRun joined = run(sop("    join: all\n"));
  ASSERT_EQ(joined.process.exit_code, 0) << joined.describe();
  ASSERT_EQ(messages_of(joined, "Merge").size(), 1u);
  std::string shown;
  for (const auto& q : joined.of_type("llm_request"))
    if (q.value("action", "") == "Merge") shown = q["request"]["messages"].back().value("content", "");
  EXPECT_TRUE(has(shown, "Left:") && has(shown, "Right:")) << shown;
}

TEST_F(SopFlow, ASubgraphJoinsTheSopUnderItsPrefixAndStartsOnTheActionsItNames) {
  spill(sandbox_.file("review_pair.yaml"),
        "name: review_pair\n"
        "roles:\n"
        "  - name: Reviewer\n    actions: [Review]\n    watch: [UserRequirement]\n"
        "  - name: Editor\n    actions: [Edit]\n    watch: [Review]\n"
        "actions:\n"
        "  Review: {type: speak, prompt: speak}\n"
        "  Edit: {type: speak, prompt: speak}\n");
  AgentcoRun r = run("name: with_subgraph\n"
                     "subgraphs:\n"
                     "  Check: {sop: review_pair.yaml, start_on: [Draft]}\n"
                     "roles:\n"
                     "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
                     "  - name: Publisher\n    actions: [Publish]\n    watch: [Check.Edit]\n"
                     "actions:\n"
                     "  Draft: {type: speak, prompt: speak}\n"
                     "  Publish: {type: speak, prompt: speak}\n");
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  EXPECT_EQ(actions_started(r), (std::vector<std::string>{"Writer:Draft", "Check.Reviewer:Check.Review",
                                                           "Check.Editor:Check.Edit", "Publisher:Publish"}));
  // Started by the draft, not by the user's requirement.
  EXPECT_EQ(messages_of(r, "Draft")[0]["recipients"], json::array({"Check.Reviewer"}));

  auto bad = check("name: broken\n"
                   "subgraphs:\n"
                   "  Check: {sop: missing_pair.yaml, start_on: [Draft]}\n"
                   "roles:\n"
                   "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
                   "actions:\n"
                   "  Draft: {type: speak, prompt: speak}\n");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(has(bad.err, where(3) + "subgraph Check (missing_pair.yaml):")) << bad.err;
  EXPECT_TRUE(has(bad.err, "neither a file nor a built-in SOP")) << bad.err;
}

TEST_F(SopFlow, AHumanNodeIsAnsweredAtTheTerminal) {
  spill(sandbox_.file("typed.txt"), "We build it, in Python.\n.\n");
  AgentcoRun r = run("name: human_node\n"
                     "roles:\n"
                     "  - name: Owner\n    profile: Product Owner\n    human: true\n    actions: [Decide]\n"
                     "    watch: [UserRequirement]\n"
                     "  - name: Builder\n    actions: [Build]\n    watch: [Decide]\n"
                     "actions:\n"
                     "  Decide: {type: speak, prompt: speak}\n"
                     "  Build: {type: speak, prompt: speak}\n",
                     {}, sandbox_.file("typed.txt"));
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  EXPECT_TRUE(has(r.process.out + r.process.err, "Owner (Product Owner) is asked, for Decide")) << r.describe();
  const auto decided = messages_of(r, "Decide");
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0].value("content", ""), "We build it, in Python.");
  EXPECT_EQ(messages_of(r, "Build").size(), 1u);
}

TEST_F(SopFlow, CheckSopNamesEachControlFlowErrorWithItsLine) {
  struct Case {
    std::string yaml;
    int line;
    std::string says;
  };
  const std::string head = "name: bad\nroles:\n";
  const std::vector<Case> cases = {
      // 3: a loop with no bound
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement, Critique]\n"
              "  - name: Critic\n    actions: [Critique]\n    watch: [Draft]\n"
              "actions:\n  Draft: {type: speak, prompt: speak}\n  Critique: {type: speak, prompt: speak}\n",
       3, "roles Writer -> Critic -> Writer form a cycle with no bound"},
      // until without max_rounds
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
              "actions:\n  Draft: {type: speak, prompt: speak, until: \"content contains 'done'\"}\n",
       7, "action Draft loops until a condition holds but has no bound: add 'max_rounds:'"},
      // exit read on an edge from an action that is not a loop
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
              "  - name: Critic\n    actions: [Critique]\n    watch: [{action: Draft, when: exit}]\n"
              "actions:\n  Draft: {type: speak, prompt: speak}\n  Critique: {type: speak, prompt: speak}\n",
       6, "role Critic: when 'exit' reads exit or round, but Draft is not a loop"},
      // a reduce with no fan-out
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
              "  - name: Clerk\n    actions: [Tally]\n    watch: [Draft]\n"
              "actions:\n  Draft: {type: speak, prompt: speak}\n  Tally: {type: speak, prompt: speak, reduce: Draft}\n",
       11, "action Tally reduces 'Draft', which is not an action with fan_out"},
      // an unreachable role
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
              "  - name: Ghost\n    actions: [Haunt]\n    watch: [Echo]\n"
              "  - name: Echoer\n    actions: [Echo]\n    watch: [Haunt]\n    max_turns: 2\n"
              "actions:\n  Draft: {type: speak, prompt: speak}\n  Haunt: {type: speak, prompt: speak}\n"
              "  Echo: {type: speak, prompt: speak}\n",
       6, "role Ghost can never act: nothing that starts from UserRequirement reaches what it watches (Echo)"},
      // a condition that does not parse
      {head + "  - name: Writer\n    actions: [Draft]\n    watch: [UserRequirement]\n"
              "  - name: Critic\n    actions: [Critique]\n    watch: [{action: Draft, when: \"content = 'x'\"}]\n"
              "actions:\n  Draft: {type: speak, prompt: speak}\n  Critique: {type: speak, prompt: speak}\n",
       8, "role Critic: when 'content = 'x'': '=' at column 9: use == or !="},
      // a vote without options
      {head + "  - name: Board\n    actions: [Decide]\n    watch: [UserRequirement]\n"
              "actions:\n  Decide: {type: vote, prompt: question, options: [only]}\n",
       7, "action Decide: options must list at least two choices"},
  };
  for (const auto& c : cases) {
    auto result = check(c.yaml);
    EXPECT_NE(result.exit_code, 0) << c.yaml;
    EXPECT_TRUE(has(result.err, where(c.line) + c.says)) << "expected " << where(c.line) << c.says << "\n got: " << result.err;
  }
}

TEST_F(SopFlow, ChatDevsChainRunsItsPhasesWritesItsFilesAndReadsLikeAnImportedChatDevLog) {
  auto checked = testing::run_process(sandbox_.options({"check-sop", "chatdev", "--no-user-config"}, {}));
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_TRUE(has(checked.out + checked.err, "7 roles, 11 actions: OK")) << checked.out << checked.err;

  auto options = sandbox_.options({"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(), "--sop",
                                    "chatdev", "--llm", "mock", "write a snake game"},
                                   {});
  AgentcoRun r = sandbox_.collect(testing::run_process(options));
  ASSERT_EQ(r.process.exit_code, 0) << r.describe();
  // Each phase starts (code completion as a fan-out: the mock's code has nothing unfinished,
  // so it runs no branch and says so).
  std::vector<std::string> phases;
  for (const auto& s : r.trace) {
    const std::string type = s.value("type", "");
    if (type != "action_start" && type != "fan_out") continue;
    if (phases.empty() || phases.back() != s.value("action", "")) phases.push_back(s.value("action", ""));
  }
  ASSERT_EQ(r.of_type("fan_out").size(), 1u);
  EXPECT_EQ(r.of_type("fan_out")[0].value("branches", -1), 0);
  EXPECT_EQ(phases, (std::vector<std::string>{"DemandAnalysis", "LanguageChoose", "Coding", "CodeComplete",
                                              "CodeReviewComment", "TestErrorSummary", "EnvironmentDoc", "Manual"}));
  // The phases' speakers are ChatDev's roles.
  std::map<std::string, std::string> first_speaker;
  for (const auto& q : r.of_type("llm_request")) first_speaker.emplace(q.value("action", ""), q.value("role", ""));
  EXPECT_EQ(first_speaker["DemandAnalysis"], "Chief Product Officer");
  EXPECT_EQ(first_speaker["Coding"], "Programmer");
  EXPECT_EQ(first_speaker["CodeReviewComment"], "Code Reviewer");
  for (const char* file : {"main.py", "requirements.txt", "manual.md"})
    EXPECT_TRUE(fs::exists(r.folder / file)) << file;
  // The language and the form are documents later phases show.
  for (const auto& q : r.of_type("llm_request")) {
    if (q.value("action", "") == "Coding") {
      EXPECT_TRUE(has(q["request"]["messages"].back().value("content", ""), "Language: Mock conclusion of LanguageChoose"));
    }
  }
  // The program ran in the test loop and passed; the review loop ended on "Finished".
  const auto runs = r.of_type("execution");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].value("ok", false)) << runs[0].dump();
  EXPECT_EQ(r.meta["verdict"]["decision"], "passed");

  // stats: the columns an imported ChatDev log fills (reviews, test rounds, verdict) are filled.
  auto stats = testing::run_process(sandbox_.options({"stats", "--format", "json", r.folder.string()}, {}));
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json s = json::parse(stats.out);
  const json& run0 = s.is_array() ? s[0] : s["runs"][0];
  EXPECT_EQ(run0.dump().find("\"verdict\":\"passed\"") != std::string::npos, true) << run0.dump();
  EXPECT_TRUE(has(run0.dump(), "\"review_rounds\":1")) << run0.dump();
  EXPECT_TRUE(has(run0.dump(), "\"test_rounds\":1")) << run0.dump();

  testing::ProcessOptions replay = sandbox_.options({"replay", "--verify", "--strict", r.folder.string()}, {});
  const auto replayed = testing::run_process(replay);
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_TRUE(has(replayed.err, "verify: files and git trees are identical")) << replayed.err;
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
