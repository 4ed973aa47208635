// The engineer runs its program before QA sees it (SOP `run_before_qa: true` on WriteCode),
// through the real binary: with the reading model answering every prompt from what it shows,
// except main.py's first two versions (the second is the summary's TODO round), which crash
// at start. The crash is traced, the file it points at is rewritten once, shown the
// traceback, and the run goes on to QA.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::FakeServerProcess;
using testing::RunSandbox;

std::string sop_running_before_qa() {
  std::string sop = testing::slurp(fs::path(AGENTCO_SOURCE_DIR) / "sop" / "software_company.yaml");
  const std::string anchor = "    summary_prompt: summarize_code\n";
  const auto at = sop.find(anchor);
  if (at == std::string::npos) return "";
  return sop.insert(at + anchor.size(), "    run_before_qa: true\n");
}

class RunBeforeQa : public ::testing::Test {
 protected:
  RunBeforeQa() : sandbox_("run_before_qa") {}

  AgentcoRun run(const std::string& script) {
    server_ = std::make_unique<FakeServerProcess>(sandbox_.root() / "server", FakeServerProcess::Options{script, "", false});
    if (!server_->ok()) return {};
    testing::spill(sandbox_.file("team.yaml"), sop_running_before_qa());
    testing::spill(sandbox_.file("config.yaml"), "run:\n  code_review_rounds: 0\n  test_rounds: 1\n");
    const std::vector<std::string> args = {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(),
                                           "--llm-base-url", server_->base_url(), "--model", "fake-model", "-q",
                                           "--sop", sandbox_.file("team.yaml").string(),
                                           "--config", sandbox_.file("config.yaml").string(),
                                           "write a cli inventory tool"};
    testing::ProcessOptions options = sandbox_.options(args, {});
    options.timeout = std::chrono::milliseconds(120000);
    return sandbox_.collect(testing::run_process(options));
  }

  RunSandbox sandbox_;
  std::unique_ptr<FakeServerProcess> server_;
};

TEST_F(RunBeforeQa, AProgramThatCrashesAtStartIsRewrittenOnceShownItsTraceback) {
  ASSERT_FALSE(sop_running_before_qa().empty());
  const AgentcoRun run = this->run(R"(rules:
  - match: {regex: 'before handing it to QA failed'}
    reply: "```python\nprint('inventory: started')\n```"
  - match: {regex: 'Your file: main\.py'}
    times: 2
    reply: "```python\nraise RuntimeError('boom at start')\n```"
  - read: true
)");
  ASSERT_TRUE(server_ && server_->ok());
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  const auto checks = run.of_type("self_check");
  ASSERT_EQ(checks.size(), 1u) << run.describe();
  EXPECT_EQ(checks[0].value("command", ""), "python3 main.py");
  EXPECT_FALSE(checks[0].value("ok", true));
  EXPECT_EQ(checks[0].value("exit_code", 0), 1);
  // The rewrite was shown the traceback.
  bool shown = false;
  for (const auto& r : run.of_type("llm_request")) {
    const std::string prompt = r["request"]["messages"].back().value("content", "");
    if (prompt.find("before handing it to QA failed (exit code 1)") != std::string::npos)
      shown = prompt.find("RuntimeError: boom at start") != std::string::npos;
  }
  EXPECT_TRUE(shown);
  bool committed = false;
  for (const auto& c : run.of_type("commit"))
    committed |= c.value("message", "") == "WriteCode: main.py fixed after running the program";
  EXPECT_TRUE(committed);
  // What QA then ran was the rewritten program.
  bool rewritten = false;
  for (const auto& w : run.of_type("file_write"))
    if (w.value("path", "") == "main.py") rewritten = w.value("content", "") == "print('inventory: started')\n";
  EXPECT_TRUE(rewritten);
  for (const auto& m : run.of_type("message"))
    if (m.value("cause_by", "") == "WriteCode")
      EXPECT_EQ(m["payload"]["run_before_qa"].value("fixed", ""), "main.py") << m.dump();
}

TEST_F(RunBeforeQa, AProgramThatStartsIsLeftAsItIs) {
  const AgentcoRun run = this->run("rules:\n  - read: true\n");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  const auto checks = run.of_type("self_check");
  ASSERT_EQ(checks.size(), 1u) << run.describe();
  EXPECT_TRUE(checks[0].value("ok", false)) << checks[0].dump();
  for (const auto& c : run.of_type("commit"))
    EXPECT_EQ(c.value("message", "").find("fixed after running the program"), std::string::npos);
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
