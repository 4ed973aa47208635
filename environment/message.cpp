#include "environment/message.hpp"

namespace agentco {

nlohmann::json Message::to_json() const {
  return {{"id", id},         {"msg_seq", seq},     {"content", content},
          {"payload", payload}, {"role", role},     {"cause_by", cause_by},
          {"sent_from", sent_from}, {"send_to", send_to}, {"timestamp", timestamp}};
}

}  // namespace agentco
