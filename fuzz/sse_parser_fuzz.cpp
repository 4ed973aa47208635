// Fuzz target: a model server's streamed reply (text/event-stream bytes) through SseParser,
// each event through interpret_chunk, the whole body through interpret_completion, and the
// content through ReasoningSplitter, as the OpenAI provider reads a stream.
//
// The first input byte chooses how the stream is cut into network reads; the events and
// the split text must not depend on the cuts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "llm/sse_parser.hpp"

namespace {

using agentco::SseEvent;

// The stream cut into pieces of 1..16 bytes, the sizes cycling from `pattern`.
std::vector<std::string_view> cut(std::string_view text, std::uint8_t pattern) {
  std::vector<std::string_view> pieces;
  std::size_t i = 0;
  while (!text.empty()) {
    std::size_t n = 1 + ((pattern >> (i++ % 4 * 2)) & 3) * 5;  // 1, 6, 11 or 16
    pieces.push_back(text.substr(0, n));
    text.remove_prefix(std::min(n, text.size()));
  }
  return pieces;
}

std::vector<SseEvent> parse(const std::vector<std::string_view>& pieces) {
  agentco::SseParser parser;
  std::vector<SseEvent> events;
  for (auto piece : pieces) parser.feed(piece, events);
  parser.finish(events);
  return events;
}

agentco::ReasoningSplitter::Parts split(const std::vector<std::string_view>& pieces) {
  agentco::ReasoningSplitter splitter;
  agentco::ReasoningSplitter::Parts all;
  for (auto piece : pieces) {
    auto parts = splitter.feed(piece);
    all.answer += parts.answer;
    all.reasoning += parts.reasoning;
  }
  auto rest = splitter.finish();
  all.answer += rest.answer;
  all.reasoning += rest.reasoning;
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  if (size == 0) return 0;
  const std::uint8_t pattern = data[0];
  const std::string_view stream = fuzz::as_text(data + 1, size - 1);

  const std::vector<SseEvent> whole = parse({stream});
  const std::vector<SseEvent> pieces = parse(cut(stream, pattern));
  if (whole.size() != pieces.size()) fuzz::fail("the number of events depends on how the stream was cut");
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (whole[i].data != pieces[i].data || whole[i].type != pieces[i].type || whole[i].id != pieces[i].id ||
        whole[i].index != pieces[i].index)
      fuzz::fail("event " + std::to_string(i + 1) + " depends on how the stream was cut");
  }

  ReasoningSplitter::Parts content;
  std::vector<std::string_view> deltas;
  std::vector<std::string> texts;
  for (const auto& event : whole) {
    Result<ChunkDelta> delta = interpret_chunk(event);
    if (!delta) {
      if (delta.error().message.empty()) fuzz::fail("a refused event without a message");
      continue;
    }
    texts.push_back(delta->content);
  }
  for (const auto& t : texts) deltas.push_back(t);
  const auto by_delta = split(deltas);
  std::string joined;
  for (const auto& t : texts) joined += t;
  const auto at_once = split({std::string_view(joined)});
  if (by_delta.answer != at_once.answer || by_delta.reasoning != at_once.reasoning)
    fuzz::fail("the <think> split depends on how the content arrived");

  // The same bytes as a whole (non-streamed) reply body.
  Result<ChunkDelta> completion = interpret_completion(stream);
  if (!completion && completion.error().message.empty()) fuzz::fail("a refused reply without a message");
  (void)excerpt(stream);
  return 0;
}
