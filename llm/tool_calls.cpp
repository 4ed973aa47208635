#include "llm/tool_calls.hpp"

namespace agentco {

void ToolCallAssembler::add(const ToolCallDelta& piece) {
  long index;
  if (piece.index) {
    index = *piece.index;
  } else {
    // No index: a piece with an id other than the last call's (or the first piece) begins a
    // call; any other piece continues the last one.
    const bool begins = last_ < 0 || (!piece.id.empty() && piece.id != calls_[last_].id);
    index = begins ? next_free_ : last_;
  }
  ToolCall& call = calls_[index];
  if (call.id.empty()) call.id = piece.id;
  // A name sent again whole is the same name; one sent in parts is joined.
  if (!piece.name.empty() && piece.name != call.name) call.name += piece.name;
  call.arguments += piece.arguments;
  last_ = index;
  if (index >= next_free_) next_free_ = index + 1;
}

std::vector<ToolCall> ToolCallAssembler::calls() const {
  std::vector<ToolCall> out;
  out.reserve(calls_.size());
  for (const auto& [index, call] : calls_) out.push_back(call);
  return out;
}

}  // namespace agentco
