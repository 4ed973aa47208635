#include "environment/message.hpp"

namespace agentco {

nlohmann::json Message::to_json() const {
  nlohmann::json out = {{"id", id},         {"msg_seq", seq},     {"content", content},
          {"payload", payload}, {"role", role},     {"cause_by", cause_by},
          {"sent_from", sent_from}, {"send_to", send_to}, {"timestamp", timestamp}};
  if (!topic.empty()) out["topic"] = topic;
  if (round > 0) {
    out["round"] = round;
    out["exit"] = exit;
  }
  if (!branch.is_null()) out["branch"] = branch;
  return out;
}

}  // namespace agentco
