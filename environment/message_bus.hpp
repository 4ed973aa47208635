// MessageBus: routes each published message to every subscriber that watches its cause_by
// (when the condition of a conditional edge, if any, holds for it),
// is subscribed to its topic or is named in its send_to, keeps the ordered history, and
// knows when the run is idle.
//
// Routing is by index (cause_by -> subscribers, topic -> subscribers, name -> subscriber),
// so publishing costs O(recipients), not O(roles); a subscriber reached several ways gets
// the message once. A sender receives its own message only when it watches the action
// that caused it or names itself in send_to (never by topic). One immutable Message is shared by the history and every inbox.
//
// History: every message by default; with set_history_limit(n) only the last n stay in
// memory (the trace holds them all), so long simulations do not grow without bound.
//
// Idle: every delivery counts as pending work until the recipient calls done(n) for it
// after reacting (including what it published while reacting). When the count falls to
// zero the idle callback runs. Single-threaded: all calls come from the run's io_context.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "environment/message.hpp"

namespace agentco {

class Condition;

class Mailbox {
 public:
  // The bus's stamp of the last message routed here (to deliver each message once).
  std::uint64_t routed_seq = 0;

  virtual ~Mailbox() = default;
  virtual const std::string& address() const = 0;
  // Takes the message without waiting when the inbox has room.
  virtual bool try_deliver(const MessagePtr& message) = 0;
  // Waits for room in a full inbox (back-pressure on the sender).
  virtual boost::asio::awaitable<void> deliver(MessagePtr message) = 0;
};

class MessageBus {
 public:
  using Observer = std::function<void(const MessagePtr&, const std::vector<std::string>& recipients)>;

  void subscribe(Mailbox* mailbox, const std::vector<std::string>& watched_actions);
  // A conditional edge: `mailbox` receives messages caused by `action` for which `when`
  // holds (`when` must outlive the bus).
  void subscribe_when(Mailbox* mailbox, const std::string& action, const Condition* when);
  // Adds `mailbox` to the subscribers of each topic.
  void subscribe_topics(Mailbox* mailbox, const std::vector<std::string>& topics);

  // Stamps id/seq/timestamp, appends to history, tells the observer, delivers (waiting
  // only while a recipient's bounded inbox is full). Returns the published message.
  boost::asio::awaitable<MessagePtr> publish(Message message);

  // A team spread over processes (cluster/): a message published here is also handed to the
  // forwarder, after its local delivery started; a message published by another process
  // comes in through accept(), which delivers it to the subscribers here (counted as pending
  // like any delivery) without history, observer or forwarder, and returns their names.
  void set_forwarder(std::function<void(const MessagePtr&)> forwarder) { forwarder_ = std::move(forwarder); }
  boost::asio::awaitable<std::vector<std::string>> accept(MessagePtr message);
  // Seqs of this process's messages start after `base` (unique across the processes).
  void set_seq_base(std::uint64_t base) { next_seq_ = base + 1; seq_base_ = base; }

  // Marks n deliveries to a subscriber as handled.
  void done(std::size_t n);

  std::size_t pending() const { return pending_; }
  // The last history_limit() messages (all by default), oldest first.
  const std::deque<MessagePtr>& history() const { return history_; }
  // Messages published so far (also those no longer held in history()).
  std::uint64_t published() const { return next_seq_ - 1 - seq_base_; }
  // Deliveries made so far (one message to one recipient).
  std::uint64_t delivered() const { return delivered_; }
  // 0: keep everything.
  void set_history_limit(std::size_t limit) { history_limit_ = limit; }
  std::size_t history_limit() const { return history_limit_; }

  void set_observer(Observer observer) { observer_ = std::move(observer); }
  void set_idle_callback(std::function<void()> on_idle) { on_idle_ = std::move(on_idle); }

 private:
  std::unordered_map<std::string, std::vector<Mailbox*>> by_action_;
  std::unordered_map<std::string, std::vector<std::pair<Mailbox*, const Condition*>>> by_action_when_;
  std::unordered_map<std::string, std::vector<Mailbox*>> by_topic_;
  std::unordered_map<std::string, Mailbox*> by_address_;
  std::deque<MessagePtr> history_;
  std::size_t history_limit_ = 0;
  std::uint64_t next_seq_ = 1, seq_base_ = 0;
  std::uint64_t next_stamp_ = 1;  // one per routing, for Mailbox::routed_seq
  std::uint64_t delivered_ = 0;
  std::size_t pending_ = 0;
  Observer observer_;
  std::function<void(const MessagePtr&)> forwarder_;
  // The local subscribers of `message` (each once); `sender` is left out of its topic.
  std::vector<Mailbox*> route(const Message& message, Mailbox* sender);
  std::function<void()> on_idle_;
};

}  // namespace agentco
