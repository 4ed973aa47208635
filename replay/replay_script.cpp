#include "replay/replay_script.hpp"

#include <chrono>
#include <csignal>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace agentco {
namespace asio = boost::asio;

namespace {

constexpr auto kDivergedAfter = std::chrono::seconds(1);

// A process the recorded run's stop killed tells nothing about the program.
bool killed_by_stop(const ProcessResult& r) {
  return r.signal == SIGKILL && !r.timed_out && !r.too_many_processes;
}

}  // namespace

ReplayScript::ReplayScript(const RecordedRun& run, ReplayOptions options) : run_(run), options_(options) {
  for (const auto& event : run.events) {
    if (event.seq > options_.upto_seq) break;
    if (!options_.reuse_failures) {
      if (event.kind == RecordedEvent::Kind::call && !run.calls[event.index].ok) continue;
      if (event.kind == RecordedEvent::Kind::process && killed_by_stop(run.processes[event.index].result)) continue;
    }
    entries_.push_back({event});
  }
}

std::size_t ReplayScript::unused() const {
  std::size_t n = 0;
  for (const auto& e : entries_) n += e.used ? 0 : 1;
  return n;
}

void ReplayScript::live_finished() {
  --live_in_flight_;
  ++progress_;
  for (auto* t : waiters_) t->cancel();
}

void ReplayScript::mark_used(std::size_t index) {
  entries_[index].used = true;
  while (first_unused_ < entries_.size() && entries_[first_unused_].used) ++first_unused_;
  ++progress_;
  for (auto* t : waiters_) t->cancel();
}

asio::awaitable<void> ReplayScript::wait_turn(std::size_t index) {
  auto executor = co_await asio::this_coro::executor;
  auto idle_since = std::chrono::steady_clock::now();
  long seen = progress_;
  while (first_unused_ < index) {
    if (progress_ != seen || live_in_flight_ > 0) {
      seen = progress_;
      idle_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - idle_since >= kDivergedAfter) {
      std::size_t skipped = 0;
      for (std::size_t i = first_unused_; i < index; ++i) {
        if (!entries_[i].used && !entries_[i].claimed) {  // a claimed one is about to be used
          entries_[i].used = true;
          ++skipped;
        }
      }
      counters_.skipped += static_cast<long>(skipped);
      std::string text = fmt::format(
          "replay: the run no longer follows the recording; {} recorded event(s) before seq {} were never asked "
          "for and are skipped",
          skipped, entries_[index].event.seq);
      spdlog::warn("{}", text);
      warnings_.push_back(std::move(text));
      while (first_unused_ < entries_.size() && entries_[first_unused_].used) ++first_unused_;
      break;
    }
    asio::steady_timer timer(executor, std::chrono::milliseconds(50));
    auto it = waiters_.insert(waiters_.end(), &timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiters_.erase(it);
  }
}

asio::awaitable<std::optional<Result<ChatResult>>> ReplayScript::answer_call(const ChatRequest& request) {
  const std::string hash = request_hash(request);
  const std::string role = request.hints.value("role", "");
  const std::string action = request.hints.value("action", "");
  std::optional<std::size_t> found;
  bool by_order = false;
  for (std::size_t i = first_unused_; i < entries_.size() && !found; ++i) {
    const auto& e = entries_[i];
    if (!e.used && !e.claimed && e.event.kind == RecordedEvent::Kind::call &&
        run_.calls[e.event.index].request_hash == hash) {
      found = i;
    }
  }
  if (!found && options_.match_by_order) {
    for (std::size_t i = first_unused_; i < entries_.size() && !found; ++i) {
      const auto& e = entries_[i];
      if (e.used || e.claimed || e.event.kind != RecordedEvent::Kind::call) continue;
      const RecordedCall& call = run_.calls[e.event.index];
      if (call.role == role && call.action == action) found = i;
    }
    if (found && options_.strict) {
      const RecordedCall& call = run_.calls[entries_[*found].event.index];
      co_return Result<ChatResult>(make_error(
          "replay", fmt::format("replay --strict: the request of {}/{} differs from the recorded one (call {} at seq "
                                "{}: recorded hash {}, now {}); a prompt template or the code changed since the run",
                                role, action, call.call_id, call.seq, call.request_hash.substr(0, 12),
                                hash.substr(0, 12))));
    }
    if (found) {
      by_order = true;
      const RecordedCall& call = run_.calls[entries_[*found].event.index];
      std::string text = fmt::format(
          "replay: the request of {}/{} differs from the recording (a template or the code changed); using recorded "
          "call {} (seq {}) by role, action and order",
          role, action, call.call_id, call.seq);
      spdlog::warn("{}", text);
      warnings_.push_back(std::move(text));
    }
  }
  if (!found) co_return std::nullopt;
  entries_[*found].claimed = true;
  co_await wait_turn(*found);
  mark_used(*found);
  ++counters_.calls_answered;
  if (by_order) ++counters_.calls_by_order;
  const RecordedCall& call = run_.calls[entries_[*found].event.index];
  if (call.ok) co_return Result<ChatResult>(call.result);
  co_return Result<ChatResult>(call.error);
}

asio::awaitable<std::optional<ProcessResult>> ReplayScript::answer_process(const nlohmann::json& key) {
  std::optional<std::size_t> found;
  for (std::size_t i = first_unused_; i < entries_.size() && !found; ++i) {
    const auto& e = entries_[i];
    if (!e.used && !e.claimed && e.event.kind == RecordedEvent::Kind::process &&
        run_.processes[e.event.index].key == key) {
      found = i;
    }
  }
  if (!found) co_return std::nullopt;
  entries_[*found].claimed = true;
  co_await wait_turn(*found);
  mark_used(*found);
  ++counters_.processes_answered;
  co_return run_.processes[entries_[*found].event.index].result;
}

}  // namespace agentco
