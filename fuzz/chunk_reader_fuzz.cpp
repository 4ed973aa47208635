// Fuzz target: one streamed chunk's JSON through read_common_chunk, the allocation-free fast
// path, and through interpret_chunk. What the fast path accepts must be a JSON object that
// the thorough reader reads the same way.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "fuzz/fuzz_support.hpp"
#include "llm/chunk_reader.hpp"
#include "llm/sse_parser.hpp"

namespace {

std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// choices[0].delta[key] when the tree has a string there.
const nlohmann::json* string_at(const nlohmann::json& root, const char* key) {
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->is_array() || choices->size() != 1) return nullptr;
  const auto& choice = (*choices)[0];
  if (!choice.is_object()) return nullptr;
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return nullptr;
  auto value = delta->find(key);
  return value != delta->end() && value->is_string() ? &*value : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  const std::string_view text = fuzz::as_text(data, size);
  std::optional<ChunkDelta> fast = read_common_chunk(text);

  SseEvent event;
  event.data = std::string(text);
  event.index = 1;
  Result<ChunkDelta> full = interpret_chunk(event);
  if (!full && full.error().message.empty()) fuzz::fail("a refused chunk without a message");

  if (fast) {
    if (!full) fuzz::fail("interpret_chunk refuses a chunk the fast path read");
    const auto tree = nlohmann::json::parse(repair_utf8(text).text, nullptr, /*allow_exceptions=*/false);
    if (tree.is_discarded() || !tree.is_object())
      fuzz::fail("the fast path read a chunk that is no JSON object");
    // Duplicate keys are read differently by design (the tree keeps the last); compare only
    // chunks where the member occurs once.
    if (const auto* content = string_at(tree, "content"); content && count_of(text, "\"content\"") == 1)
      if (content->get<std::string>() != fast->content) fuzz::fail("the fast path read another content");
    if (fast->prompt_tokens < 0 || fast->completion_tokens < 0 || fast->cached_tokens < 0 ||
        fast->cached_tokens > fast->prompt_tokens)
      fuzz::fail("the fast path settled impossible token counts");
  }
  return 0;
}
