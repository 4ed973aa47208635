#include "roles/role.hpp"

#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "actions/ask.hpp"
#include "actions/run_context.hpp"

namespace agentco {
namespace asio = boost::asio;

Role::Role(RoleSpec spec, RunContext& run,
           std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions)
    : spec_(std::move(spec)),
      run_(run),
      actions_(std::move(actions)),
      wake_(run.executor, asio::steady_timer::time_point::max()) {}

void Role::subscribe(MessageBus& bus) {
  bus.subscribe(this, spec_.watch);
  if (!spec_.topics.empty()) bus.subscribe_topics(this, spec_.topics);
}

void Role::push(MessagePtr message) {
  inbox_.push_back(std::move(message));
  if (waiting_) {
    waiting_ = false;
    wake_.cancel();
  }
}

bool Role::try_deliver(const MessagePtr& message) {
  if (inbox_.size() >= kInboxCapacity) return false;
  push(message);
  return true;
}

asio::awaitable<void> Role::deliver(MessagePtr message) {
  while (inbox_.size() >= kInboxCapacity) {
    if (!room_) room_ = std::make_unique<asio::steady_timer>(wake_.get_executor(), asio::steady_timer::time_point::max());
    co_await room_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  push(std::move(message));
}

void Role::stop() {
  // In-band: the actor ends once the messages already queued are handled; nothing is dropped.
  stop_queued_ = true;
  if (waiting_) {
    waiting_ = false;
    wake_.cancel();
  }
}

bool Role::answers(const ActionSpec& action, const std::vector<MessagePtr>& news) {
  if (action.on.empty()) return true;
  for (const auto& m : news) {
    if (std::find(action.on.begin(), action.on.end(), m->cause_by) != action.on.end()) return true;
  }
  return false;
}

asio::awaitable<void> Role::run() {
  std::vector<MessagePtr> news;
  for (;;) {
    while (inbox_.empty() && !stop_queued_) {
      waiting_ = true;
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      waiting_ = false;
    }
    if (inbox_.empty()) co_return;  // stopped, nothing left
    news.clear();
    news.swap(inbox_);
    if (room_) room_->cancel();  // senders blocked on a full inbox may go on
    const std::size_t handled = news.size();
    if (spec_.join > 0) {
      // Fan-in: the turn waits until `join` messages have come; they are handled (for the
      // idle count) as they come, so a join that can never fill does not keep the run alive.
      joined_.insert(joined_.end(), news.begin(), news.end());
      if (joined_.size() < static_cast<std::size_t>(spec_.join)) {
        run_.bus.done(handled);
        continue;
      }
      news.swap(joined_);
      joined_.clear();
    }
    memory_.insert(memory_.end(), news.begin(), news.end());
    if (spec_.memory_limit > 0 && memory_.size() >= 2 * spec_.memory_limit) {
      memory_.erase(memory_.begin(), memory_.end() - static_cast<std::ptrdiff_t>(spec_.memory_limit));
    }

    bool acts = spec_.react_mode == ReactMode::kReact;
    for (std::size_t i = 0; !acts && i < actions_.size(); ++i) acts = answers(*actions_[i].first, news);
    bool within_own_bound = spec_.max_turns == 0 || turns_ < spec_.max_turns;
    if (acts && !run_.stop.requested() && within_own_bound && run_.take_turn()) {
      ++turns_;
      co_await react(news);
    }
    run_.bus.done(handled);
  }
}

asio::awaitable<void> Role::react(const std::vector<MessagePtr>& news) {
  if (spec_.react_mode == ReactMode::kByOrder) {
    for (std::size_t i = 0; i < actions_.size(); ++i) {
      if (run_.stop.requested()) co_return;
      if (!answers(*actions_[i].first, news)) continue;
      bool ok = co_await run_action(i, news);
      if (!ok) co_return;
    }
    co_return;
  }
  std::vector<std::string> done;
  for (int step = 0; step < spec_.max_react_loop; ++step) {
    if (run_.stop.requested()) co_return;
    long choice = co_await choose_action(news, done);
    if (choice < 0 || choice >= static_cast<long>(actions_.size())) co_return;
    bool ok = co_await run_action(static_cast<std::size_t>(choice), news);
    if (!ok) co_return;
    done.push_back(actions_[choice].first->name);
  }
}

asio::awaitable<bool> Role::run_action(std::size_t index, const std::vector<MessagePtr>& news) {
  const ActionSpec& spec = *actions_[index].first;
  Action& action = *actions_[index].second;
  ActionContext ctx{run_, spec_, spec, news, memory_};
  run_.trace.append("action_start", {{"role", spec_.name}, {"action", spec.name},
                                     {"trigger", news.empty() ? "" : news.back()->id}});
  spdlog::info("{} ({}) runs {}", spec_.name, spec_.profile, spec.name);
  Result<ActionOutput> out = co_await action.run(ctx);
  if (!out) {
    const Error& e = out.error();
    run_.trace.append("action_end", {{"role", spec_.name}, {"action", spec.name}, {"ok", false},
                                     {"code", e.code}, {"error", e.message}});
    if (e.code == "budget") run_.request_stop("budget", e.message);
    else if (e.code == "interrupted") run_.request_stop("interrupted", e.message);
    else run_.request_stop("failed", fmt::format("{} ({}) could not finish {}: {}", spec_.name, spec_.profile, spec.name, e.message));
    co_return false;
  }
  run_.trace.append("action_end", {{"role", spec_.name}, {"action", spec.name}, {"ok", true}});
  if (!out->publish) co_return true;
  Message message;
  message.content = std::move(out->content);
  message.payload = std::move(out->payload);
  message.role = spec_.profile;
  message.cause_by = spec.name;
  message.sent_from = spec_.name;
  message.send_to = std::move(out->send_to);
  message.topic = spec_.publish_topic;
  co_await run_.bus.publish(std::move(message));
  co_return true;
}

asio::awaitable<long> Role::choose_action(const std::vector<MessagePtr>& news, const std::vector<std::string>& done) {
  std::string list;
  nlohmann::json choices = nlohmann::json::array();
  for (std::size_t i = 0; i < actions_.size(); ++i) {
    list += fmt::format("{}. {}\n", i, actions_[i].first->name);
    choices.push_back(actions_[i].first->name);
  }
  std::string recent;
  for (const auto& m : news) recent += fmt::format("{} ({}): {}\n", m->sent_from, m->cause_by, m->content);
  std::string prompt = fmt::format(
      "## New messages\n{}\n## Actions already taken this turn\n{}\n## Choose\nWhich action should you take "
      "next? Answer with its number only, or -1 when nothing more is needed.\n{}",
      recent, done.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(done, ", ")), list);
  ActionSpec chooser;
  chooser.name = "ChooseAction";
  ActionContext ctx{run_, spec_, chooser, news, memory_};
  ChatRequest request = make_request(ctx, std::move(prompt), {{"kind", "choose"}, {"choices", choices}, {"done", done}});
  Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
  if (!reply) {
    if (reply.error().code == "budget" || reply.error().code == "interrupted") run_.request_stop(reply.error().code, reply.error().message);
    else run_.warn(spec_.name, "could not choose an action: " + reply.error().message);
    co_return -1;
  }
  std::string text = strip_think(reply->text);
  auto pos = text.find_first_of("-0123456789");
  long choice = -1;
  if (pos != std::string::npos) std::from_chars(text.data() + pos, text.data() + text.size(), choice);
  if (choice >= static_cast<long>(actions_.size())) {
    run_.warn(spec_.name, fmt::format("the model chose action {} of {}; ending the turn", choice, actions_.size()));
    co_return -1;
  }
  co_return choice;
}

}  // namespace agentco
