#include "environment/message_bus.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentco {
namespace {

namespace asio = boost::asio;

// A mailbox that records what it receives. With `has_room` false, try_deliver refuses and
// the bus must fall back to the awaitable deliver(), which waits until `make_room()`.
class FakeMailbox : public Mailbox {
 public:
  FakeMailbox(asio::io_context& io, std::string address, bool has_room = true)
      : address_(std::move(address)), has_room_(has_room), room_(io, asio::steady_timer::time_point::max()) {}

  const std::string& address() const override { return address_; }

  bool try_deliver(const MessagePtr& message) override {
    ++try_calls;
    if (!has_room_) return false;
    received.push_back(message);
    return true;
  }

  asio::awaitable<void> deliver(MessagePtr message) override {
    ++waiting_deliveries;
    co_await room_.async_wait(asio::as_tuple(asio::use_awaitable));
    received.push_back(std::move(message));
    ++awaited_deliveries;
  }

  void make_room() { room_.cancel(); }

  std::vector<MessagePtr> received;
  int try_calls = 0;
  int waiting_deliveries = 0;
  int awaited_deliveries = 0;

 private:
  std::string address_;
  bool has_room_;
  asio::steady_timer room_;
};

Message make_message(std::string cause_by, std::string sent_from, std::vector<std::string> send_to = {},
                     std::string content = "hello") {
  Message m;
  m.content = std::move(content);
  m.role = "Tester";
  m.cause_by = std::move(cause_by);
  m.sent_from = std::move(sent_from);
  m.send_to = std::move(send_to);
  return m;
}

class MessageBusTest : public ::testing::Test {
 protected:
  // Publishes on the io_context and runs it until the publication is complete.
  MessagePtr publish(Message message) {
    MessagePtr published;
    std::exception_ptr error;
    asio::co_spawn(io_, bus_.publish(std::move(message)), [&](std::exception_ptr e, MessagePtr m) {
      error = e;
      published = std::move(m);
    });
    io_.run();
    io_.restart();
    if (error) std::rethrow_exception(error);
    return published;
  }

  asio::io_context io_;
  MessageBus bus_;
};

TEST_F(MessageBusTest, RoutesAMessageToEveryRoleThatWatchesItsAction) {
  FakeMailbox architect(io_, "Bob");
  FakeMailbox reviewer(io_, "Rex");
  FakeMailbox engineer(io_, "Alex");
  bus_.subscribe(&architect, {"WritePRD"});
  bus_.subscribe(&reviewer, {"WriteDesign", "WritePRD"});
  bus_.subscribe(&engineer, {"WriteTasks"});

  MessagePtr prd = publish(make_message("WritePRD", "Alice"));

  ASSERT_EQ(architect.received.size(), 1u);
  EXPECT_EQ(architect.received[0], prd);
  ASSERT_EQ(reviewer.received.size(), 1u);
  EXPECT_EQ(reviewer.received[0], prd);
  EXPECT_TRUE(engineer.received.empty());
  EXPECT_EQ(bus_.pending(), 2u);
}

TEST_F(MessageBusTest, DeliversToARoleNamedInSendToEvenWhenItDoesNotWatchTheAction) {
  FakeMailbox architect(io_, "Bob");
  FakeMailbox engineer(io_, "Alex");
  bus_.subscribe(&architect, {"WritePRD"});
  bus_.subscribe(&engineer, {"WriteTasks"});

  publish(make_message("WritePRD", "Alice", {"Alex"}));

  EXPECT_EQ(architect.received.size(), 1u);
  ASSERT_EQ(engineer.received.size(), 1u);
  EXPECT_EQ(engineer.received[0]->cause_by, "WritePRD");
}

TEST_F(MessageBusTest, IgnoresAnAddressThatNoRoleHas) {
  FakeMailbox architect(io_, "Bob");
  bus_.subscribe(&architect, {"WriteDesign"});
  std::vector<std::string> recipients{"not called"};
  bus_.set_observer([&](const MessagePtr&, const std::vector<std::string>& r) { recipients = r; });

  publish(make_message("WritePRD", "Alice", {"Nobody"}));

  EXPECT_TRUE(recipients.empty());
  EXPECT_TRUE(architect.received.empty());
  EXPECT_EQ(bus_.pending(), 0u);
  EXPECT_EQ(bus_.history().size(), 1u);
}

TEST_F(MessageBusTest, ASenderHearsItsOwnMessageWhenItWatchesTheActionOrNamesItselfNeverByTopic) {
  FakeMailbox ping(io_, "Ping");
  bus_.subscribe_topics(&ping, {"court"});

  Message on_topic = make_message("SayPing", "Ping");
  on_topic.topic = "court";
  publish(std::move(on_topic));
  EXPECT_TRUE(ping.received.empty());
  EXPECT_EQ(bus_.pending(), 0u);

  publish(make_message("SayPing", "Ping", {"Ping"}));
  ASSERT_EQ(ping.received.size(), 1u);
  EXPECT_EQ(ping.received[0]->send_to, std::vector<std::string>{"Ping"});

  // Watching an action it runs itself: a later phase of the same role follows an earlier one.
  bus_.subscribe(&ping, {"SayPing"});
  publish(make_message("SayPing", "Ping"));
  EXPECT_EQ(ping.received.size(), 2u);
  EXPECT_EQ(bus_.pending(), 2u);
}

TEST_F(MessageBusTest, DeliversAMessageThatIsBothWatchedAndAddressedOnlyOnce) {
  FakeMailbox architect(io_, "Bob");
  bus_.subscribe(&architect, {"WritePRD"});
  std::vector<std::string> recipients;
  bus_.set_observer([&](const MessagePtr&, const std::vector<std::string>& r) { recipients = r; });

  publish(make_message("WritePRD", "Alice", {"Bob", "Bob"}));

  EXPECT_EQ(architect.received.size(), 1u);
  EXPECT_EQ(recipients, std::vector<std::string>{"Bob"});
  EXPECT_EQ(bus_.pending(), 1u);
}

TEST_F(MessageBusTest, SubscribingToTheSameActionTwiceStillDeliversOnce) {
  FakeMailbox architect(io_, "Bob");
  bus_.subscribe(&architect, {"WritePRD", "WritePRD"});
  bus_.subscribe(&architect, {"WritePRD"});

  publish(make_message("WritePRD", "Alice"));

  EXPECT_EQ(architect.received.size(), 1u);
  EXPECT_EQ(bus_.pending(), 1u);
}

TEST_F(MessageBusTest, StampsSeqAndIdInPublicationOrderAndKeepsTheHistoryInThatOrder) {
  Message first = make_message("UserRequirement", "User", {}, "first");
  first.seq = 42;       // whatever the sender put there is replaced
  first.id = "forged";
  MessagePtr one = publish(std::move(first));
  MessagePtr two = publish(make_message("WritePRD", "Alice", {}, "second"));
  MessagePtr three = publish(make_message("WriteDesign", "Bob", {}, "third"));

  EXPECT_EQ(one->seq, 1u);
  EXPECT_EQ(one->id, "msg-1");
  EXPECT_EQ(two->seq, 2u);
  EXPECT_EQ(two->id, "msg-2");
  EXPECT_EQ(three->seq, 3u);
  EXPECT_EQ(three->id, "msg-3");

  const auto& history = bus_.history();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0], one);
  EXPECT_EQ(history[1], two);
  EXPECT_EQ(history[2], three);
  EXPECT_EQ(history[0]->content, "first");
  EXPECT_EQ(history[2]->content, "third");
}

TEST_F(MessageBusTest, StampsATimestampOnlyWhenTheMessageHasNone) {
  MessagePtr stamped = publish(make_message("WritePRD", "Alice"));
  EXPECT_FALSE(stamped->timestamp.empty());
  EXPECT_NE(stamped->timestamp.find('T'), std::string::npos) << stamped->timestamp;

  Message replayed = make_message("WritePRD", "Alice");
  replayed.timestamp = "2024-01-02T03:04:05.678Z";
  EXPECT_EQ(publish(std::move(replayed))->timestamp, "2024-01-02T03:04:05.678Z");
}

TEST_F(MessageBusTest, TellsTheObserverEachMessageWithItsRecipientsBeforeDelivery) {
  FakeMailbox architect(io_, "Bob");
  FakeMailbox reviewer(io_, "Rex");
  FakeMailbox engineer(io_, "Alex");
  bus_.subscribe(&architect, {"WritePRD"});
  bus_.subscribe(&reviewer, {"WritePRD"});
  bus_.subscribe(&engineer, {"WriteTasks"});

  struct Seen {
    MessagePtr message;
    std::vector<std::string> recipients;
    std::size_t delivered_before;
  };
  std::vector<Seen> seen;
  bus_.set_observer([&](const MessagePtr& m, const std::vector<std::string>& recipients) {
    seen.push_back({m, recipients, architect.received.size()});
  });

  MessagePtr prd = publish(make_message("WritePRD", "Alice", {"Alex"}));
  MessagePtr idea = publish(make_message("UserRequirement", "User"));

  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].message, prd);
  EXPECT_EQ(seen[0].recipients, (std::vector<std::string>{"Bob", "Rex", "Alex"}));
  EXPECT_EQ(seen[0].delivered_before, 0u);
  EXPECT_EQ(seen[1].message, idea);
  EXPECT_TRUE(seen[1].recipients.empty());
}

TEST_F(MessageBusTest, CountsEveryDeliveryAsPendingUntilItIsDone) {
  FakeMailbox architect(io_, "Bob");
  FakeMailbox reviewer(io_, "Rex");
  bus_.subscribe(&architect, {"WritePRD"});
  bus_.subscribe(&reviewer, {"WritePRD"});
  int idle_calls = 0;
  bus_.set_idle_callback([&] { ++idle_calls; });

  EXPECT_EQ(bus_.pending(), 0u);
  publish(make_message("WritePRD", "Alice"));
  EXPECT_EQ(bus_.pending(), 2u);
  publish(make_message("WritePRD", "Alice"));
  EXPECT_EQ(bus_.pending(), 4u);

  bus_.done(2);
  EXPECT_EQ(bus_.pending(), 2u);
  EXPECT_EQ(idle_calls, 0);
  bus_.done(1);
  EXPECT_EQ(idle_calls, 0);
  bus_.done(1);
  EXPECT_EQ(bus_.pending(), 0u);
  EXPECT_EQ(idle_calls, 1);
}

TEST_F(MessageBusTest, CallsTheIdleCallbackAgainEachTimeTheLastDeliveryIsDone) {
  FakeMailbox architect(io_, "Bob");
  bus_.subscribe(&architect, {"WritePRD"});
  int idle_calls = 0;
  bus_.set_idle_callback([&] { ++idle_calls; });

  publish(make_message("WritePRD", "Alice"));
  bus_.done(1);
  EXPECT_EQ(idle_calls, 1);

  // A role reacting publishes before it marks its own delivery done: no idle in between.
  publish(make_message("WritePRD", "Alice"));
  publish(make_message("WritePRD", "Alice"));
  bus_.done(1);
  EXPECT_EQ(idle_calls, 1);
  bus_.done(1);
  EXPECT_EQ(idle_calls, 2);
}

TEST_F(MessageBusTest, AFullMailboxMakesThePublisherWaitOnTheAwaitableDeliver) {
  FakeMailbox full(io_, "Bob", /*has_room=*/false);
  FakeMailbox roomy(io_, "Rex");
  bus_.subscribe(&full, {"WritePRD"});
  bus_.subscribe(&roomy, {"WritePRD"});

  bool published = false;
  asio::co_spawn(io_, bus_.publish(make_message("WritePRD", "Alice")), [&](std::exception_ptr e, MessagePtr) {
    EXPECT_FALSE(e);
    published = true;
  });
  io_.poll();

  // The publisher is suspended in full.deliver(); the message is already in the history
  // and both deliveries are counted as pending.
  EXPECT_FALSE(published);
  EXPECT_EQ(full.try_calls, 1);
  EXPECT_EQ(full.waiting_deliveries, 1);
  EXPECT_TRUE(full.received.empty());
  EXPECT_EQ(bus_.history().size(), 1u);
  EXPECT_EQ(bus_.pending(), 2u);

  full.make_room();
  io_.run();

  EXPECT_TRUE(published);
  ASSERT_EQ(full.received.size(), 1u);
  EXPECT_EQ(full.awaited_deliveries, 1);
  EXPECT_EQ(full.received[0], bus_.history()[0]);
  ASSERT_EQ(roomy.received.size(), 1u);
  EXPECT_EQ(roomy.waiting_deliveries, 0);
}

TEST_F(MessageBusTest, AMailboxWithRoomNeverGetsTheAwaitableDeliver) {
  FakeMailbox architect(io_, "Bob");
  bus_.subscribe(&architect, {"WritePRD"});

  for (int i = 0; i < 5; ++i) publish(make_message("WritePRD", "Alice"));

  EXPECT_EQ(architect.received.size(), 5u);
  EXPECT_EQ(architect.try_calls, 5);
  EXPECT_EQ(architect.waiting_deliveries, 0);
}


// A team spread over processes: what is published here goes to the forwarder too; what
// another process published comes in through accept(), reaching the subscribers here once,
// counted as pending, and going neither to the forwarder, the observer nor the history.
TEST_F(MessageBusTest, AMessageFromAnotherProcessReachesTheSubscribersHereAndIsNotForwardedBack) {
  FakeMailbox citizen(io_, "Citizen-3");
  FakeMailbox neighbour(io_, "Citizen-4");
  bus_.subscribe_topics(&citizen, {"town", "district-0"});
  bus_.subscribe_topics(&neighbour, {"district-0"});
  bus_.set_seq_base(2ULL << 40);
  std::vector<MessagePtr> forwarded;
  int observed = 0;
  bus_.set_forwarder([&](const MessagePtr& m) { forwarded.push_back(m); });
  bus_.set_observer([&](const MessagePtr&, const std::vector<std::string>&) { ++observed; });

  Message said = make_message("Discuss", "Citizen-3");
  said.topic = "district-0";
  MessagePtr mine = publish(std::move(said));
  EXPECT_EQ(mine->seq, (2ULL << 40) + 1);  // unique across the processes of the run
  EXPECT_EQ(mine->id, "msg-" + std::to_string((2ULL << 40) + 1));
  EXPECT_EQ(bus_.published(), 1u);
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(neighbour.received.size(), 1u);

  Message town = make_message("Announce", "Mayor");
  town.topic = "town";
  town.id = "msg-1";
  town.seq = 1;  // the coordinator's: it may equal a stamp used here before
  auto incoming = std::make_shared<const Message>(town);
  std::vector<std::string> names;
  asio::co_spawn(io_, bus_.accept(incoming), [&](std::exception_ptr, std::vector<std::string> n) { names = n; });
  io_.run();
  io_.restart();
  EXPECT_EQ(names, std::vector<std::string>{"Citizen-3"});
  ASSERT_EQ(citizen.received.size(), 1u);
  EXPECT_EQ(citizen.received[0], incoming);
  EXPECT_EQ(forwarded.size(), 1u);  // not sent back
  EXPECT_EQ(observed, 1);           // its origin traced it
  EXPECT_EQ(bus_.history().size(), 1u);
  EXPECT_EQ(bus_.pending(), 2u);  // the neighbour's delivery and this one
  EXPECT_EQ(bus_.delivered(), 2u);
}

}  // namespace
}  // namespace agentco
