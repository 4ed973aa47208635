// Tool calls put together from the pieces a streamed reply sends them in. OpenAI sends a
// call's id and name in its first piece and its arguments' text in many more, each piece
// saying by `index` which call it continues, calls of a parallel reply interleaved. Other
// servers send a whole call in one piece, repeat the id or name in every piece, or leave the
// index out; all of these come out as the same calls.
#pragma once
#include <map>
#include <vector>

#include "llm/provider.hpp"
#include "llm/sse_parser.hpp"

namespace agentco {

class ToolCallAssembler {
 public:
  void add(const ToolCallDelta& piece);
  // The calls in the order of their index (the order they were begun when no index came).
  std::vector<ToolCall> calls() const;
  bool empty() const { return calls_.empty(); }

 private:
  std::map<long, ToolCall> calls_;
  long last_ = -1;        // the index the last piece went to
  long next_free_ = 0;    // for pieces without an index that begin a call
};

}  // namespace agentco
