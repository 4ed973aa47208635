// Pins llm/ollama_probe.hpp: Ollama's /api/ps and /api/show replies parsed as Ollama writes
// them (and nothing taken from a reply that is not a plausible count), and the probe against
// the fake server posing as Ollama (tests/support/fake_llm_server.hpp, `ollama:`): the loaded
// model's context beats the Modelfile's num_ctx, which beats Ollama's default of 4096 (capped
// by what the model reads); a server that is not Ollama, or is not there, is "unknown".
#include "llm/ollama_probe.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "tests/support/fake_llm_server.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
using testing::FakeLlmServer;

// /api/ps of Ollama 0.12 with one model loaded.
constexpr const char* kPs = R"({"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":6654289920,
  "digest":"dae161e27b0e90dd1856c8bb3209201fd6736d8eb66298e75ed87571486f4364","details":{"parent_model":"",
  "format":"gguf","family":"qwen2","families":["qwen2"],"parameter_size":"7.6B","quantization_level":"Q4_K_M"},
  "expires_at":"2025-10-17T16:47:07.93355-07:00","size_vram":6654289920,"context_length":8192},
  {"name":"llama3.1:latest","model":"llama3.1:latest","size":1,"digest":"x","details":{},
  "expires_at":"2025-10-17T16:47:07Z","size_vram":1,"context_length":4096}]})";

// /api/show as docs.ollama.com gives it for gemma3 (parameters padded as the server pads them).
constexpr const char* kShow = R"({"parameters":"stop                           \"<end_of_turn>\"\ntemperature                    0.7\nnum_ctx                        2048",
  "license":"Gemma Terms of Use","capabilities":["completion","vision"],"modified_at":"2025-08-14T15:49:43.634137516-07:00",
  "details":{"parent_model":"","format":"gguf","family":"gemma3","families":["gemma3"],"parameter_size":"4.3B",
  "quantization_level":"Q4_K_M"},"model_info":{"gemma3.attention.head_count":8,"gemma3.block_count":34,
  "gemma3.context_length":131072,"gemma3.embedding_length":2560,"gemma3.vision.block_count":27,
  "general.architecture":"gemma3","general.parameter_count":4299915632,"tokenizer.ggml.model":"llama"}})";

std::optional<OllamaContext> probe(const std::string& base_url, const std::string& model) {
  TransportOptions options;
  options.proxy = "";
  options.deadlines.connect = std::chrono::seconds(5);
  options.deadlines.total = std::chrono::seconds(20);
  HttpTransport transport(options);
  asio::io_context io;
  std::optional<OllamaContext> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out = co_await probe_ollama_context(transport, base_url, model); },
      asio::detached);
  io.run();
  return out;
}

// ---- The replies ---------------------------------------------------------------------------

TEST(OllamaProbeParse, TheLoadedModelsContextLengthIsReadFromApiPs) {
  EXPECT_EQ(ollama_loaded_context(kPs, "qwen2.5-coder:7b"), 8192);
  EXPECT_EQ(ollama_loaded_context(kPs, "llama3.1"), 4096) << "an untagged name is :latest";
  EXPECT_EQ(ollama_loaded_context(R"({"models":[{"model":"gemma3","context_length":4096}]})", "gemma3:latest"), 4096)
      << "the docs' example lists the model untagged";
  EXPECT_EQ(ollama_loaded_context(kPs, "qwen2.5-coder:14b"), std::nullopt);
  EXPECT_EQ(ollama_loaded_context(R"({"models":[]})", "qwen2.5-coder:7b"), std::nullopt);
}

TEST(OllamaProbeParse, AnOlderOllamaThatListsNoContextLengthSaysNothing) {
  EXPECT_EQ(ollama_loaded_context(R"({"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b"}]})",
                                  "qwen2.5-coder:7b"),
            std::nullopt);
}

TEST(OllamaProbeParse, ApiShowGivesTheModelfilesNumCtxAndTheArchitecturesContextLength) {
  OllamaShow show = parse_ollama_show(kShow);
  EXPECT_EQ(show.num_ctx, 2048);
  EXPECT_EQ(show.model_context, 131072) << "gemma3.context_length, not a vision key";
  OllamaShow plain = parse_ollama_show(R"({"parameters":"temperature 0.7\nnum_ctx 8192","model_info":{}})");
  EXPECT_EQ(plain.num_ctx, 8192);
  EXPECT_EQ(plain.model_context, std::nullopt);
  OllamaShow none = parse_ollama_show(R"({"parameters":"stop \"<|im_end|>\"","model_info":{"llama.context_length":8192}})");
  EXPECT_EQ(none.num_ctx, std::nullopt);
  EXPECT_EQ(none.model_context, 8192) << "without general.architecture, the key that ends so";
}

TEST(OllamaProbeParse, WhatIsNotAPlausibleCountIsNoCount) {
  for (const char* parameters : {"num_ctx 99999999999999999999", "num_ctx 9223372036854775807", "num_ctx -5",
                                  "num_ctx 0", "num_ctx big", "num_ctx_extra 8192", "num_ctx 8192x", "num_ctx"}) {
    const std::string body = nlohmann::json{{"parameters", parameters}}.dump();
    EXPECT_EQ(parse_ollama_show(body).num_ctx, std::nullopt) << parameters;
  }
  for (const char* value : {"1e30", "-1", "0", "\"4096\"", "18446744073709551615", "4096.5", "null", "200000000"}) {
    const std::string ps = std::string(R"({"models":[{"name":"m:latest","context_length":)") + value + "}]}";
    EXPECT_EQ(ollama_loaded_context(ps, "m"), std::nullopt) << value;
    const std::string show = std::string(R"({"model_info":{"general.architecture":"a","a.context_length":)") + value + "}}";
    EXPECT_EQ(parse_ollama_show(show).model_context, std::nullopt) << value;
  }
  for (const char* body : {"", "not json", "[]", "{\"models\":{}}", "{\"models\":[1,\"x\",null]}", "<html></html>"}) {
    EXPECT_EQ(ollama_loaded_context(body, "m"), std::nullopt) << body;
    EXPECT_EQ(parse_ollama_show(body).num_ctx, std::nullopt) << body;
  }
}

TEST(OllamaProbeParse, AServerIsTakenForOllamaByItsApiTypeOrItsPort) {
  EXPECT_TRUE(looks_like_ollama("ollama", "http://gpu-box:8000/v1"));
  EXPECT_TRUE(looks_like_ollama("openai", "http://127.0.0.1:11434/v1"));
  EXPECT_FALSE(looks_like_ollama("openai", "http://127.0.0.1:8000/v1"));
  EXPECT_FALSE(looks_like_ollama("openai", "https://api.openai.com/v1"));
  EXPECT_FALSE(looks_like_ollama("vllm", "not a url"));
  EXPECT_EQ(ollama_root("http://h:11434/v1"), "http://h:11434");
  EXPECT_EQ(ollama_root("http://h:11434/v1/"), "http://h:11434");
  EXPECT_EQ(ollama_root("http://h:11434/api"), "http://h:11434");
  EXPECT_EQ(ollama_root("http://h:11434"), "http://h:11434");
}

// ---- Against the fake server posing as Ollama ------------------------------------------------

TEST(OllamaProbe, TheLoadedModelsContextBeatsNumCtx) {
  FakeLlmServer server("models: [qwen2.5-coder:7b]\nollama: {loaded: true, context_length: 2048, num_ctx: 8192}\n");
  std::optional<OllamaContext> context = probe(server.base_url(), "qwen2.5-coder:7b");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->tokens, 2048);
  EXPECT_NE(context->how.find("/api/ps"), std::string::npos) << context->how;
}

TEST(OllamaProbe, NumCtxBeatsTheDefaultWhenTheModelIsNotLoaded) {
  FakeLlmServer server("models: [qwen2.5-coder:7b]\nollama: {num_ctx: 8192}\n");
  std::optional<OllamaContext> context = probe(server.base_url(), "qwen2.5-coder:7b");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->tokens, 8192);
  EXPECT_NE(context->how.find("num_ctx"), std::string::npos) << context->how;
  // The other loaded models do not count: only the one asked for.
  FakeLlmServer other("models: [llama3.1]\nollama: {loaded: true, context_length: 2048, num_ctx: 8192}\n");
  EXPECT_EQ(probe(other.base_url(), "qwen2.5-coder:7b")->tokens, 4096) << "not on that server: the default";
}

TEST(OllamaProbe, WithoutEitherItIsOllamasDefaultOf4096CappedByWhatTheModelReads) {
  FakeLlmServer server("models: [qwen2.5-coder:7b]\nollama: {}\n");
  std::optional<OllamaContext> context = probe(server.base_url(), "qwen2.5-coder:7b");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->tokens, 4096);
  EXPECT_NE(context->how.find("OLLAMA_CONTEXT_LENGTH"), std::string::npos) << context->how;

  FakeLlmServer small("models: [tinyllama]\nollama: {model_context: 2048}\n");
  EXPECT_EQ(probe(small.base_url(), "tinyllama")->tokens, 2048);
}

TEST(OllamaProbe, AServerThatIsNotOllamaIsUnknown) {
  FakeLlmServer server("models: [qwen2.5-coder:7b]\n");
  EXPECT_FALSE(probe(server.base_url(), "qwen2.5-coder:7b").has_value());
  // It was asked both routes, and answered 404 as to any unknown URL.
  int asked = 0;
  for (const auto& request : server.requests())
    asked += request.target == "/api/ps" || request.target == "/api/show";
  EXPECT_EQ(asked, 2);
}

TEST(OllamaProbe, AServerThatIsNotThereIsUnknown) {
  // A port that was free a moment ago: connecting is refused.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  EXPECT_FALSE(probe("http://127.0.0.1:" + std::to_string(port) + "/v1", "qwen2.5-coder:7b").has_value());
}

}  // namespace
}  // namespace agentco
