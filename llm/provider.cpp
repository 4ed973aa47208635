#include "llm/provider.hpp"

#include "core/hash.hpp"

namespace agentco {

nlohmann::json request_to_json(const ChatRequest& request) {
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  return {{"model", request.model},
          {"messages", std::move(messages)},
          {"temperature", request.temperature},
          {"max_tokens", request.max_tokens}};
}

std::string request_hash(const ChatRequest& request) {
  return sha256_hex(request_to_json(request).dump());
}

}  // namespace agentco
