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
#include "core/text.hpp"
#include "environment/condition.hpp"

namespace agentco {
namespace asio = boost::asio;

Role::Role(RoleSpec spec, RunContext& run,
           std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions)
    : spec_(std::move(spec)),
      run_(run),
      actions_(std::move(actions)),
      wake_(run.executor, asio::steady_timer::time_point::max()) {
  for (const auto& [action, _] : actions_)
    if (!action->reduce.empty()) reduces_.insert(action->reduce);
}

void Role::subscribe(MessageBus& bus) {
  std::vector<std::string> plain;
  for (const auto& action : spec_.watch) {
    if (auto it = spec_.when.find(action); it != spec_.when.end()) bus.subscribe_when(this, action, &it->second);
    else plain.push_back(action);
  }
  bus.subscribe(this, plain);
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
  // A reduce answers its fan-out's gathered branches, and what its `on:` names besides.
  if (!action.reduce.empty() &&
      std::any_of(news.begin(), news.end(), [&](const MessagePtr& m) { return m->cause_by == action.reduce; }))
    return true;
  if (action.on.empty()) return action.reduce.empty();
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
    if (!gather(news)) {
      run_.bus.done(handled);
      continue;
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

bool Role::gather(std::vector<MessagePtr>& news) {
  if (reduces_.empty()) return true;
  std::vector<MessagePtr> kept;
  for (auto& m : news) {
    if (!m->branch.is_object() || !reduces_.count(m->cause_by)) {
      kept.push_back(std::move(m));
      continue;
    }
    const std::string key = m->cause_by + "/" + m->branch.value("fan_out", std::string());
    auto& group = gathering_[key];
    const int of = m->branch.value("of", 0);
    group.push_back(std::move(m));
    if (static_cast<int>(group.size()) < std::max(of, 1)) continue;
    std::sort(group.begin(), group.end(), [](const MessagePtr& a, const MessagePtr& b) {
      return a->branch.value("index", 0) < b->branch.value("index", 0);
    });
    kept.insert(kept.end(), group.begin(), group.end());
    gathering_.erase(key);
  }
  news.swap(kept);
  return !news.empty();
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

bool Role::failed(const ActionSpec& spec, const Error& e, const nlohmann::json& branch) {
  nlohmann::json end = {{"role", spec_.name}, {"action", spec.name}, {"ok", false}, {"code", e.code}, {"error", e.message}};
  if (!branch.is_null()) end["branch"] = branch;
  run_.trace.append("action_end", std::move(end));
  if (e.code == "budget") run_.request_stop("budget", e.message);
  else if (e.code == "interrupted") run_.request_stop("interrupted", e.message);
  else run_.request_stop("failed", fmt::format("{} ({}) could not finish {}: {}", spec_.name, spec_.profile, spec.name, e.message));
  return false;
}

asio::awaitable<void> Role::publish(const ActionSpec& spec, ActionOutput out, nlohmann::json branch) {
  Message message;
  message.content = std::move(out.content);
  message.payload = std::move(out.payload);
  message.role = spec_.profile;
  message.cause_by = spec.name;
  message.sent_from = spec_.name;
  message.send_to = std::move(out.send_to);
  message.topic = spec_.publish_topic;
  message.branch = std::move(branch);
  if (spec.max_rounds > 0) {  // a loop: count the round, say whether the loop ends here
    message.round = ++rounds_[spec.name];
    const bool until = spec.until && spec.until->holds(message);
    message.exit = until || message.round >= spec.max_rounds;
    if (message.exit)
      spdlog::info("{}: the {} loop ends after round {} ({})", spec_.name, spec.name, message.round,
                   until ? "until: " + spec.until->text() : fmt::format("its bound, max_rounds {}", spec.max_rounds));
    else
      spdlog::info("{}: {} round {} of at most {}", spec_.name, spec.name, message.round, spec.max_rounds);
  }
  co_await run_.bus.publish(std::move(message));
}

asio::awaitable<bool> Role::run_action(std::size_t index, const std::vector<MessagePtr>& news) {
  const ActionSpec& spec = *actions_[index].first;
  if (!spec.fan_out.empty()) co_return co_await run_fan_out(index, news);
  Action& action = *actions_[index].second;
  ActionContext ctx{run_, spec_, spec, news, memory_};
  run_.trace.append("action_start", {{"role", spec_.name}, {"action", spec.name},
                                     {"trigger", news.empty() ? "" : news.back()->id}});
  spdlog::info("{} ({}) runs {}", spec_.name, spec_.profile, spec.name);
  Result<ActionOutput> out = co_await action.run(ctx);
  if (!out) co_return failed(spec, out.error());
  run_.trace.append("action_end", {{"role", spec_.name}, {"action", spec.name}, {"ok", true}});
  if (!out->publish) co_return true;
  co_await publish(spec, std::move(*out));
  co_return true;
}

asio::awaitable<bool> Role::run_fan_out(std::size_t index, const std::vector<MessagePtr>& news) {
  const ActionSpec& spec = *actions_[index].first;
  // The list: the latest message of the turn that holds one at `fan_out`.
  MessagePtr trigger = news.empty() ? nullptr : news.back();
  std::vector<nlohmann::json> items;
  bool found = false;
  for (auto it = news.rbegin(); it != news.rend() && !found; ++it) {
    nlohmann::json value = message_field(**it, spec.fan_out);
    if (value.is_array()) {
      items.assign(value.begin(), value.end());
      found = true;
    } else if (value.is_string() && spec.fan_out == "content") {
      for (auto& line : split_lines(value.get<std::string>()))
        if (line.find_first_not_of(" \t\r") != std::string::npos) items.emplace_back(std::string(trim_view(line)));
      found = true;
    }
    if (found) trigger = *it;
  }
  if (!found)
    run_.warn(spec_.name, fmt::format("{}: no list at {} in the messages of this turn; no branch runs", spec.name, spec.fan_out));
  const std::size_t n = items.size();
  const std::string trigger_id = trigger ? trigger->id : "";
  run_.trace.append("fan_out", {{"role", spec_.name}, {"action", spec.name}, {"trigger", trigger_id},
                                {"branches", n}, {"max_parallel", spec.max_parallel}});
  spdlog::info("{} ({}) runs {} over {} item(s), {} at a time", spec_.name, spec_.profile, spec.name, n,
               std::min<std::size_t>(n, spec.max_parallel));
  if (n == 0) {  // nothing to do: one message says so, so that a reduce still completes
    ActionOutput none;
    none.content = "(no items at " + spec.fan_out + ")";
    none.payload = nlohmann::json::object({{"items", 0}});
    nlohmann::json where = {{"fan_out", trigger_id}, {"index", 0}, {"of", 0}};
    co_await publish(spec, std::move(none), std::move(where));
    co_return true;
  }

  // Each branch sees the trigger narrowed to its item, and runs on its own action object
  // (an action may keep state while it runs); without a factory they take turns on one.
  std::vector<MessagePtr> branch_news(n);
  for (std::size_t i = 0; i < n; ++i) {
    Message narrowed = trigger ? *trigger : Message{};
    narrowed.content = items[i].is_string() ? items[i].get<std::string>() : items[i].dump();
    narrowed.payload = items[i].is_object() ? items[i] : nlohmann::json::object({{"item", items[i]}});
    narrowed.branch = {{"fan_out", trigger_id}, {"index", i}, {"of", n}};
    branch_news[i] = std::make_shared<const Message>(std::move(narrowed));
  }
  std::vector<std::optional<ActionOutput>> outputs(n);
  std::optional<Error> failure;
  std::size_t next = 0, running = 0;
  asio::steady_timer all_done(wake_.get_executor(), asio::steady_timer::time_point::max());
  auto branch = [&](std::size_t i, Action& action) -> asio::awaitable<void> {
    std::vector<MessagePtr> one{branch_news[i]};
    ActionContext ctx{run_, spec_, spec, one, memory_};
    const nlohmann::json where = {{"index", i}, {"of", n}};
    run_.trace.append("action_start", {{"role", spec_.name}, {"action", spec.name}, {"trigger", trigger_id}, {"branch", where}});
    Result<ActionOutput> out = co_await action.run(ctx);
    if (!out) {
      if (!failure) failure = out.error();
      co_return;
    }
    run_.trace.append("action_end", {{"role", spec_.name}, {"action", spec.name}, {"ok", true}, {"branch", where}});
    outputs[i] = std::move(*out);
  };
  auto worker = [&]() -> asio::awaitable<void> {
    std::unique_ptr<Action> own = make_action_ ? make_action_(spec) : nullptr;
    Action& action = own ? *own : *actions_[index].second;
    while (next < n && !failure && !run_.stop.requested()) co_await branch(next++, action);
  };
  const std::size_t workers = make_action_ ? std::min<std::size_t>(n, spec.max_parallel) : 1;
  std::exception_ptr crashed;
  for (std::size_t w = 0; w < workers; ++w) {
    ++running;
    asio::co_spawn(wake_.get_executor(), worker(), [&](std::exception_ptr e) {
      if (e && !crashed) crashed = e;
      --running;
      all_done.cancel();
    });
  }
  while (running > 0) {
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    all_done.expires_at(asio::steady_timer::time_point::max());
  }
  if (crashed) std::rethrow_exception(crashed);
  if (failure) {
    nlohmann::json where = {{"of", n}};
    co_return failed(spec, *failure, where);
  }
  if (run_.stop.requested()) co_return false;
  for (std::size_t i = 0; i < n; ++i) {
    ActionOutput out = outputs[i] ? std::move(*outputs[i]) : ActionOutput{};
    if (!outputs[i] || !out.publish) out.content = "(nothing to say)";  // every branch is heard, so a reduce completes
    nlohmann::json where = {{"fan_out", trigger_id}, {"index", i}, {"of", n}};
    co_await publish(spec, std::move(out), std::move(where));
  }
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
