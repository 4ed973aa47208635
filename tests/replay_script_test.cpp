// The replay script hands out recorded answers: each exactly once, to the request that
// matches it, in recorded order.
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "llm/provider.hpp"
#include "replay/recorded_run.hpp"
#include "replay/replay_script.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;

ChatRequest request_of(const std::string& prompt) {
  ChatRequest request;
  request.messages.push_back({"user", prompt});
  request.hints = {{"role", "Engineer"}, {"action", "WriteCode"}};
  return request;
}

RecordedRun run_with_answers(const std::vector<std::pair<ChatRequest, std::string>>& answers) {
  RecordedRun run;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    RecordedCall call;
    call.seq = 10 + 2 * i;
    call.call_id = static_cast<long>(i + 1);
    call.role = "Engineer";
    call.action = "WriteCode";
    call.request_hash = request_hash(answers[i].first);
    call.ok = true;
    call.result.text = answers[i].second;
    run.events.push_back({RecordedEvent::Kind::call, run.calls.size(), call.seq});
    run.calls.push_back(std::move(call));
  }
  return run;
}

// Two identical requests in flight at once (the same file asked twice in parallel) get the
// two recorded answers, one each, not the first answer twice.
TEST(ReplayScript, TwoIdenticalConcurrentRequestsClaimTwoRecordedAnswers) {
  // The recording answered another request first: both identical requests wait for their turn.
  const ChatRequest earlier = request_of("write the design");
  const ChatRequest request = request_of("write main.py");
  const RecordedRun run =
      run_with_answers({{earlier, "the design"}, {request, "first answer"}, {request, "second answer"}});
  ReplayScript script(run, ReplayOptions{});
  asio::io_context io;
  std::vector<std::string> got;
  // Named, so that the closure outlives the coroutines that refer to it.
  auto ask = [&](const ChatRequest& r) -> asio::awaitable<void> {
    auto answer = co_await script.answer_call(r);
    if (answer && *answer) got.push_back((*answer)->text);
  };
  asio::co_spawn(io, ask(request), asio::detached);
  asio::co_spawn(io, ask(request), asio::detached);
  asio::co_spawn(io, ask(earlier), asio::detached);
  io.run();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "the design");
  std::sort(got.begin() + 1, got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"the design", "first answer", "second answer"}));
  EXPECT_EQ(script.unused(), 0u);
  EXPECT_EQ(script.counters().calls_answered, 3);
}

TEST(ReplayScript, AThirdIdenticalRequestFindsNoAnswerLeft) {
  const ChatRequest request = request_of("write main.py");
  const RecordedRun run = run_with_answers({{request, "only answer"}});
  ReplayScript script(run, ReplayOptions{});
  asio::io_context io;
  int answered = 0, unanswered = 0;
  auto ask = [&]() -> asio::awaitable<void> {
    auto answer = co_await script.answer_call(request);
    if (answer) ++answered;
    else ++unanswered;
  };
  for (int i = 0; i < 2; ++i) asio::co_spawn(io, ask(), asio::detached);
  io.run();
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(unanswered, 1);
}

}  // namespace
}  // namespace agentco
