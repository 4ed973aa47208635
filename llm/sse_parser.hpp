// Server-sent events and the OpenAI chat-completion wire format, without any I/O.
//
// SseParser turns a byte stream cut into arbitrary pieces into events, following the
// WHATWG "event stream" rules: `\n`, `\r\n` and `\r` line endings (also split across
// pieces), comment lines starting with ':', fields without a colon, one optional space
// after the colon, multi-line `data:` joined with '\n', a blank line ending an event, and a
// leading UTF-8 byte-order mark ignored.
//
// interpret_chunk() reads one event of a streamed chat completion (`data: {...}` or
// `data: [DONE]`); interpret_completion() reads a whole non-streamed reply. Both return
// errors as values naming the event; they never throw.
//
// ReasoningSplitter separates `<think>…</think>` text, which some models put inside the
// content, from the answer, incrementally (a tag may be split across deltas).
//
// All types are plain values; not thread-safe, use each object from one thread.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentco {

struct SseEvent {
  std::string type = "message";  // the `event:` field
  std::string data;              // `data:` lines joined with '\n'
  std::string id;                // the last `id:` seen (sticky, as the spec says)
  long index = 0;                // 1 for the first event of the stream, 2 for the next ...
};

class SseParser {
 public:
  // Consumes `bytes` (any size, may end mid-line) and appends each completed event to
  // `out`. Returns the number of events appended.
  std::size_t feed(std::string_view bytes, std::vector<SseEvent>& out);
  std::vector<SseEvent> feed(std::string_view bytes) {
    std::vector<SseEvent> out;
    feed(bytes, out);
    return out;
  }
  // End of stream: an event whose blank line never came is delivered too when it has data
  // (servers that close right after `data: [DONE]` are common). Returns events appended.
  std::size_t finish(std::vector<SseEvent>& out);

  // Bytes received that have not completed a line yet.
  std::size_t pending_bytes() const { return line_.size(); }
  // The `retry:` field's last value in milliseconds, if a server sent one.
  std::optional<long> retry_ms() const { return retry_ms_; }

 private:
  void take_line(std::vector<SseEvent>& out, std::size_t& appended);
  void dispatch(std::vector<SseEvent>& out, std::size_t& appended);

  std::string line_;
  std::string data_;
  std::string type_;
  std::string last_id_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the last byte was '\r': a following '\n' ends nothing
  bool started_ = false;   // past the optional byte-order mark
  long events_ = 0;
  std::optional<long> retry_ms_;
};

// A piece of a tool call as a chunk carries it (choices[0].delta.tool_calls[i]): the first
// piece of a call usually has its id and name, the later ones more of its arguments' text.
// A whole reply's message.tool_calls read the same way, one piece per call.
struct ToolCallDelta {
  std::optional<long> index;  // which call the piece belongs to (absent on some servers)
  std::string id;
  std::string name;
  std::string arguments;  // text to append (an arguments object is sent as its JSON text)
};

// What one streamed chunk carries. Fields the chunk does not have stay empty.
struct ChunkDelta {
  bool done = false;          // `data: [DONE]`
  std::string content;        // choices[0].delta.content
  std::string reasoning;      // choices[0].delta.reasoning_content (or .reasoning)
  std::string finish_reason;  // choices[0].finish_reason, when not null
  std::vector<ToolCallDelta> tool_calls;  // choices[0].delta.tool_calls (or the legacy function_call)
  std::string model;
  bool has_usage = false;  // the chunk had a non-null `usage` object
  long prompt_tokens = 0;
  long completion_tokens = 0;
  long cached_tokens = 0;  // prompt tokens served from the server's prompt cache
  // Bytes of the event that were not UTF-8, replaced by U+FFFD so that it could be read
  // (core/utf8.hpp); the caller says so.
  std::size_t repaired_utf8_bytes = 0;
};

// A `usage` object's token counts as a server sent them (absent ones empty), before they are
// settled into a ChunkDelta by settle_usage(). Both readers fill one.
struct ReportedUsage {
  std::optional<long> prompt_tokens, completion_tokens;
  std::optional<long> cached_tokens;             // OpenAI: prompt_tokens_details.cached_tokens
  std::optional<long> cache_hit, cache_miss;     // DeepSeek: prompt_cache_hit_tokens, _miss_tokens
};

// Into `out`: prompt tokens as reported, else DeepSeek's hit + miss; cached tokens from
// OpenAI's field, else DeepSeek's hits, at most the prompt tokens. Negative counts read as 0.
void settle_usage(const ReportedUsage& reported, ChunkDelta& out);

// A token count from a JSON number a server sent: negative, NaN and absurd values are clamped
// (to 0 and 10^12), so that no conversion is undefined.
long token_count(double value);

// One event of a streamed chat completion. Errors (code "llm"): JSON that does not parse,
// JSON that is not an object, an `{"error": {...}}` event from the server. The message
// names the event index and shows the start of its data.
Result<ChunkDelta> interpret_chunk(const SseEvent& event);

// A whole (non-streamed) chat completion body. Errors as above, plus a reply without
// `choices`. The reply's parts are returned as one ChunkDelta (done = true).
Result<ChunkDelta> interpret_completion(std::string_view body);

// Splits `<think>…</think>` (also `<thinking>`) out of content that arrives in pieces.
// Text before an opening tag and after a closing tag is the answer; an opening tag is only
// recognised at the start of the answer (after whitespace), so a model that talks about
// the tag later is left alone. An unclosed block at the end counts as reasoning.
class ReasoningSplitter {
 public:
  struct Parts {
    std::string answer;
    std::string reasoning;
  };
  // The answer and reasoning text that became certain with this piece.
  Parts feed(std::string_view piece);
  // Flushes what was held back waiting for a possible tag.
  Parts finish();

 private:
  enum class State { start, thinking, answer };
  void run(Parts& out, bool at_end);

  State state_ = State::start;
  std::string held_;
  std::string close_tag_;
  bool skip_space_ = false;  // drop whitespace before the answer that follows a block
};

// A short, printable excerpt of `text` for error messages (at most `limit` bytes).
std::string excerpt(std::string_view text, std::size_t limit = 120);

}  // namespace agentco
