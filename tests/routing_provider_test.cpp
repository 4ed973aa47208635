// Pins llm/routing_provider.hpp: each call goes to the server of its role's roles: entry, else
// of its model's models: entry (sent that entry's model), else the default server; a model with
// a pricing plan is reported as asked for; cancelling reaches every server.
#include "llm/routing_provider.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace agentco {
namespace {

// A server that answers every call and remembers what it was asked.
class RecordingProvider : public Provider {
 public:
  explicit RecordingProvider(std::string kind) : kind_(std::move(kind)) {}
  std::string name() const override { return kind_; }
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override {
    models.push_back(request.model);
    ChatResult result;
    result.text = "ok";
    result.model = "reported-by-" + kind_;
    co_return result;
  }
  void cancel_calls() override { ++cancelled; }

  std::vector<std::string> models;  // the model of each call received
  int cancelled = 0;

 private:
  std::string kind_;
};

Result<ChatResult> call(Provider& provider, const std::string& model, const std::string& role = "",
                        const std::string& profile = "") {
  ChatRequest request;
  request.model = model;
  request.messages = {{"user", "hello"}};
  if (!role.empty()) request.hints = {{"role", role}, {"profile", profile}, {"action", "Act"}};
  boost::asio::io_context io;
  std::optional<Result<ChatResult>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await provider.chat(request)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

class Routing : public ::testing::Test {
 protected:
  void SetUp() override {
    RoutingTable table;
    table.servers = {{fallback_, {"llm"}, "base"},
                     {architect_, {"roles Architect"}, "arch"},
                     {fast_, {"models fast"}, "f"}};
    table.roles = {{.role = "Architect", .model = "arch"}, {.role = "QaEngineer", .model = "fast"}};
    table.role_servers = {1, std::nullopt};
    table.models = {{"fast", {2, "fast-v2"}}, {"same-server", {0, "renamed"}}};
    table.planned_models = {"fast"};
    provider_.emplace(std::move(table));
  }
  std::shared_ptr<RecordingProvider> fallback_ = std::make_shared<RecordingProvider>("openai");
  std::shared_ptr<RecordingProvider> architect_ = std::make_shared<RecordingProvider>("azure");
  std::shared_ptr<RecordingProvider> fast_ = std::make_shared<RecordingProvider>("openai");
  std::optional<RoutingProvider> provider_;
};

TEST_F(Routing, ACallOfARoleWhoseEntryNamesAServerGoesThereWhateverItsModel) {
  ASSERT_TRUE(call(*provider_, "arch", "Bob", "Architect").ok());
  ASSERT_TRUE(call(*provider_, "fast", "Bob", "Architect").ok());
  EXPECT_EQ(architect_->models, (std::vector<std::string>{"arch", "fast"}));
  EXPECT_TRUE(fallback_->models.empty());
  EXPECT_TRUE(fast_->models.empty());
}

TEST_F(Routing, ACallWhoseModelIsAModelsEntryGoesToItsServerWithTheEntrysModel) {
  ASSERT_TRUE(call(*provider_, "fast", "Alex", "Engineer").ok());
  ASSERT_TRUE(call(*provider_, "same-server").ok());
  EXPECT_EQ(fast_->models, std::vector<std::string>{"fast-v2"});
  EXPECT_EQ(fallback_->models, std::vector<std::string>{"renamed"});
}

TEST_F(Routing, ARolesEntryWithoutAServerLeavesTheCallToItsModel) {
  ASSERT_TRUE(call(*provider_, "fast", "Edward", "QA Engineer").ok());
  EXPECT_EQ(fast_->models, std::vector<std::string>{"fast-v2"});
}

TEST_F(Routing, AnyOtherCallGoesToTheDefaultServerAsItIs) {
  auto result = call(*provider_, "gpt-4o", "Alice", "Product Manager");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(fallback_->models, std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(result->model, "reported-by-openai") << "no pricing plan: the server's name stands";
  EXPECT_EQ(provider_->route("check-llm", "", "gpt-4o"),
            std::make_pair(std::size_t{0}, std::string("gpt-4o")));
}

TEST_F(Routing, ACallWhoseModelHasAPricingPlanReportsTheModelItAskedFor) {
  auto result = call(*provider_, "fast", "Alex", "Engineer");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->model, "fast");
}

TEST_F(Routing, CancellingReachesEveryServerAndTheNameListsTheirKinds) {
  provider_->cancel_calls();
  EXPECT_EQ(fallback_->cancelled + architect_->cancelled + fast_->cancelled, 3);
  EXPECT_EQ(provider_->name(), "openai+azure");
}

}  // namespace
}  // namespace agentco
