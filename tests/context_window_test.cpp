// Pins llm/context_window.hpp: the table of well-known models matched by the longest prefix
// (dated, tagged and vendor-prefixed names find their family), and the order of the sources
// of a model's window: llm.context_window, then what the server said, then the table.
#include "llm/context_window.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace agentco {
namespace {

TEST(ContextWindowTable, DatedAndTaggedNamesFindTheirFamilyByTheLongestPrefix) {
  EXPECT_EQ(default_context_window("gpt-4o-mini-2024-07-18"), 128000);
  EXPECT_EQ(default_context_window("gpt-4o-2024-08-06"), 128000);
  EXPECT_EQ(default_context_window("gpt-4-0613"), 8192);
  EXPECT_EQ(default_context_window("gpt-4-32k-0613"), 32768);
  EXPECT_EQ(default_context_window("gpt-4-turbo-2024-04-09"), 128000);
  EXPECT_EQ(default_context_window("gpt-4.1-mini-2025-04-14"), 1047576);
  EXPECT_EQ(default_context_window("o3-mini-2025-01-31"), 200000);
  EXPECT_EQ(default_context_window("llama3.1:8b"), 131072);
  EXPECT_EQ(default_context_window("llama3:8b"), 8192);
  EXPECT_EQ(default_context_window("qwen2.5-coder:7b"), 32768);
  EXPECT_EQ(longest_prefix_key({{"gpt-4", 1}, {"gpt-4o", 2}, {"gpt-4o-mini", 3}}, "gpt-4o-mini-2024-07-18"),
            "gpt-4o-mini");
}

TEST(ContextWindowTable, AVariantWithASmallerWindowThanItsFamilyHasItsOwnEntry) {
  // "o1" is a prefix of o1-mini's name, but o1-mini reads 128k, not o1's 200k: an entry too
  // large would let prompts through that the server refuses.
  EXPECT_EQ(default_context_window("o1-2024-12-17"), 200000);
  EXPECT_EQ(default_context_window("o1-mini-2024-09-12"), 128000);
  EXPECT_EQ(default_context_window("o1-preview"), 128000);
}

TEST(ContextWindowTable, AVendorPrefixIsLookedPast) {
  EXPECT_EQ(default_context_window("openai/gpt-4o-mini"), 128000);
  EXPECT_EQ(default_context_window("openrouter/openai/gpt-4o"), 128000);
  EXPECT_EQ(default_context_window("deepseek/deepseek-chat"), 65536);
  EXPECT_EQ(longest_prefix_key({{"gpt-4o-mini", 1}}, "openai/gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
}

TEST(ContextWindowTable, AModelNoEntryBeginsHasNoWindow) {
  EXPECT_EQ(default_context_window("fake-model"), 0);
  EXPECT_EQ(default_context_window(""), 0);
  EXPECT_EQ(default_context_window("my/own-model"), 0);
  EXPECT_EQ(longest_prefix_key({{"gpt-4o", 1}}, "gpt-4"), "");
}

TEST(ContextWindowLookup, TheConfiguredWindowWinsOverTheServerAndTheTable) {
  ContextWindows windows;
  windows.probed["qwen2.5-coder:7b"] = 2048;
  windows.configured = 3000;
  EXPECT_EQ(windows.lookup("gpt-4o"), (std::pair<long, std::string>{3000, "llm.context_window"}));
  EXPECT_EQ(windows.lookup("qwen2.5-coder:7b"), (std::pair<long, std::string>{3000, "llm.context_window"}));
  EXPECT_EQ(windows.lookup("fake-model"), (std::pair<long, std::string>{3000, "llm.context_window"}));
}

TEST(ContextWindowLookup, WhatTheServerSaidWinsOverTheTableForThatModelOnly) {
  ContextWindows windows;
  windows.probed["qwen2.5-coder:7b"] = 2048;
  windows.probed["llama3.1:8b"] = 0;  // a server that said nothing usable
  EXPECT_EQ(windows.lookup("qwen2.5-coder:7b"), (std::pair<long, std::string>{2048, "server"}));
  EXPECT_EQ(windows.lookup("qwen2.5-coder:14b"), (std::pair<long, std::string>{32768, "built-in table"}));
  EXPECT_EQ(windows.lookup("llama3.1:8b"), (std::pair<long, std::string>{131072, "built-in table"}));
  EXPECT_EQ(windows.lookup("fake-model"), (std::pair<long, std::string>{0, "unknown"}));
}

TEST(ContextWindowConfig, LlmContextWindowIsReadAndCheckedLikeEveryKey) {
  Config config;
  EXPECT_EQ(config.llm.context_window, 0) << "by default: ask the server or the table";
  ASSERT_TRUE(apply_config_yaml(config, "llm:\n  context_window: 3000\n", "f.yaml").ok());
  EXPECT_EQ(config.llm.context_window, 3000);
  Status negative = apply_config_yaml(config, "llm:\n  context_window: -5\n", "f.yaml");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message.find("llm.context_window"), std::string::npos) << negative.error().message;
  Status word = apply_config_yaml(config, "llm:\n  context_window: big\n", "f.yaml");
  ASSERT_FALSE(word.ok());
  EXPECT_NE(word.error().message.find("f.yaml:2"), std::string::npos) << word.error().message;
}

}  // namespace
}  // namespace agentco
