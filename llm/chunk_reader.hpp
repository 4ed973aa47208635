// The fast path for one streamed chat-completion chunk: a SAX reader that picks out only
// what a ChunkDelta holds (model, usage with its cached prompt tokens, choices[0].delta
// content and reasoning, finish_reason) without building a JSON tree. A typical chunk then
// costs no allocation beyond the parser's own buffer, where the tree cost ~30 allocations
// and ~1.3 KB (bench/client-bench counts them per streamed token).
//
// It reads only the common, well-formed shape. Anything else — invalid JSON, a root that is
// not an object, an `error` member, several choices, content given as a list of parts, a
// member of an unexpected type, tool calls — makes it give up (nullopt), and the caller reads the chunk
// the thorough way, which also words the errors.
#pragma once
#include <optional>
#include <string_view>

#include "llm/sse_parser.hpp"

namespace agentco {

std::optional<ChunkDelta> read_common_chunk(std::string_view json);

}  // namespace agentco
