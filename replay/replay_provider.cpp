#include "replay/replay_provider.hpp"

#include <fmt/format.h>

namespace agentco {

ReplayProvider::ReplayProvider(ReplayScript& script, std::shared_ptr<Provider> live)
    : script_(script), live_(std::move(live)) {}

std::string ReplayProvider::name() const { return live_ ? "replay+" + live_->name() : "replay"; }

boost::asio::awaitable<Result<ChatResult>> ReplayProvider::chat(const ChatRequest& request) {
  std::optional<Result<ChatResult>> recorded = co_await script_.answer_call(request);
  if (recorded) co_return std::move(*recorded);
  if (!live_) {
    std::string role = request.hints.value("role", "?");
    std::string action = request.hints.value("action", "?");
    co_return Result<ChatResult>(make_error(
        "replay", fmt::format("replay: the recording has no answer for a call of {}/{} (request {}); the run went "
                              "further than the recording — use `agentco resume` or `replay --fork-at` to continue live",
                              role, action, request_hash(request).substr(0, 12))));
  }
  script_.live_started();
  ++script_.counters().live_calls;
  Result<ChatResult> result = co_await live_->chat(request);
  script_.live_finished();
  co_return result;
}

ReplayProcessJournal::ReplayProcessJournal(ReplayScript& script, TraceWriter& trace,
                                           std::function<std::string()> project_root)
    : script_(script), recorder_(trace, project_root), project_root_(std::move(project_root)) {}

boost::asio::awaitable<std::optional<ProcessResult>> ReplayProcessJournal::recall(const ProcessSpec& spec) {
  nlohmann::json key = process_key(spec, project_root_());
  std::optional<ProcessResult> recorded = co_await script_.answer_process(key);
  if (!recorded) {
    script_.live_started();
    ++script_.counters().live_processes;
  }
  co_return recorded;
}

void ReplayProcessJournal::record(const ProcessSpec& spec, const ProcessResult& result, bool recalled) {
  recorder_.record(spec, result, recalled);
  if (!recalled) script_.live_finished();
}

}  // namespace agentco
