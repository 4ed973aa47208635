// Tool calls written into a reply's text, for servers and models without native function
// calling (a llama.cpp or vLLM server started without a tool parser, many local models).
// Such models write their calls in one of a few shapes:
//   <tool_call>{"name": "read_file", "arguments": {"path": "a.py"}}</tool_call>   Hermes, Qwen
//   a reply that is one JSON object {"name": ..., "arguments" | "parameters": {...}}   Llama 3.x
//   the same object in a ```json fence
// llm.tool_format chooses: "native" reads only the server's tool_calls; "text" sends no
// `tools` but describes them in the system message (the <tool_call> convention) and reads the
// calls from the text; "auto" (the default) sends `tools` and, when a reply has no tool_calls,
// looks for calls in its text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.hpp"

namespace agentco {

struct TextToolCalls {
  std::vector<ToolCall> calls;
  std::string text;  // the reply without the calls
};

// The calls written in `text`. A <tool_call> block is a call whatever tool it names (the
// caller tells the model about an unknown one); a bare or fenced JSON object only when it is
// the whole reply and names one of `tools`, so that a JSON answer is not taken for a call.
// Ids are "text_call_1", "text_call_2", ... in order. Nothing found: no calls, text unchanged.
// A block whose JSON does not parse is still a call, with its text as the arguments and the
// name read leniently, so that the model hears what was wrong with it.
TextToolCalls parse_text_tool_calls(std::string_view text, const std::vector<ToolSpec>& tools);

// The system-message section that describes `tools` and how to call them in text.
std::string text_tools_prompt(const std::vector<ToolSpec>& tools);

// `request` for a server that gets no `tools`: the tools described at the end of the system
// message (a system message is added when there is none), the assistant's earlier calls
// written as <tool_call> blocks, tool results sent as user messages in <tool_response> blocks.
ChatRequest as_text_tool_request(const ChatRequest& request);

}  // namespace agentco
