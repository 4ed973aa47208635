// Pins llm/sse_parser.hpp: the event-stream rules however the bytes are cut, the OpenAI
// chunk and reply interpreters, and the <think> splitter.
#include "llm/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentco {
namespace {

std::vector<SseEvent> parse_whole(std::string_view text) {
  SseParser parser;
  std::vector<SseEvent> out;
  parser.feed(text, out);
  parser.finish(out);
  return out;
}

std::vector<SseEvent> parse_in_pieces(std::string_view text, std::size_t piece) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (std::size_t at = 0; at < text.size(); at += piece) parser.feed(text.substr(at, piece), out);
  parser.finish(out);
  return out;
}

std::vector<std::string> data_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

using Strings = std::vector<std::string>;

// ---- SseParser --------------------------------------------------------------------------

TEST(SseParser, ABlankLineEndsAnEvent) {
  EXPECT_EQ(data_of(parse_whole("data: one\n\ndata: two\n\n")), (Strings{"one", "two"}));
}

TEST(SseParser, AnEventWithoutItsBlankLineWaitsUntilTheBlankLineArrives) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: one\n").empty());
  EXPECT_EQ(data_of(parser.feed("\n")), (Strings{"one"}));
}

TEST(SseParser, CrLfAndBareCrEndLinesToo) {
  EXPECT_EQ(data_of(parse_whole("data: a\r\n\r\ndata: b\r\rdata: c\n\r\n")), (Strings{"a", "b", "c"}));
}

TEST(SseParser, ACrLfSplitBetweenTwoPiecesIsOneLineEnd) {
  SseParser parser;
  std::vector<SseEvent> out;
  parser.feed("data: a\r", out);
  parser.feed("\n", out);  // must not count as the blank line
  EXPECT_TRUE(out.empty());
  parser.feed("\r", out);
  parser.feed("\n", out);
  EXPECT_EQ(data_of(out), (Strings{"a"}));
}

TEST(SseParser, CommentLinesAreIgnored) {
  EXPECT_EQ(data_of(parse_whole(": keep-alive\n\ndata: x\n: between\n\n")), (Strings{"x"}));
}

TEST(SseParser, MultipleDataLinesAreJoinedWithNewlines) {
  EXPECT_EQ(data_of(parse_whole("data: first\ndata: second\ndata:third\n\n")),
            (Strings{"first\nsecond\nthird"}));
}

TEST(SseParser, OnlyOneSpaceAfterTheColonIsRemoved) {
  EXPECT_EQ(data_of(parse_whole("data:  two spaces\n\ndata:none\n\n")), (Strings{" two spaces", "none"}));
}

TEST(SseParser, AFieldWithoutAColonHasAnEmptyValue) {
  EXPECT_EQ(data_of(parse_whole("data\n\n")), (Strings{""}));
}

TEST(SseParser, AnEmptyDataLineStillDispatchesAnEvent) {
  EXPECT_EQ(data_of(parse_whole("data:\n\n")), (Strings{""}));
  EXPECT_EQ(data_of(parse_whole("data:\ndata:\n\n")), (Strings{"\n"}));
}

TEST(SseParser, BlankLinesWithoutDataDispatchNothing) {
  EXPECT_TRUE(parse_whole("\n\n\n: c\n\nevent: ping\n\n").empty());
}

TEST(SseParser, EventTypeAndIdAreKeptAndTheIdIsSticky) {
  auto events = parse_whole("event: delta\nid: 7\ndata: a\n\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "delta");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(events[1].id, "7");
}

TEST(SseParser, EventsAreNumberedFromOne) {
  auto events = parse_whole("data: a\n\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].index, 1);
  EXPECT_EQ(events[1].index, 2);
}

TEST(SseParser, UnknownFieldsAreIgnored) {
  EXPECT_EQ(data_of(parse_whole("foo: bar\ndata: x\nbaz\n\n")), (Strings{"x"}));
}

TEST(SseParser, RetryFieldIsRecordedWhenNumeric) {
  SseParser parser;
  parser.feed("retry: 1500\nretry: soon\n\n");
  EXPECT_EQ(parser.retry_ms(), 1500);
}

TEST(SseParser, ALeadingByteOrderMarkIsSkipped) {
  EXPECT_EQ(data_of(parse_whole("\xEF\xBB\xBF"
                                "data: x\n\n")),
            (Strings{"x"}));
  EXPECT_EQ(data_of(parse_in_pieces("\xEF\xBB\xBF"
                                    "data: x\n\n",
                                    1)),
            (Strings{"x"}));
}

TEST(SseParser, DoneIsAnOrdinaryEvent) {
  EXPECT_EQ(data_of(parse_whole("data: [DONE]\n\n")), (Strings{"[DONE]"}));
}

TEST(SseParser, FinishDeliversALastEventWhoseBlankLineNeverCame) {
  EXPECT_EQ(data_of(parse_whole("data: a\n\ndata: [DONE]")), (Strings{"a", "[DONE]"}));
  EXPECT_EQ(data_of(parse_whole("data: [DONE]\n")), (Strings{"[DONE]"}));
}

TEST(SseParser, FinishWithNothingPendingDeliversNothing) {
  SseParser parser;
  std::vector<SseEvent> out;
  parser.feed("data: a\n\n", out);
  out.clear();
  EXPECT_EQ(parser.finish(out), 0u);
}

TEST(SseParser, PendingBytesCountsAnUnfinishedLine) {
  SseParser parser;
  parser.feed("data: abc");
  EXPECT_EQ(parser.pending_bytes(), 9u);
}

TEST(SseParser, Utf8SplitAcrossPiecesIsReassembled) {
  const std::string text = "data: h\xC3\xA9llo \xE2\x9C\x93\n\n";
  EXPECT_EQ(data_of(parse_in_pieces(text, 1)), (Strings{"h\xC3\xA9llo \xE2\x9C\x93"}));
}

// A realistic stream with every kind of line ending, fed in every piece size from one byte to
// the whole text, must always give the same events.
TEST(SseParser, EveryWayOfCuttingTheStreamGivesTheSameEvents) {
  const std::string stream =
      ": ping\r\n"
      "data: {\"a\":1}\n\n"
      "event: custom\r\n"
      "data: line one\r\n"
      "data: line two\r\n\r\n"
      "data: {\"b\":2}\r\r"
      ": comment\n"
      "id: 42\n"
      "data: x\n\r\n"
      "data: [DONE]\n\n";
  const Strings expected = {"{\"a\":1}", "line one\nline two", "{\"b\":2}", "x", "[DONE]"};
  for (std::size_t piece = 1; piece <= stream.size(); ++piece)
    EXPECT_EQ(data_of(parse_in_pieces(stream, piece)), expected) << "piece size " << piece;
}

TEST(SseParser, EveryTwoWaySplitGivesTheSameEvents) {
  const std::string stream = "data: a\r\n\r\ndata: b\rdata: c\r\rdata: d\n\n";
  const Strings expected = {"a", "b\nc", "d"};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    std::vector<SseEvent> out;
    parser.feed(std::string_view(stream).substr(0, cut), out);
    parser.feed(std::string_view(stream).substr(cut), out);
    parser.finish(out);
    EXPECT_EQ(data_of(out), expected) << "cut at " << cut;
  }
}

// ---- interpret_chunk --------------------------------------------------------------------

SseEvent event(std::string data, long index = 1) {
  SseEvent e;
  e.data = std::move(data);
  e.index = index;
  return e;
}

TEST(SseChunk, DoneMarksTheEndOfTheStream) {
  auto delta = interpret_chunk(event("[DONE]"));
  ASSERT_TRUE(delta.ok());
  EXPECT_TRUE(delta->done);
}

TEST(SseChunk, ContentDeltaIsRead) {
  auto delta = interpret_chunk(event(
      R"({"id":"c1","model":"gpt-x","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})"));
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  EXPECT_EQ(delta->content, "Hel");
  EXPECT_EQ(delta->model, "gpt-x");
  EXPECT_TRUE(delta->finish_reason.empty());
  EXPECT_FALSE(delta->has_usage);
}

TEST(SseChunk, ReasoningContentIsKeptApartFromContent) {
  auto delta = interpret_chunk(event(R"({"choices":[{"index":0,"delta":{"reasoning_content":"hmm"}}]})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->reasoning, "hmm");
  EXPECT_TRUE(delta->content.empty());
}

TEST(SseChunk, ReasoningUnderItsShortNameIsReadToo) {
  auto delta = interpret_chunk(event(R"({"choices":[{"index":0,"delta":{"reasoning":"so"}}]})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->reasoning, "so");
}

TEST(SseChunk, FinishReasonIsRead) {
  auto delta = interpret_chunk(event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->finish_reason, "length");
}

TEST(SseChunk, TheUsageChunkWithEmptyChoicesIsRead) {
  auto delta = interpret_chunk(
      event(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_TRUE(delta->has_usage);
  EXPECT_EQ(delta->prompt_tokens, 12);
  EXPECT_EQ(delta->completion_tokens, 34);
}

TEST(SseChunk, ANullUsageIsNoUsage) {
  auto delta = interpret_chunk(event(R"({"choices":[{"index":0,"delta":{"content":"x"}}],"usage":null})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_FALSE(delta->has_usage);
}

TEST(SseChunk, NullContentIsEmpty) {
  auto delta =
      interpret_chunk(event(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})"));
  ASSERT_TRUE(delta.ok());
  EXPECT_TRUE(delta->content.empty());
}

TEST(SseChunk, MalformedJsonIsAnErrorNamingTheEvent) {
  auto delta = interpret_chunk(event("{not json", 5));
  ASSERT_FALSE(delta.ok());
  EXPECT_EQ(delta.error().code, "llm");
  EXPECT_NE(delta.error().message.find("event #5"), std::string::npos) << delta.error().message;
  EXPECT_NE(delta.error().message.find("{not json"), std::string::npos) << delta.error().message;
}

TEST(SseChunk, JsonThatIsNotAnObjectIsAnError) {
  auto delta = interpret_chunk(event("[1,2]", 3));
  ASSERT_FALSE(delta.ok());
  EXPECT_NE(delta.error().message.find("event #3"), std::string::npos);
}

TEST(SseChunk, ContentOfTheWrongTypeIsAnError) {
  auto delta = interpret_chunk(event(R"({"choices":[{"index":0,"delta":{"content":42}}]})", 2));
  ASSERT_FALSE(delta.ok());
  EXPECT_NE(delta.error().message.find("'content'"), std::string::npos) << delta.error().message;
}

// Found by fuzz/chunk_reader_fuzz.cpp: a choice whose "index" was not a number made
// interpret_chunk throw (json's value("index", -1)) instead of reading the chunk.
TEST(SseChunk, AChoiceIndexThatIsNoNumberIsReadAsNotTheFirstChoice) {
  for (const char* index : {R"({"n":1})", R"("0")", "null", "1e300", "[0]"}) {
    const std::string data = std::string(R"({"choices":[{"index":)") + index +
                             R"(,"delta":{"content":"a"}},{"index":0,"delta":{"content":"b"}}]})";
    Result<ChunkDelta> delta(make_error("", ""));
    ASSERT_NO_THROW(delta = interpret_chunk(event(data)));
    ASSERT_TRUE(delta.ok()) << index << ": " << delta.error().message;
    EXPECT_EQ(delta->content, "b") << index;  // the choice with index 0
  }
  Result<ChunkDelta> whole(make_error("", ""));
  ASSERT_NO_THROW(whole = interpret_completion(R"({"choices":[{"index":"x","message":{"content":"c"}}]})"));
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->content, "c");  // the only choice
}

TEST(SseChunk, AnErrorEventFromTheServerIsAnError) {
  auto delta = interpret_chunk(event(R"({"error":{"message":"overloaded","type":"server_error"}})", 9));
  ASSERT_FALSE(delta.ok());
  EXPECT_NE(delta.error().message.find("overloaded"), std::string::npos);
  EXPECT_NE(delta.error().message.find("event #9"), std::string::npos);
}

// Found by the fuzz smoke test: an error whose message is a number (a status code) is shown
// as the error object, not an exception.
TEST(SseChunk, AnErrorEventWhoseMessageIsNoTextIsStillAnError) {
  auto delta = interpret_chunk(event(R"({"error":{"message":429}})", 2));
  ASSERT_FALSE(delta.ok());
  EXPECT_NE(delta.error().message.find("429"), std::string::npos) << delta.error().message;
}

TEST(SseChunk, ALongMalformedEventIsShownShortened) {
  auto delta = interpret_chunk(event("{" + std::string(5000, 'x'), 1));
  ASSERT_FALSE(delta.ok());
  EXPECT_LT(delta.error().message.size(), 600u);
}

// ---- interpret_completion ---------------------------------------------------------------

TEST(SseCompletion, AWholeReplyIsRead) {
  auto whole = interpret_completion(
      R"({"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","reasoning_content":"r"},)"
      R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}})");
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->content, "Hi");
  EXPECT_EQ(whole->reasoning, "r");
  EXPECT_EQ(whole->finish_reason, "stop");
  EXPECT_TRUE(whole->has_usage);
  EXPECT_EQ(whole->prompt_tokens, 3);
  EXPECT_EQ(whole->model, "m");
}

TEST(SseCompletion, CachedPromptTokensAreReadInOpenAisAndDeepSeeksShape) {
  auto openai = interpret_completion(
      R"({"choices":[{"index":0,"message":{"content":"Hi"},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":1500,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1280}}})");
  ASSERT_TRUE(openai.ok()) << openai.error().message;
  EXPECT_EQ(openai->prompt_tokens, 1500);
  EXPECT_EQ(openai->cached_tokens, 1280);
  auto deepseek = interpret_completion(
      R"({"choices":[{"index":0,"message":{"content":"Hi"},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":1500,"completion_tokens":2,"prompt_cache_hit_tokens":1024,"prompt_cache_miss_tokens":476}})");
  ASSERT_TRUE(deepseek.ok()) << deepseek.error().message;
  EXPECT_EQ(deepseek->cached_tokens, 1024);
  auto none = interpret_completion(R"({"choices":[{"message":{"content":"Hi"}}],"usage":{"prompt_tokens":3}})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->cached_tokens, 0);
}

TEST(SseChunk, CachedPromptTokensInAChunkTheFastReaderLeavesAreReadToo) {
  // Content as a list of parts sends the chunk down the thorough path.
  auto delta = interpret_chunk(event(
      R"({"choices":[{"delta":{"content":[{"type":"text","text":"x"}]}}],)"
      R"("usage":{"prompt_tokens":40,"prompt_tokens_details":{"cached_tokens":32}}})"));
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  EXPECT_EQ(delta->content, "x");
  EXPECT_EQ(delta->cached_tokens, 32);
}

TEST(SseCompletion, ContentAsAListOfPartsIsJoined) {
  auto whole = interpret_completion(
      R"({"choices":[{"index":0,"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]})");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->content, "ab");
}

TEST(SseCompletion, AReplyCutInHalfIsAnError) {
  auto whole = interpret_completion(R"({"choices":[{"index":0,"message":{"content":"Hel)");
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().code, "llm");
  EXPECT_NE(whole.error().message.find("not valid JSON"), std::string::npos);
}

TEST(SseCompletion, AReplyWithoutChoicesIsAnError) {
  auto whole = interpret_completion(R"({"object":"chat.completion"})");
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.error().message.find("no choices"), std::string::npos);
}

TEST(SseCompletion, AnErrorObjectIsAnError) {
  auto whole = interpret_completion(R"({"error":{"message":"bad model"}})");
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.error().message.find("bad model"), std::string::npos);
}

// ---- ReasoningSplitter ------------------------------------------------------------------

ReasoningSplitter::Parts split_in_pieces(std::string_view text, std::size_t piece) {
  ReasoningSplitter splitter;
  ReasoningSplitter::Parts all;
  for (std::size_t at = 0; at < text.size(); at += piece) {
    auto parts = splitter.feed(text.substr(at, piece));
    all.answer += parts.answer;
    all.reasoning += parts.reasoning;
  }
  auto rest = splitter.finish();
  all.answer += rest.answer;
  all.reasoning += rest.reasoning;
  return all;
}

TEST(SseReasoningSplitter, TextWithoutTagsIsAllAnswer) {
  auto parts = split_in_pieces("just the answer <think> later is fine", 3);
  EXPECT_EQ(parts.answer, "just the answer <think> later is fine");
  EXPECT_EQ(parts.reasoning, "");
}

TEST(SseReasoningSplitter, ALeadingThinkBlockIsReasoning) {
  for (std::size_t piece = 1; piece < 40; ++piece) {
    auto parts = split_in_pieces("<think>\nlet me see</think>\n\nThe answer.", piece);
    EXPECT_EQ(parts.answer, "The answer.") << piece;
    EXPECT_EQ(parts.reasoning, "\nlet me see") << piece;
  }
}

TEST(SseReasoningSplitter, ThinkingTagIsRecognisedToo) {
  auto parts = split_in_pieces("  <thinking>a < b</thinking>ok", 2);
  EXPECT_EQ(parts.answer, "ok");
  EXPECT_EQ(parts.reasoning, "a < b");
}

TEST(SseReasoningSplitter, AnUnclosedBlockIsAllReasoning) {
  auto parts = split_in_pieces("<think>still thinking </thi", 4);
  EXPECT_EQ(parts.answer, "");
  EXPECT_EQ(parts.reasoning, "still thinking </thi");
}

TEST(SseReasoningSplitter, APartialOpeningTagAtTheEndIsAnswer) {
  auto parts = split_in_pieces("<thi", 1);
  EXPECT_EQ(parts.answer, "<thi");
}

TEST(SseReasoningSplitter, AnswerTextIsReleasedAsSoonAsItIsCertain) {
  ReasoningSplitter splitter;
  EXPECT_EQ(splitter.feed("<th").answer, "");
  EXPECT_EQ(splitter.feed("ink>x</think>Hel").answer, "Hel");
  EXPECT_EQ(splitter.feed("lo").answer, "lo");
}

TEST(SseExcerpt, ShowsLineBreaksAndShortens) {
  EXPECT_EQ(excerpt("a\nb\r"), "a\\nb\\r");
  EXPECT_EQ(excerpt(std::string(10, 'x'), 4), "xxxx…");
}

}  // namespace
}  // namespace agentco
