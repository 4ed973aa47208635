// What the offline mock does when a request offers tools (a tool_loop action): the work of a
// solo engineer, decided only from the conversation (its own earlier calls, by their ids, and
// the results the tools gave): list the folder; write main.py and test_main.py (main.py with
// a slip its tests reveal); run the tests; on a failure read main.py, fix the slip with
// edit_file and run the tests again; run the program; then answer with a report. Every step
// uses only the built-in tools the request offers; without write_file and run it answers at
// once, saying so. Deterministic.
#pragma once
#include <string>
#include <vector>

#include "llm/provider.hpp"

namespace agentco {

struct MockToolTurn {
  std::string text;             // the final answer, or a short note beside the calls
  std::vector<ToolCall> calls;  // empty: the final answer
};

MockToolTurn mock_tool_turn(const ChatRequest& request);

}  // namespace agentco
