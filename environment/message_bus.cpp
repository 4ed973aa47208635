#include "environment/message_bus.hpp"

#include <algorithm>
#include <cassert>

#include "core/text.hpp"

namespace agentco {

void MessageBus::subscribe(Mailbox* mailbox, const std::vector<std::string>& watched_actions) {
  by_address_[mailbox->address()] = mailbox;
  for (const auto& action : watched_actions) {
    auto& list = by_action_[action];
    if (std::find(list.begin(), list.end(), mailbox) == list.end()) list.push_back(mailbox);
  }
}

boost::asio::awaitable<MessagePtr> MessageBus::publish(Message message) {
  message.seq = next_seq_++;
  message.id = "msg-" + std::to_string(message.seq);
  if (message.timestamp.empty()) message.timestamp = iso_timestamp_now();
  auto shared = std::make_shared<const Message>(std::move(message));
  history_.push_back(shared);

  std::vector<Mailbox*> recipients;
  if (auto it = by_action_.find(shared->cause_by); it != by_action_.end()) {
    for (Mailbox* m : it->second) {
      if (m->address() != shared->sent_from) recipients.push_back(m);
    }
  }
  for (const auto& address : shared->send_to) {
    auto it = by_address_.find(address);
    if (it == by_address_.end()) continue;
    if (std::find(recipients.begin(), recipients.end(), it->second) == recipients.end()) {
      recipients.push_back(it->second);
    }
  }
  if (observer_) {
    std::vector<std::string> names;
    names.reserve(recipients.size());
    for (Mailbox* m : recipients) names.push_back(m->address());
    observer_(shared, names);
  }
  pending_ += recipients.size();
  for (Mailbox* m : recipients) {
    if (!m->try_deliver(shared)) co_await m->deliver(shared);
  }
  co_return shared;
}

void MessageBus::done(std::size_t n) {
  assert(n <= pending_);
  pending_ -= n;
  if (pending_ == 0 && on_idle_) on_idle_();
}

}  // namespace agentco
