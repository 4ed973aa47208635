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

Message Message::from_json(const nlohmann::json& j) {
  Message m;
  m.id = j.value("id", "");
  m.seq = j.value("msg_seq", std::uint64_t{0});
  m.content = j.value("content", "");
  if (auto it = j.find("payload"); it != j.end()) m.payload = *it;
  m.role = j.value("role", "");
  m.cause_by = j.value("cause_by", "");
  m.sent_from = j.value("sent_from", "");
  m.send_to = j.value("send_to", std::vector<std::string>{});
  m.topic = j.value("topic", "");
  m.timestamp = j.value("timestamp", "");
  m.round = j.value("round", 0);
  m.exit = j.value("exit", false);
  if (auto it = j.find("branch"); it != j.end()) m.branch = *it;
  return m;
}

}  // namespace agentco
