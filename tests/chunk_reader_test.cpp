// read_common_chunk: the allocation-free reader of the common streamed chunk. It must read
// what the thorough reader (interpret_chunk's tree path) reads, and give up on everything
// else so that the thorough reader words the error or handles the unusual shape.
#include <gtest/gtest.h>

#include "llm/chunk_reader.hpp"
#include "llm/sse_parser.hpp"

namespace agentco {
namespace {

SseEvent event_of(const std::string& data) {
  SseEvent e;
  e.data = data;
  e.index = 1;
  return e;
}

// The fast path's reading and interpret_chunk's (which may have taken either path) agree.
void expect_same_as_interpret(const std::string& data) {
  auto fast = read_common_chunk(data);
  ASSERT_TRUE(fast.has_value()) << data;
  auto full = interpret_chunk(event_of(data));
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(fast->content, full->content) << data;
  EXPECT_EQ(fast->reasoning, full->reasoning) << data;
  EXPECT_EQ(fast->finish_reason, full->finish_reason) << data;
  EXPECT_EQ(fast->model, full->model) << data;
  EXPECT_EQ(fast->has_usage, full->has_usage) << data;
  EXPECT_EQ(fast->prompt_tokens, full->prompt_tokens) << data;
  EXPECT_EQ(fast->completion_tokens, full->completion_tokens) << data;
  EXPECT_EQ(fast->cached_tokens, full->cached_tokens) << data;
}

TEST(ChunkReader, ReadsTheCommonChunk) {
  auto d = read_common_chunk(
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini",)"
      R"("system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hel\"lo\n"},"logprobs":null,)"
      R"("finish_reason":null}]})");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->content, "Hel\"lo\n");
  EXPECT_EQ(d->model, "gpt-4o-mini");
  EXPECT_EQ(d->finish_reason, "");
  EXPECT_FALSE(d->has_usage);
  EXPECT_FALSE(d->done);
}

TEST(ChunkReader, ReadsUsageFinishReasonAndReasoning) {
  auto usage = read_common_chunk(
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34.0,"total_tokens":46,)"
      R"("prompt_tokens_details":{"cached_tokens":0}}})");
  ASSERT_TRUE(usage.has_value());
  EXPECT_TRUE(usage->has_usage);
  EXPECT_EQ(usage->prompt_tokens, 12);
  EXPECT_EQ(usage->completion_tokens, 34);

  auto finish = read_common_chunk(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})");
  ASSERT_TRUE(finish.has_value());
  EXPECT_EQ(finish->finish_reason, "length");

  auto both = read_common_chunk(R"({"choices":[{"delta":{"reasoning":"b","reasoning_content":"a"}}]})");
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->reasoning, "a");  // reasoning_content wins, as in the thorough reader
  auto only = read_common_chunk(R"({"choices":[{"delta":{"reasoning":"so"}}]})");
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->reasoning, "so");
}

TEST(ChunkReader, ReadsCachedPromptTokensInOpenAisAndDeepSeeksShape) {
  auto openai = read_common_chunk(
      R"({"choices":[],"usage":{"prompt_tokens":2048,"completion_tokens":10,)"
      R"("prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})");
  ASSERT_TRUE(openai.has_value());
  EXPECT_EQ(openai->prompt_tokens, 2048);
  EXPECT_EQ(openai->cached_tokens, 1920);
  auto deepseek = read_common_chunk(
      R"({"choices":[],"usage":{"prompt_tokens":900,"completion_tokens":7,"total_tokens":907,)"
      R"("prompt_cache_hit_tokens":640,"prompt_cache_miss_tokens":260}})");
  ASSERT_TRUE(deepseek.has_value());
  EXPECT_EQ(deepseek->prompt_tokens, 900);
  EXPECT_EQ(deepseek->cached_tokens, 640);
  // DeepSeek's hit and miss stand in for a missing prompt_tokens; cached never exceeds the prompt.
  auto split = read_common_chunk(R"({"usage":{"prompt_cache_miss_tokens":60,"prompt_cache_hit_tokens":40}})");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->prompt_tokens, 100);
  EXPECT_EQ(split->cached_tokens, 40);
  auto odd = read_common_chunk(R"({"usage":{"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":9e99}}})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->cached_tokens, 5);
}

TEST(ChunkReader, AgreesWithTheThoroughReaderOnEveryShapeItTakes) {
  for (const std::string data : {
           R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"x","tool_calls":null,"function_call":null}}]})",
           R"({"model":7,"usage":null,"choices":null})",
           R"({"usage":[1,2],"choices":[{"delta":null,"finish_reason":null}]})",
           R"({"x":{"choices":[{"delta":{"content":"nested, not ours"}}]},"choices":[{"delta":{"content":"ours"}}]})",
           R"({"error":null,"choices":[{"delta":{"content":"fine"}}]})",
           R"({"choices":[{"delta":{"content":"ünïcödé \u00e9 \ud83d\ude00"}}],"usage":{"prompt_tokens":1}})",
           R"({"choices":[],"usage":{"prompt_tokens":30,"prompt_tokens_details":{"cached_tokens":16}}})",
           R"({"choices":[],"usage":{"prompt_tokens":30,"prompt_tokens_details":null,"prompt_cache_hit_tokens":8}})",
           R"({"choices":[],"usage":{"prompt_tokens":30,"prompt_tokens_details":[1],"prompt_cache_hit_tokens":"8"}})",
           R"({"choices":[],"usage":{"prompt_tokens":-3,"completion_tokens":-1.5,"prompt_cache_hit_tokens":2}})",
           R"({"choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":4,"x":{"cached_tokens":99}}}})",
           R"({})",
       }) {
    SCOPED_TRACE(data);
    auto fast = read_common_chunk(data);
    if (data.find("\"error\"") != std::string::npos) {
      EXPECT_FALSE(fast.has_value());  // any error member is left to the thorough reader
      continue;
    }
    expect_same_as_interpret(data);
  }
}

TEST(ChunkReader, GivesUpOnWhatTheThoroughReaderMustWordOrHandle) {
  for (const std::string data : {
           R"({"error":{"message":"overloaded","type":"server_error"}})",
           R"({"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]})",
           R"({"choices":[{"delta":{"content":[{"type":"text","text":"part"}]}}]})",
           R"({"choices":{"delta":{"content":"x"}}})",
           R"({"choices":"x"})",
           R"({"choices":[1]})",
           R"({"choices":[{"delta":"x"}]})",
           R"({"choices":[{"delta":{"content":5}}]})",
           // Tool calls, rarer than text, are read by the thorough reader.
           R"({"choices":[{"index":0,"delta":{"content":"x","tool_calls":[{"id":"t","function":{"arguments":"{}"}}]}}]})",
           R"({"choices":[{"delta":{"function_call":{"name":"run","arguments":"{}"}}}]})",
           R"({"choices":[{"delta":{"tool_calls":"x"}}]})",
           R"([1,2])",
           R"("text")",
           R"({not json)",
           R"({"choices":[]} trailing)",
       }) {
    SCOPED_TRACE(data);
    EXPECT_FALSE(read_common_chunk(data).has_value());
  }
  // ...and the thorough reader still answers them as before.
  auto parts = interpret_chunk(event_of(R"({"choices":[{"delta":{"content":[{"type":"text","text":"part"}]}}]})"));
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->content, "part");
  auto two = interpret_chunk(event_of(R"({"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]})"));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->content, "a");
  auto bad = interpret_chunk(event_of(R"({"choices":[{"delta":{"content":5}}]})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'content' is number, expected a string"), std::string::npos)
      << bad.error().message;
  auto error = interpret_chunk(event_of(R"({"error":{"message":"overloaded","type":"server_error"}})"));
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().message.find("overloaded (server_error)"), std::string::npos) << error.error().message;
}

}  // namespace
}  // namespace agentco
