// Message: what roles say to each other. Immutable once published and shared by pointer
// between the history and every inbox it is routed to.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco {

inline constexpr const char* kUserRequirement = "UserRequirement";

struct Message {
  std::string id;               // "msg-<seq>", set by the bus
  std::uint64_t seq = 0;        // order of publication, set by the bus
  std::string content;          // human-readable text
  nlohmann::json payload;       // structured document (null when none)
  std::string role;             // the sender's profile, e.g. "Product Manager"
  std::string cause_by;         // the action that produced it, e.g. "WritePRD"
  std::string sent_from;        // the sender's address (role name); "User" for the idea
  std::vector<std::string> send_to;  // explicit addresses; routing also follows cause_by
  std::string topic;            // a topic its subscribers receive it on (empty: none)
  std::string timestamp;        // ISO 8601 UTC, set by the bus

  nlohmann::json to_json() const;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace agentco
