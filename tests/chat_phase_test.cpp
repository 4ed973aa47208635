// Two-agent chat phases (SOP action type `chat`), through the binary: the mock's
// proposal -> agreement -> conclusion, traced per speaking role and replayed (from inside
// the run folder, as `agentco replay .`); a scripted server whose assistant never concludes
// (the bound holds, said as a warning) or concludes at once with a marker of the SOP's own;
// and the SOP errors check-sop names with file:line.
#include <gtest/gtest.h>

#include <filesystem>
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
using testing::spill;

std::string team(const std::string& extra_action_keys) {
  return "name: demand_analysis\n"
         "roles:\n"
         "  - name: Ceo\n"
         "    profile: Chief Executive Officer\n"
         "    goal: Lead the company to a product that fits the need.\n"
         "    actions: [DemandAnalysis]\n"
         "    watch: [UserRequirement]\n"
         "  - name: Cpo\n"
         "    profile: Chief Product Officer\n"
         "    goal: Decide the product's form with the CEO.\n"
         "actions:\n"
         "  DemandAnalysis:\n"
         "    type: chat\n"
         "    prompt: phase\n" +
         extra_action_keys;
}

class ChatPhase : public ::testing::Test {
 protected:
  ChatPhase() : sandbox_("chat_phase") {
    spill(sandbox_.root() / "prompts" / "phase.txt",
          "## The requirement\n{{idea}}\n\n## Task\nDecide with me which kind of product fits the requirement: a "
          "command-line tool, a desktop application or a website.\n");
    spill(sandbox_.file("config.yaml"), "run:\n  prompts_dir: " + (sandbox_.root() / "prompts").string() + "\n");
  }
  std::vector<std::string> run_args(const std::vector<std::string>& model_args) const {
    std::vector<std::string> args = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(),
                                     "--sop", sandbox_.file("team.yaml").string(), "--config",
                                     sandbox_.file("config.yaml").string()};
    args.insert(args.end(), model_args.begin(), model_args.end());
    args.push_back("write a snake game");
    return args;
  }
  json message_of(const AgentcoRun& run) const {
    for (const auto& m : run.of_type("message"))
      if (m.value("cause_by", "") == "DemandAnalysis") return m;
    return json();
  }
  RunSandbox sandbox_;
};

TEST_F(ChatPhase, TheMockProposesIsAnsweredAndConcludesAndTheReplayIsIdentical) {
  spill(sandbox_.file("team.yaml"), team("    with: Cpo\n    max_turns: 3\n"));
  AgentcoRun run = sandbox_.collect(testing::run_process(sandbox_.options(run_args({"--llm", "mock"}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  // Cpo answers twice, Ceo once between: each call is its speaker's.
  std::vector<std::string> speakers;
  for (const auto& r : run.of_type("llm_request")) speakers.push_back(r.value("role", ""));
  EXPECT_EQ(speakers, (std::vector<std::string>{"Cpo", "Ceo", "Cpo"}));
  const auto requests = run.of_type("llm_request");
  // The assistant sees its own system prompt with the marker rule, the phase prompt as the user's.
  const json& first = requests[0]["request"]["messages"];
  EXPECT_NE(first[0].value("content", "").find("You are Cpo, a Chief Product Officer"), std::string::npos) << first;
  EXPECT_NE(first[0].value("content", "").find("start your reply with <INFO>"), std::string::npos) << first;
  EXPECT_NE(first[1].value("content", "").find("write a snake game"), std::string::npos) << first;
  // The instructor is shown the task and the answer; the assistant then sees the instruction.
  EXPECT_NE(requests[1]["request"]["messages"][1].value("content", "").find("Cpo answered:"), std::string::npos);
  EXPECT_EQ(requests[2]["request"]["messages"].back().value("role", ""), "user");
  const json message = message_of(run);
  ASSERT_FALSE(message.is_null()) << run.describe();
  EXPECT_EQ(message.value("content", ""), "Mock conclusion of DemandAnalysis for: write a snake game");
  EXPECT_EQ(message["payload"], json({{"with", "Cpo"}, {"turns", 2}, {"concluded", true}}));

  // `agentco replay .` from inside the run: beside it, identical, nothing asked.
  testing::ProcessOptions replay = sandbox_.options({"replay", "--verify", "--strict", "."}, {});
  replay.cwd = run.folder;
  const auto replayed = testing::run_process(replay);
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_NE(replayed.err.find("verify: files and git trees are identical"), std::string::npos) << replayed.err;
  EXPECT_FALSE(fs::exists(run.folder / ".-replay")) << "the replay landed inside the run";
  EXPECT_TRUE(fs::exists(run.folder.string() + "-replay"));
}

// The reading model knows the marker only from what the answering side's prompt says.
TEST_F(ChatPhase, AReadingModelConcludesWithTheMarkerItsPromptNames) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = "rules:\n  - read: true\n"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team("    with: Cpo\n    end_marker: \"<CONCLUDED>\"\n"));
  AgentcoRun run = sandbox_.collect(testing::run_process(
      sandbox_.options(run_args({"--llm-base-url", server.base_url(), "--model", "fake-model"}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  const json message = message_of(run);
  EXPECT_EQ(message["payload"], json({{"with", "Cpo"}, {"turns", 2}, {"concluded", true}})) << message;
  EXPECT_TRUE(message.value("content", "").starts_with("My answer to the task")) << message;
  EXPECT_NE(message.value("content", "").find("write a snake game"), std::string::npos) << message;
}

TEST_F(ChatPhase, AnAssistantThatNeverConcludesIsStoppedAtMaxTurnsAndItsLastAnswerStands) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = "rules:\n  - reply: \"Let us think more.\"\n"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team("    with: Cpo\n    max_turns: 2\n"));
  AgentcoRun run = sandbox_.collect(testing::run_process(
      sandbox_.options(run_args({"--llm-base-url", server.base_url(), "--model", "fake-model"}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(run.of_type("llm_request").size(), 3u);  // Cpo, Ceo, Cpo
  const json message = message_of(run);
  EXPECT_EQ(message.value("content", ""), "Let us think more.");
  EXPECT_EQ(message["payload"].value("concluded", true), false);
  bool warned = false;
  for (const auto& w : run.of_type("warning"))
    warned |= w.value("message", "").find("Cpo did not conclude with <INFO> within max_turns 2") != std::string::npos;
  EXPECT_TRUE(warned) << run.describe();
}

TEST_F(ChatPhase, AMarkerOfTheSopsOwnEndsThePhaseAtOnce) {
  testing::FakeServerProcess server(sandbox_.file("fake"), {.script = "rules:\n  - reply: \"  <DONE> A website.\"\n"});
  ASSERT_TRUE(server.ok());
  spill(sandbox_.file("team.yaml"), team("    with: Cpo\n    end_marker: \"<DONE>\"\n"));
  AgentcoRun run = sandbox_.collect(testing::run_process(
      sandbox_.options(run_args({"--llm-base-url", server.base_url(), "--model", "fake-model"}), {})));
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_EQ(run.of_type("llm_request").size(), 1u);
  EXPECT_EQ(message_of(run).value("content", ""), "A website.");
  EXPECT_NE(run.of_type("llm_request")[0]["request"]["messages"][0].value("content", "").find("start your reply with <DONE>"),
            std::string::npos);
}

TEST_F(ChatPhase, CheckSopNamesAMissingOrUnknownPartnerAndAnIdleRole) {
  auto check = [&](const std::string& text) {
    spill(sandbox_.file("team.yaml"), text);
    return testing::run_process(sandbox_.options(
        {"check-sop", sandbox_.file("team.yaml").string(), "--no-user-config", "--config", sandbox_.file("config.yaml").string()},
        {}));
  };
  auto no_partner = check(team(""));
  EXPECT_EQ(no_partner.exit_code, 2);
  EXPECT_NE(no_partner.err.find("team.yaml:12: action DemandAnalysis of type chat needs 'with:'"), std::string::npos)
      << no_partner.err;
  // (Cpo speaks too here, so that the SOP gets as far as the roles' cross-checks.)
  std::string speaking = team("    with: Cto\n  Speak:\n    type: speak\n    prompt: phase\n    on: [DemandAnalysis]\n");
  speaking.replace(speaking.find("    goal: Decide"), 0, "    actions: [Speak]\n    watch: [DemandAnalysis]\n");
  auto unknown = check(speaking);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("team.yaml:14: action DemandAnalysis: with 'Cto' is not a role of this SOP (roles: Ceo, Cpo)"),
            std::string::npos)
      << unknown.err;
  // Cpo has no actions: allowed only because the chat names it; not when it does not.
  std::string text = team("    with: Ceo\n");
  auto idle = check(text);
  EXPECT_EQ(idle.exit_code, 2);
  EXPECT_NE(idle.err.find("role Cpo has no actions (a role may have none only when a chat action's 'with:' names it)"),
            std::string::npos)
      << idle.err;
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
