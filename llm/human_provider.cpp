#include "llm/human_provider.hpp"

#include <chrono>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/utf8.hpp"

namespace agentco {
namespace {

// Reads lines until "." alone or end of input; an empty first line means "accept".
std::string read_answer(std::FILE* in, bool& accepted) {
  std::string answer;
  char buffer[4096];
  bool first = true;
  accepted = false;
  while (std::fgets(buffer, sizeof buffer, in)) {
    std::string line(buffer);
    if (first && (line == "\n" || line == "\r\n")) {
      accepted = true;
      return "";
    }
    first = false;
    if (line == ".\n" || line == ".\r\n" || line == ".") break;
    answer += line;
  }
  if (first) accepted = true;  // end of input before anything: take the draft
  return answer;
}

// What the reading thread hands back.
struct PendingAnswer {
  std::mutex mutex;
  bool ready = false;
  std::string answer;
  bool accepted = false;
};

}  // namespace

HumanProvider::HumanProvider(std::shared_ptr<Provider> model, std::set<std::string> roles, bool review_by_human,
                             std::FILE* input, std::FILE* output)
    : model_(std::move(model)), roles_(std::move(roles)), review_by_human_(review_by_human), input_(input),
      output_(output) {}

bool HumanProvider::is_human_call(const ChatRequest& request) const {
  const auto& h = request.hints;
  if (h.value("kind", "") == "ask_human") return true;  // a role's question (the ask_human tool)
  if (review_by_human_ && h.value("kind", "") == "review") return true;
  return roles_.count(h.value("role", "")) || roles_.count(h.value("profile", ""));
}

boost::asio::awaitable<Result<ChatResult>> HumanProvider::chat(const ChatRequest& request) {
  if (!is_human_call(request)) co_return co_await model_->chat(request);

  // A role's question has no draft: the model asked it because it does not know.
  const bool question = request.hints.value("kind", "") == "ask_human";
  Result<ChatResult> draft = make_error("human", "a question has no draft");
  if (!question) draft = co_await model_->chat(request);
  std::string prompt = request.messages.empty() ? "" : request.messages.back().content;
  const std::string who = request.hints.value("role", std::string("?")) + " (" +
                          request.hints.value("profile", std::string("?")) + ")";
  std::string shown = question ? "\n==== " + who + " asks you, during " +
                                     request.hints.value("action", std::string("?")) + " ====\n" + prompt + "\n"
                               : "\n==== " + who + " is asked, for " +
                                     request.hints.value("action", std::string("?")) + " ====\n" + prompt + "\n";
  if (question) {
    shown += "---- type your answer and end it with a line '.' (Enter alone: no answer) ----\n";
  } else if (draft) {
    shown += "---- the model's draft ----\n" + draft->text + "\n";
    shown += "---- press Enter to accept the draft, or type your answer and end it with a line '.' ----\n";
  } else {
    shown += "---- (no draft: " + draft.error().message + ") type your answer and end it with a line '.' ----\n";
  }

  // The terminal read blocks: it runs on a helper thread; the run goes on meanwhile. Calls
  // that arrive together (parallel reviews) take turns: each question is shown and answered
  // whole before the next is shown. The thread shares nothing with the run but `pending` and
  // the terminal: when the run is stopped (Ctrl-C) and this coroutine is destroyed unanswered,
  // the thread, detached, finishes on its own whenever the terminal gives it a line.
  auto pending = std::make_shared<PendingAnswer>();
  auto started = std::chrono::steady_clock::now();
  std::thread([pending, terminal = terminal_, in = input_, out = output_, shown = std::move(shown)] {
    std::lock_guard<std::mutex> turn(*terminal);
    std::fputs(shown.c_str(), out);
    std::fflush(out);
    bool accepted = false;
    std::string answer = read_answer(in, accepted);
    std::lock_guard<std::mutex> lock(pending->mutex);
    pending->answer = std::move(answer);
    pending->accepted = accepted;
    pending->ready = true;
  }).detach();
  // A person answers in seconds: looking every 50 ms costs nothing and needs no hand-off
  // through the io_context, which may be gone by the time the answer comes.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::string answer;
  bool accepted = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(pending->mutex);
      if (pending->ready) {
        answer = std::move(pending->answer);
        accepted = pending->accepted;
        break;
      }
    }
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }

  // The terminal may send Latin-1 or a character cut in two: the answer goes into JSON.
  if (Utf8Repair repair = repair_utf8(answer); repair.replaced > 0) {
    spdlog::warn("the answer typed for {}: {}", request.hints.value("role", std::string("?")),
                 describe_utf8_repair(repair));
    answer = std::move(repair.text);
  }
  ChatResult result;
  if (accepted && draft) {
    result = *draft;
  } else {
    result.text = answer;
    result.model = "human";
    result.usage.prompt_tokens = 0;
    result.usage.completion_tokens = 0;
  }
  result.latency_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.reasoning = accepted ? "human accepted the model's draft" : "human answer";
  co_return result;
}

}  // namespace agentco
