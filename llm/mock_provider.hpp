// The mock provider: offline and deterministic. It answers every request from the request
// itself (its hints: schema, file, choices) with valid content, so a whole SOP runs with
// no model. Every file it writes says in its first line that it came from the mock.
#pragma once
#include <chrono>

#include "llm/provider.hpp"

namespace agentco {

class MockProvider : public Provider {
 public:
  // `latency`: simulated time per call (0 for tests and overhead benches).
  explicit MockProvider(std::chrono::milliseconds latency = std::chrono::milliseconds(0))
      : latency_(latency) {}

  std::string name() const override { return "mock"; }
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override;

  // The reply text for a request (no latency, no usage); exposed for tests.
  static std::string reply_for(const ChatRequest& request);

 private:
  std::chrono::milliseconds latency_;
};

}  // namespace agentco
