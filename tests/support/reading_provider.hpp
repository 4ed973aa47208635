// ReadingProvider: the reading model (tests/support/reading_model.hpp) behind the Provider
// seam, in process. Each call answers at once from the request's messages only (never its
// hints); usage is estimated as bytes/4 and marked estimated. Streams the whole reply as one
// delta when the request asks for deltas. Thread-safe: it keeps no state but a call count.
#pragma once
#include <atomic>
#include <cstddef>
#include <string>

#include "llm/provider.hpp"
#include "tests/support/reading_model.hpp"

namespace agentco::testing {

class ReadingProvider : public Provider {
 public:
  explicit ReadingProvider(ReadingOptions options = {}) : options_(options) {}

  std::string name() const override { return "reader"; }

  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override {
    ++calls_;
    ChatResult result;
    result.text = reading_reply(request.messages, options_);
    result.model = request.model.empty() ? "reading-model" : request.model;
    std::string prompt;
    for (const auto& message : request.messages) prompt += message.content;
    result.usage = {estimate_tokens(prompt), estimate_tokens(result.text), true};
    if (request.on_delta) request.on_delta(result.text);
    co_return result;
  }

  std::size_t calls() const { return calls_; }

 private:
  ReadingOptions options_;
  std::atomic<std::size_t> calls_{0};
};

}  // namespace agentco::testing
