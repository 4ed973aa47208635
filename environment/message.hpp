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
  // Loops (an action with until:/max_rounds:): this is its action's round-th message of the
  // run, and `exit` says its loop has ended. 0 / false for other actions.
  int round = 0;
  bool exit = false;
  // Fan-out: {"fan_out": trigger id, "index": i, "of": n} for one branch's message; null else.
  nlohmann::json branch;

  nlohmann::json to_json() const;
  // The inverse of to_json (a message from another process of the run); a field of the wrong
  // type throws nlohmann::json::exception.
  static Message from_json(const nlohmann::json& j);
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace agentco
