#include "environment/message_bus.hpp"

#include <algorithm>
#include <cassert>

#include "core/text.hpp"
#include "environment/condition.hpp"

namespace agentco {

void MessageBus::subscribe(Mailbox* mailbox, const std::vector<std::string>& watched_actions) {
  by_address_[mailbox->address()] = mailbox;
  for (const auto& action : watched_actions) {
    auto& list = by_action_[action];
    if (std::find(list.begin(), list.end(), mailbox) == list.end()) list.push_back(mailbox);
  }
}

void MessageBus::subscribe_when(Mailbox* mailbox, const std::string& action, const Condition* when) {
  by_address_[mailbox->address()] = mailbox;
  by_action_when_[action].emplace_back(mailbox, when);
}

void MessageBus::subscribe_topics(Mailbox* mailbox, const std::vector<std::string>& topics) {
  by_address_[mailbox->address()] = mailbox;
  for (const auto& topic : topics) {
    auto& list = by_topic_[topic];
    // Subscribers usually arrive in order, once each: checking the last one is enough.
    if (list.empty() || list.back() != mailbox) list.push_back(mailbox);
  }
}

std::vector<Mailbox*> MessageBus::route(const Message& message, Mailbox* sender) {
  // Every recipient is stamped with this routing's stamp, so a subscriber reached by
  // cause_by, topic and address still gets the message once.
  const std::uint64_t stamp = next_stamp_++;
  std::vector<Mailbox*> recipients;
  // A role that watches an action it runs itself hears its own messages of it (a phase
  // that follows its own earlier one); topics never echo to the sender.
  auto add_all = [&](const std::vector<Mailbox*>& list, Mailbox* excluded) {
    recipients.reserve(recipients.size() + list.size());
    for (Mailbox* m : list) {
      if (m == excluded || m->routed_seq == stamp) continue;
      m->routed_seq = stamp;
      recipients.push_back(m);
    }
  };
  if (auto it = by_action_.find(message.cause_by); it != by_action_.end()) add_all(it->second, nullptr);
  if (auto it = by_action_when_.find(message.cause_by); it != by_action_when_.end()) {
    for (const auto& [m, when] : it->second) {
      if (m->routed_seq == stamp || !when->holds(message)) continue;
      m->routed_seq = stamp;
      recipients.push_back(m);
    }
  }
  if (!message.topic.empty()) {
    if (auto it = by_topic_.find(message.topic); it != by_topic_.end()) add_all(it->second, sender);
  }
  for (const auto& address : message.send_to) {
    auto it = by_address_.find(address);
    if (it == by_address_.end() || it->second->routed_seq == stamp) continue;
    it->second->routed_seq = stamp;
    recipients.push_back(it->second);
  }
  return recipients;
}

boost::asio::awaitable<MessagePtr> MessageBus::publish(Message message) {
  message.seq = next_seq_++;
  message.id = "msg-" + std::to_string(message.seq);
  if (message.timestamp.empty()) message.timestamp = iso_timestamp_now();
  auto shared = std::make_shared<const Message>(std::move(message));
  if (history_limit_ > 0 && history_.size() >= history_limit_) history_.pop_front();
  history_.push_back(shared);

  // The sender is excluded by identity.
  Mailbox* sender = nullptr;
  if (auto it = by_address_.find(shared->sent_from); it != by_address_.end()) sender = it->second;
  std::vector<Mailbox*> recipients = route(*shared, sender);
  if (observer_) {
    std::vector<std::string> names;
    names.reserve(recipients.size());
    for (Mailbox* m : recipients) names.push_back(m->address());
    observer_(shared, names);
  }
  pending_ += recipients.size();
  delivered_ += recipients.size();
  if (forwarder_) forwarder_(shared);
  for (Mailbox* m : recipients) {
    if (!m->try_deliver(shared)) co_await m->deliver(shared);
  }
  co_return shared;
}

boost::asio::awaitable<std::vector<std::string>> MessageBus::accept(MessagePtr message) {
  std::vector<Mailbox*> recipients = route(*message, nullptr);
  std::vector<std::string> names;
  names.reserve(recipients.size());
  for (Mailbox* m : recipients) names.push_back(m->address());
  pending_ += recipients.size();
  delivered_ += recipients.size();
  for (Mailbox* m : recipients) {
    if (!m->try_deliver(message)) co_await m->deliver(message);
  }
  co_return names;
}

void MessageBus::done(std::size_t n) {
  assert(n <= pending_);
  pending_ -= n;
  if (pending_ == 0 && on_idle_) on_idle_();
}

}  // namespace agentco
