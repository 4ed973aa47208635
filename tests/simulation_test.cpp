// Populations and topics: routing by topic (once per subscriber), the bounded history,
// role instances (`count:`), the SOP keys, and sop/simulation_town.yaml run to its end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "environment/message_bus.hpp"
#include "actions/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "llm/mock_provider.hpp"
#include "roles/team.hpp"
#include "sop/sop.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

class Inbox : public Mailbox {
 public:
  explicit Inbox(std::string address) : address_(std::move(address)) {}
  const std::string& address() const override { return address_; }
  bool try_deliver(const MessagePtr& message) override {
    received.push_back(message);
    return true;
  }
  asio::awaitable<void> deliver(MessagePtr message) override {
    received.push_back(std::move(message));
    co_return;
  }
  std::vector<MessagePtr> received;

 private:
  std::string address_;
};

void publish(asio::io_context& io, MessageBus& bus, Message message) {
  asio::co_spawn(io, bus.publish(std::move(message)), [](std::exception_ptr e, MessagePtr) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  io.restart();
}

Message on_topic(std::string topic, std::string cause_by = "Say", std::string from = "Someone") {
  Message m;
  m.content = "hello";
  m.cause_by = std::move(cause_by);
  m.sent_from = std::move(from);
  m.topic = std::move(topic);
  return m;
}

TEST(TopicRouting, DeliversToEverySubscriberOfTheTopicOnceEvenWhenReachedSeveralWays) {
  asio::io_context io;
  MessageBus bus;
  Inbox a("A"), b("B"), c("C"), sender("Someone");
  bus.subscribe_topics(&a, {"district-0", "town"});
  bus.subscribe(&a, {"Say"});  // also watches the cause_by
  bus.subscribe_topics(&b, {"district-0"});
  bus.subscribe_topics(&c, {"district-1"});
  bus.subscribe_topics(&sender, {"district-0"});

  Message m = on_topic("district-0");
  m.send_to = {"A"};
  publish(io, bus, std::move(m));

  EXPECT_EQ(a.received.size(), 1u);
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_TRUE(c.received.empty());
  EXPECT_TRUE(sender.received.empty()) << "a sender does not hear itself on its own topic";
  EXPECT_EQ(bus.delivered(), 2u);
  EXPECT_EQ(bus.pending(), 2u);
}

TEST(TopicRouting, TheTraceRecordNamesTheTopicOnlyWhenThereIsOne) {
  Message plain;
  EXPECT_FALSE(plain.to_json().contains("topic"));
  EXPECT_EQ(on_topic("town").to_json()["topic"], "town");
}

TEST(TopicRouting, AHistoryLimitKeepsOnlyTheLastMessagesButCountsThemAll) {
  asio::io_context io;
  MessageBus bus;
  bus.set_history_limit(3);
  for (int i = 0; i < 5; ++i) publish(io, bus, on_topic("nobody"));
  ASSERT_EQ(bus.history().size(), 3u);
  EXPECT_EQ(bus.history().front()->seq, 3u);
  EXPECT_EQ(bus.published(), 5u);
}

TEST(RoleInstances, ARoleWithCountBecomesNamedInstancesWithTheirIndexAndGroupFilledIn) {
  RoleSpec citizen;
  citizen.name = "Citizen";
  citizen.count = 5;
  citizen.group_size = 2;
  citizen.topics = {"town", "district-{group}", "me-{index}"};
  citizen.publish_topic = "district-{group}";
  auto instances = role_instances(citizen);
  ASSERT_EQ(instances.size(), 5u);
  EXPECT_EQ(instances[3].name, "Citizen-3");
  EXPECT_EQ(instances[3].instance, 3);
  EXPECT_EQ(instances[3].topics, (std::vector<std::string>{"town", "district-1", "me-3"}));
  EXPECT_EQ(instances[4].publish_topic, "district-2");

  RoleSpec single;
  single.name = "Mayor";
  auto one = role_instances(single);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].name, "Mayor");
}

class SimulationSop : public ::testing::Test {
 protected:
  void SetUp() override { register_builtin_actions(registry_); }
  ActionRegistry registry_;
  PromptLibrary prompts_;
};

TEST_F(SimulationSop, TheBuiltInTownDeclaresAPopulationWithTopics) {
  auto sop = load_sop("simulation_town", registry_, prompts_);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  const RoleSpec& citizen = sop->roles.back();
  EXPECT_EQ(citizen.count, 1000);
  EXPECT_EQ(citizen.group_size, 10);
  EXPECT_EQ(citizen.publish_topic, "district-{group}");
  EXPECT_EQ(citizen.memory_limit, 16u);
  EXPECT_TRUE(citizen.watch.empty());
}

TEST_F(SimulationSop, ACountBelowOneIsAnErrorWithItsLine) {
  const char* yaml = R"(
roles:
  - name: Citizen
    count: 0
    actions: [Talk]
    watch: [UserRequirement]
actions:
  Talk: {type: speak, prompt: speak}
)";
  auto sop = parse_sop(yaml, "town.yaml", registry_, prompts_);
  ASSERT_FALSE(sop.ok());
  EXPECT_NE(sop.error().message.find("town.yaml:4: count must be at least 1"), std::string::npos)
      << sop.error().message;
}

TEST_F(SimulationSop, ARoleWithNeitherWatchNorTopicsIsStillAnError) {
  const char* yaml = R"(
roles:
  - name: Mayor
    actions: [Talk]
    watch: [UserRequirement]
  - name: Hermit
    actions: [Talk]
actions:
  Talk: {type: speak, prompt: speak}
)";
  auto sop = parse_sop(yaml, "town.yaml", registry_, prompts_);
  ASSERT_FALSE(sop.ok());
  EXPECT_NE(sop.error().message.find("role Hermit watches nothing"), std::string::npos) << sop.error().message;
}

TEST_F(SimulationSop, TheTownRunsEveryCitizenOnceAndTheDistrictsOnlyListen) {
  spdlog::set_level(spdlog::level::err);
  auto sop = load_sop("simulation_town", registry_, prompts_);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  sop->roles.back().count = 25;
  std::random_device random;
  fs::path base = fs::temp_directory_path() / ("agentco_town_" + std::to_string(::getpid()) + "_" + std::to_string(random()));

  Config config;
  config.llm.api_type = "mock";
  config.llm.model = "mock";
  config.pricing["mock"] = ModelPrice{0.0, 0.0};
  auto workspace = Workspace::open(base / "town");
  ASSERT_TRUE(workspace.ok());
  auto trace = TraceWriter::open(base / "run.jsonl");
  ASSERT_TRUE(trace.ok());
  CostLedger ledger(config.pricing, config.run.investment);
  LlmGateway gateway(std::make_shared<MockProvider>(), ledger, trace->get());
  MessageBus bus;
  asio::io_context io;
  RunContext run(io.get_executor(), config, "Should the town build a bridge?", bus, **workspace, **trace, gateway,
                 prompts_);
  gateway.watch_stop(&run.stop);
  RunOutcome outcome = run_team(io, run, *sop, registry_, iso_timestamp_now());

  EXPECT_EQ(outcome.reason, "idle") << outcome.detail;
  EXPECT_EQ(run.turns(), 26) << "the mayor once, each citizen once; district chatter is only observed";
  EXPECT_EQ(ledger.total().calls, 26);
  EXPECT_EQ(bus.published(), 27u);  // the idea, the question, 25 answers
  // The question reaches all 25; each answer reaches the other 9 (or 4) of its district.
  EXPECT_EQ(bus.delivered(), 1u + 25u + 20u * 9u + 5u * 4u);
  std::error_code ec;
  fs::remove_all(base, ec);
}

}  // namespace
}  // namespace agentco
