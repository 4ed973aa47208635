// Role: an actor. One coroutine over a bounded inbox; it observes the messages it watches
// or that are addressed to it, reacts by running actions, and publishes what they produce.
//
// React modes: by_order runs the role's actions in sequence on every turn (an action with
// `on:` only when the turn's messages include one of those cause_by names); react asks the
// model to pick the next action from a numbered list until it answers -1 or the role has
// taken max_react_loop steps. Each turn counts against the run's --max-rounds. A by_order
// role none of whose actions answers the new messages only observes them (no turn).
//
// Memory: the inbox is a vector that grows on the first delivery and a timer the actor
// waits on (no channel buffer per role); observed messages are shared pointers, and with
// the SOP's `memory: N` only the last N stay. An idle role costs a few hundred bytes plus
// its coroutine frame, so a run can hold 100,000 of them (see bench/README.md).
// Single-threaded: lives on the run's io_context.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actions/action.hpp"
#include "environment/message_bus.hpp"
#include "sop/sop.hpp"

namespace agentco {

class RunContext;

class Role : public Mailbox {
 public:
  static constexpr std::size_t kInboxCapacity = 64;

  // `actions` are the role's actions, built from the SOP, in the SOP's order.
  Role(RoleSpec spec, RunContext& run, std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions);

  const std::string& address() const override { return spec_.name; }
  bool try_deliver(const MessagePtr& message) override;
  boost::asio::awaitable<void> deliver(MessagePtr message) override;

  // Subscribes to what the spec watches (cause_by names) and to its topics.
  void subscribe(MessageBus& bus);

  // The actor loop; returns after stop() once the current turn is over.
  boost::asio::awaitable<void> run();
  // Ends the loop after the messages already queued (an in-band stop; never drops work).
  void stop();

  // Makes another object of an action, so that fan-out branches run side by side.
  void set_action_factory(std::function<std::unique_ptr<Action>(const ActionSpec&)> make) { make_action_ = std::move(make); }

  const RoleSpec& spec() const { return spec_; }
  int turns() const { return turns_; }

 private:
  static bool answers(const ActionSpec& action, const std::vector<MessagePtr>& news);
  boost::asio::awaitable<void> react(const std::vector<MessagePtr>& news);
  boost::asio::awaitable<bool> run_action(std::size_t index, const std::vector<MessagePtr>& news);
  boost::asio::awaitable<bool> run_fan_out(std::size_t index, const std::vector<MessagePtr>& news);
  boost::asio::awaitable<void> publish(const ActionSpec& spec, ActionOutput out, nlohmann::json branch = nullptr);
  bool failed(const ActionSpec& spec, const Error& e, const nlohmann::json& branch = nullptr);
  // Holds back the branches of a fan-out this role reduces until all have come; false when
  // nothing is left for this turn.
  bool gather(std::vector<MessagePtr>& news);
  boost::asio::awaitable<long> choose_action(const std::vector<MessagePtr>& news, const std::vector<std::string>& done);

  void push(MessagePtr message);

  RoleSpec spec_;
  RunContext& run_;
  std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions_;
  std::vector<MessagePtr> inbox_;                   // bounded by kInboxCapacity
  boost::asio::steady_timer wake_;                  // the actor waits here while the inbox is empty
  std::unique_ptr<boost::asio::steady_timer> room_;  // senders wait here while it is full (made when needed)
  bool waiting_ = false;
  bool stop_queued_ = false;                        // in-band stop, after the queued messages
  std::vector<MessagePtr> memory_;
  std::vector<MessagePtr> joined_;                  // fan-in (spec.join): gathered so far
  std::set<std::string> reduces_;                   // the fan-out actions this role's actions reduce
  std::map<std::string, std::vector<MessagePtr>> gathering_;  // a fan-out's branches so far
  std::map<std::string, int> rounds_;               // a loop action's rounds so far
  std::function<std::unique_ptr<Action>(const ActionSpec&)> make_action_;
  int turns_ = 0;
};

}  // namespace agentco
