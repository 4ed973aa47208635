// The team driven in-process: the same wiring as app/run_command.cpp, with the mock model
// (or a scripted provider), a temporary project folder and SOPs given as YAML text.
#include "roles/team.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "core/text.hpp"
#include "environment/message_bus.hpp"
#include "actions/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "llm/mock_provider.hpp"
#include "roles/role.hpp"
#include "sop/sop.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kIdea = "a snake game";
// A run that has not ended by then is stopped with reason "hung" (so the test fails, not hangs).
constexpr std::chrono::seconds kWatchdog(60);

// A product manager, an architect and a project manager, each writing one small document
// for the next (the start of the built-in SOP, without its code-writing roles).
constexpr const char* kDocsSop = R"(
name: documents
roles:
  - name: Alice
    profile: Product Manager
    actions: [WritePRD]
    watch: [UserRequirement]
  - name: Bob
    profile: Architect
    actions: [WriteDesign]
    watch: [WritePRD]
  - name: Eve
    profile: Project Manager
    actions: [WriteTasks]
    watch: [WriteDesign]
actions:
  WritePRD:
    type: document
    prompt: write_prd
    document: prd
    schema:
      - {name: Project Name, type: str, instruction: "snake_case"}
      - {name: Product Goals, type: "list[str]", instruction: "Goals."}
  WriteDesign:
    type: document
    prompt: write_design
    document: system_design
    schema:
      - {name: File list, type: "list[str]", instruction: "Files."}
  WriteTasks:
    type: document
    prompt: write_tasks
    document: tasks
    schema:
      - {name: Task list, type: "list[str]", instruction: "Files in order."}
)";

// One role that writes one document nobody watches.
constexpr const char* kSoloSop = R"(
name: solo
roles:
  - name: Alice
    profile: Product Manager
    actions: [WriteNote]
    watch: [UserRequirement]
actions:
  WriteNote:
    type: document
    prompt: write_prd
    document: note
    title: Note
    schema:
      - {name: Summary, type: str, instruction: "One line."}
)";

// One role in react mode with two document actions.
constexpr const char* kReactSop = R"(
name: react
roles:
  - name: Rita
    profile: Researcher
    goal: Take notes, then summarise them.
    actions: [WriteNotes, WriteSummary]
    watch: [UserRequirement]
    react_mode: react
actions:
  WriteNotes:
    type: document
    prompt: write_prd
    document: notes
    schema:
      - {name: Notes, type: "list[str]", instruction: "Short notes."}
  WriteSummary:
    type: document
    prompt: write_prd
    document: summary
    schema:
      - {name: Summary, type: str, instruction: "One line."}
)";

// Ping and Pong watch each other; only Pong is bounded.
constexpr const char* kCycleSop = R"(
name: ping_pong
roles:
  - name: Ping
    profile: Pinger
    actions: [SayPing]
    watch: [UserRequirement, SayPong]
  - name: Pong
    profile: Ponger
    actions: [SayPong]
    watch: [SayPing]
    max_turns: 2
actions:
  SayPing:
    type: document
    prompt: write_prd
    document: ping
    schema:
      - {name: Word, type: str, instruction: "ping"}
  SayPong:
    type: document
    prompt: write_prd
    document: pong
    schema:
      - {name: Word, type: str, instruction: "pong"}
)";

// Answers like the mock, except that every reply to `broken_action` is prose without JSON.
class BreakingProvider : public Provider {
 public:
  explicit BreakingProvider(std::string broken_action) : broken_action_(std::move(broken_action)) {}

  std::string name() const override { return "mock"; }

  asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override {
    const std::string action = request.hints.value("action", "");
    ++calls_[action];
    ChatResult result;
    result.model = request.model;
    if (action == broken_action_) {
      result.text = "I would rather not write that document. Here is a poem about snakes instead.";
    } else {
      result.text = MockProvider::reply_for(request);
    }
    result.usage.completion_tokens = estimate_tokens(result.text);
    co_return Result<ChatResult>(std::move(result));
  }

  int calls(const std::string& action) const {
    auto it = calls_.find(action);
    return it == calls_.end() ? 0 : it->second;
  }

 private:
  std::string broken_action_;
  std::map<std::string, int> calls_;
};

class TeamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::err);
    std::random_device random;
    base_ = fs::temp_directory_path() /
            ("agentco_team_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    config_.llm.api_type = "mock";
    config_.llm.model = "mock";
    config_.llm.repair_attempts = 2;
    config_.pricing["mock"] = ModelPrice{0.0, 0.0};
    config_.run.render_diagrams = false;  // mermaid_test tests the rendering; no browser per run here
    register_builtin_actions(registry_);
  }

  void TearDown() override {
    io_.reset();
    run_.reset();
    gateway_.reset();
    ledger_.reset();
    trace_.reset();
    workspace_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
    spdlog::set_level(previous_level_);
  }

  Result<Sop> parse(const char* yaml) { return parse_sop(yaml, "test_sop.yaml", registry_, prompts_); }
  Result<Sop> builtin() { return load_sop("software_company", registry_, prompts_); }

  // Wires a run as app/run_command.cpp does and runs the SOP to its end.
  void run_sop(const Sop& sop, std::shared_ptr<Provider> provider = std::make_shared<MockProvider>()) {
    auto workspace = Workspace::open(base_ / "warehouse" / "snake_game");
    ASSERT_TRUE(workspace.ok()) << workspace.error().message;
    workspace_ = std::move(workspace).value();
    auto trace = TraceWriter::open(workspace_->root() / "run.jsonl");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    trace_ = std::move(trace).value();
    trace_->append("run_start", {{"schema_version", kTraceSchemaVersion}, {"idea", kIdea}, {"sop", sop.name}});

    ledger_ = std::make_unique<CostLedger>(config_.pricing, config_.run.investment);
    gateway_ = std::make_unique<LlmGateway>(std::move(provider), *ledger_, trace_.get());
    io_ = std::make_unique<asio::io_context>();
    run_ = std::make_unique<RunContext>(io_->get_executor(), config_, kIdea, bus_, *workspace_, *trace_, *gateway_,
                                        prompts_);
    gateway_->watch_stop(&run_->stop);

    std::vector<std::string> first;
    if (auto w = run_->write_file("User", ".gitignore", "run.jsonl\nmeta.json\n")) first.push_back(w->path);
    if (auto w = run_->write_file("User", "docs/requirement.txt", std::string(kIdea) + "\n")) first.push_back(w->path);
    ASSERT_EQ(first.size(), 2u);
    ASSERT_TRUE(run_->commit("User", "UserRequirement: docs/requirement.txt", first).ok());

    std::mutex mutex;
    std::condition_variable ended;
    bool finished = false;
    std::thread watchdog([&] {
      std::unique_lock lock(mutex);
      if (!ended.wait_for(lock, kWatchdog, [&] { return finished; })) {
        asio::post(*io_, [this] { run_->request_stop("hung", "the test's watchdog stopped a run that did not end"); });
      }
    });
    outcome_ = run_team(*io_, *run_, sop, registry_, iso_timestamp_now());
    {
      std::lock_guard lock(mutex);
      finished = true;
    }
    ended.notify_one();
    watchdog.join();
  }

  std::vector<json> records(const std::string& type) const {
    auto contents = read_trace(trace_->path());
    if (!contents.ok()) {
      ADD_FAILURE() << contents.error().message;
      return {};
    }
    std::vector<json> out;
    for (const auto& r : contents->records) {
      if (r.value("type", "") == type) out.push_back(r);
    }
    return out;
  }

  std::vector<std::string> commit_messages() const {
    std::vector<std::string> out;
    for (const auto& c : workspace_->log()) out.push_back(c.message);
    return out;
  }

  bool has_commit(const std::string& message) const {
    auto messages = commit_messages();
    return std::find(messages.begin(), messages.end(), message) != messages.end();
  }

  // The paths of the traced commit with this message (empty when there is none).
  std::vector<std::string> committed_paths(const std::string& message) const {
    for (const auto& c : records("commit")) {
      if (c.value("message", "") == message) return c["paths"].get<std::vector<std::string>>();
    }
    return {};
  }

  int turns_of(const std::string& role) const {
    json roles = outcome_.meta.value("roles", json::object());
    return roles.contains(role) ? roles[role].value("turns", -1) : -1;
  }
  bool exists(const std::string& path) const { return workspace_->exists(path); }

  spdlog::level::level_enum previous_level_ = spdlog::level::info;
  fs::path base_;
  Config config_;
  PromptLibrary prompts_;
  ActionRegistry registry_;
  MessageBus bus_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<TraceWriter> trace_;
  std::unique_ptr<CostLedger> ledger_;
  std::unique_ptr<LlmGateway> gateway_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<RunContext> run_;
  RunOutcome outcome_;
};

TEST_F(TeamTest, TheBuiltInSoftwareCompanyRunsToIdleWithEveryRoleTakingOneTurn) {
  auto sop = builtin();
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "idle") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 0);
  for (const auto& role : sop->roles) EXPECT_EQ(turns_of(role.name), 1) << role.name;
  EXPECT_EQ(run_->turns(), static_cast<int>(sop->roles.size()));
  EXPECT_EQ(outcome_.meta["turns"], sop->roles.size());

  for (const char* path : {"docs/prd.json", "docs/prd.md", "resources/competitive_analysis.mmd",
                           "docs/system_design.json", "docs/tasks.json", "utils.py", "config.py", "game.py",
                           "main.py", "tests/test_game.py", "tests/test_main.py"}) {
    EXPECT_TRUE(exists(path)) << path;
  }
  EXPECT_TRUE(has_commit("WritePRD: docs/prd.json"));
  EXPECT_TRUE(has_commit("WriteDesign: docs/system_design.json"));
  EXPECT_TRUE(has_commit("WriteTasks: docs/tasks.json"));
  EXPECT_TRUE(records("parse_error").empty());
  EXPECT_EQ(static_cast<long>(records("llm_request").size()), ledger_->total().calls);

  auto ends = records("run_end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]["reason"], "idle");
  std::ifstream meta_file(workspace_->root() / "meta.json");
  ASSERT_TRUE(meta_file) << "meta.json was not written";
  json meta = json::parse(meta_file);
  EXPECT_EQ(meta["outcome"]["reason"], "idle");
  EXPECT_EQ(meta["outcome"]["status"], "finished");
}

TEST_F(TeamTest, IdleDetectionEndsARunWhoseLastRolePublishesToNobody) {
  auto sop = parse(kSoloSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "idle") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 0);
  EXPECT_EQ(turns_of("Alice"), 1);
  EXPECT_EQ(bus_.pending(), 0u);
  EXPECT_TRUE(exists("docs/note.json"));
  EXPECT_TRUE(has_commit("WriteNote: docs/note.json"));

  auto messages = records("message");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["recipients"], json::array({"Alice"}));
  EXPECT_EQ(messages[1]["cause_by"], "WriteNote");
  EXPECT_TRUE(messages[1]["recipients"].empty());
}

TEST_F(TeamTest, MaxRoundsStopsAfterExactlyThatManyTurnsAndKeepsTheirDocumentsCommitted) {
  config_.run.max_rounds = 2;
  auto sop = parse(kDocsSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "max_rounds") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 4);
  EXPECT_EQ(run_->turns(), 2);
  EXPECT_EQ(outcome_.meta["turns"], 2);
  EXPECT_EQ(turns_of("Alice"), 1);
  EXPECT_EQ(turns_of("Bob"), 1);
  EXPECT_EQ(turns_of("Eve"), 0);
  EXPECT_EQ(ledger_->total().calls, 2);

  EXPECT_TRUE(exists("docs/prd.json"));
  EXPECT_TRUE(exists("docs/system_design.json"));
  EXPECT_FALSE(exists("docs/tasks.json"));
  EXPECT_TRUE(has_commit("WritePRD: docs/prd.json"));
  EXPECT_TRUE(has_commit("WriteDesign: docs/system_design.json"));
  auto prd_paths = committed_paths("WritePRD: docs/prd.json");
  EXPECT_NE(std::find(prd_paths.begin(), prd_paths.end(), "docs/prd.json"), prd_paths.end());
  EXPECT_NE(std::find(prd_paths.begin(), prd_paths.end(), "docs/prd.md"), prd_paths.end());
  auto design_paths = committed_paths("WriteDesign: docs/system_design.json");
  EXPECT_NE(std::find(design_paths.begin(), design_paths.end(), "docs/system_design.json"), design_paths.end());

  auto ends = records("run_end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]["reason"], "max_rounds");
}

TEST_F(TeamTest, ABudgetTooSmallForTheFirstCallStopsBeforeAnyModelCall) {
  config_.pricing["mock"] = ModelPrice{1.0, 1.0};
  config_.run.investment = 0.5;
  auto sop = parse(kDocsSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "budget") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 3);
  EXPECT_TRUE(records("llm_request").empty());
  EXPECT_EQ(gateway_->calls_started(), 0);
  EXPECT_EQ(ledger_->total().calls, 0);
  auto budget = records("budget");
  ASSERT_EQ(budget.size(), 1u);
  EXPECT_EQ(budget[0]["role"], "Alice");
  EXPECT_EQ(budget[0]["action"], "WritePRD");
  EXPECT_GT(budget[0]["next_worst_case_usd"].get<double>(), 0.5);
  EXPECT_FALSE(exists("docs/prd.json"));
  EXPECT_EQ(commit_messages(), std::vector<std::string>{"UserRequirement: docs/requirement.txt"});
}

TEST_F(TeamTest, ARoleInReactModeRunsEachOfItsActionsOnceThenAnswersMinusOne) {
  auto sop = parse(kReactSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "idle") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 0);
  EXPECT_EQ(turns_of("Rita"), 1);
  EXPECT_TRUE(exists("docs/notes.json"));
  EXPECT_TRUE(exists("docs/summary.json"));

  std::vector<std::string> started;
  for (const auto& r : records("action_start")) started.push_back(r["action"].get<std::string>());
  EXPECT_EQ(started, (std::vector<std::string>{"WriteNotes", "WriteSummary"}));

  // choose -> 0, WriteNotes, choose -> 1, WriteSummary, choose -> -1.
  std::vector<std::string> calls;
  for (const auto& r : records("llm_request")) calls.push_back(r["hints"].value("action", ""));
  EXPECT_EQ(calls, (std::vector<std::string>{"ChooseAction", "WriteNotes", "ChooseAction", "WriteSummary",
                                             "ChooseAction"}));
  std::vector<std::string> answers;
  for (const auto& r : records("llm_response")) {
    if (r["action"] == "ChooseAction") answers.push_back(r["text"].get<std::string>());
  }
  EXPECT_EQ(answers, (std::vector<std::string>{"0", "1", "-1"}));
}

TEST_F(TeamTest, AnActionWhoseRepliesNeverParseFailsTheRunAfterTheRepairAttempts) {
  auto provider = std::make_shared<BreakingProvider>("WriteDesign");
  auto sop = parse(kDocsSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop, provider));

  EXPECT_EQ(outcome_.reason, "failed") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 1);
  EXPECT_NE(outcome_.detail.find("WriteDesign"), std::string::npos) << outcome_.detail;
  EXPECT_EQ(provider->calls("WriteDesign"), config_.llm.repair_attempts + 1);
  EXPECT_EQ(records("parse_error").size(), static_cast<std::size_t>(config_.llm.repair_attempts + 1));
  EXPECT_EQ(provider->calls("WriteTasks"), 0);
  EXPECT_EQ(turns_of("Eve"), 0);

  EXPECT_TRUE(exists("docs/prd.json"));
  EXPECT_TRUE(has_commit("WritePRD: docs/prd.json"));
  EXPECT_FALSE(exists("docs/system_design.json"));
  auto ends = records("run_end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]["reason"], "failed");
}

TEST_F(TeamTest, TwoRolesWatchingEachOtherEndWhenTheBoundedOneRunsOutOfTurns) {
  auto sop = parse(kCycleSop);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  ASSERT_NO_FATAL_FAILURE(run_sop(*sop));

  EXPECT_EQ(outcome_.reason, "idle") << outcome_.detail;
  EXPECT_EQ(outcome_.exit_code, 0);
  // Ping, Pong, Ping, Pong, Ping; Ping's third message finds Pong at its bound.
  EXPECT_EQ(turns_of("Pong"), 2);
  EXPECT_EQ(turns_of("Ping"), 3);
  EXPECT_EQ(run_->turns(), 5);
  EXPECT_EQ(ledger_->total().calls, 5);
  EXPECT_EQ(bus_.history().size(), 6u);
  EXPECT_TRUE(exists("docs/ping.json"));
  EXPECT_TRUE(exists("docs/pong.json"));
}

}  // namespace
}  // namespace agentco
