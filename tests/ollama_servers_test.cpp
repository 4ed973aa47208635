// Pins llm/ollama_servers.hpp: a run whose calls reach several servers (roles: and models:
// entries) probes every server that is Ollama, asks it for the model it is sent, keys the
// window by the model the call names, and takes the smaller window when two servers serve
// one name. Providers are built by make_provider from configs; the servers are the fake
// server posing as Ollama, in process.
#include "llm/ollama_servers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <string>
#include <vector>

#include "llm/providers.hpp"
#include "tests/support/fake_llm_server.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
using testing::FakeLlmServer;

EndpointSettings ollama_at(const std::string& base_url) {
  EndpointSettings endpoint;
  endpoint.api_type = "ollama";
  endpoint.base_url = base_url;
  return endpoint;
}

std::shared_ptr<Provider> provider_for(const Config& config) {
  auto provider = make_provider(config);
  EXPECT_TRUE(provider.ok()) << provider.error().message;
  return provider.ok() ? *provider : nullptr;
}

std::map<std::string, long> probe(const std::vector<OllamaTarget>& targets, std::vector<std::string>* said = nullptr) {
  HttpDeadlines deadlines;
  deadlines.connect = std::chrono::seconds(5);
  deadlines.total = std::chrono::seconds(20);
  const OllamaAnswerSink sink = [said](const OllamaTarget& target, const OllamaContext& context) {
    if (said) said->push_back(target.base_url + " " + target.ask_for + " " + std::to_string(context.tokens));
  };
  asio::io_context io;
  std::map<std::string, long> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out = co_await probe_ollama_servers(targets, deadlines, sink); },
      asio::detached);
  io.run();
  return out;
}

// llm: on server A; the Architect's roles: entry on server B with the same model name; the
// models: entry "coder" on server B, sent as deepseek-coder-v2:16b; "cloud" on a hosted API.
class OllamaServers : public ::testing::Test {
 protected:
  OllamaServers()
      : a_("models: [qwen2.5-coder:7b]\nollama: {loaded: true, context_length: 8192}\n"),
        b_("models: [qwen2.5-coder:7b, deepseek-coder-v2:16b]\nollama: {num_ctx: 3000}\n") {
    config_.llm.api_type = "ollama";
    config_.llm.base_url = a_.base_url();
    config_.llm.model = "qwen2.5-coder:7b";
    RoleLlm architect;
    architect.role = "Architect";
    architect.model = "qwen2.5-coder:7b";
    architect.endpoint = ollama_at(b_.base_url());
    config_.roles.push_back(architect);
    NamedModel coder;
    coder.model = "deepseek-coder-v2:16b";
    coder.endpoint = ollama_at(b_.base_url());
    config_.named_models["coder"] = coder;
    NamedModel cloud;
    cloud.endpoint.base_url = "https://api.example.com/v1";
    cloud.endpoint.api_key = "sk-test";
    config_.named_models["cloud"] = cloud;
    calls_ = {{"Alice", "Product Manager", "qwen2.5-coder:7b"},
              {"Bob", "Architect", "qwen2.5-coder:7b"},
              {"Alex", "Engineer", "coder"},
              {"Eve", "Project Manager", "cloud"}};
  }

  FakeLlmServer a_, b_;
  Config config_;
  std::vector<ModelCall> calls_;
};

TEST_F(OllamaServers, EveryOllamaServerACallReachesIsAskedForTheModelItIsSent) {
  auto provider = provider_for(config_);
  ASSERT_TRUE(provider);
  const std::vector<OllamaTarget> targets = ollama_targets(*provider, calls_);
  ASSERT_EQ(targets.size(), 3u) << "A for qwen, B for qwen (the Architect's), B for coder; the hosted API none";
  EXPECT_EQ(targets[0].base_url, a_.base_url());
  EXPECT_EQ(targets[0].ask_for, "qwen2.5-coder:7b");
  EXPECT_EQ(targets[0].call_models, std::set<std::string>{"qwen2.5-coder:7b"});
  EXPECT_EQ(targets[1].base_url, b_.base_url());
  EXPECT_EQ(targets[1].ask_for, "qwen2.5-coder:7b");
  EXPECT_EQ(targets[2].base_url, b_.base_url());
  EXPECT_EQ(targets[2].ask_for, "deepseek-coder-v2:16b");
  EXPECT_EQ(targets[2].call_models, std::set<std::string>{"coder"}) << "keyed by the name the call uses";
}

TEST_F(OllamaServers, AModelNameTwoServersServeGetsTheSmallerWindow) {
  auto provider = provider_for(config_);
  ASSERT_TRUE(provider);
  std::vector<std::string> said;
  const std::map<std::string, long> windows = probe(ollama_targets(*provider, calls_), &said);
  EXPECT_EQ(windows, (std::map<std::string, long>{{"qwen2.5-coder:7b", 3000}, {"coder", 3000}}));
  EXPECT_EQ(said.size(), 3u);
  EXPECT_EQ(said[0], a_.base_url() + " qwen2.5-coder:7b 8192") << "each server's answer is heard";

  // Without the Architect's own server, qwen is A's alone.
  config_.roles.clear();
  auto single = provider_for(config_);
  ASSERT_TRUE(single);
  EXPECT_EQ(probe(ollama_targets(*single, calls_)),
            (std::map<std::string, long>{{"qwen2.5-coder:7b", 8192}, {"coder", 3000}}));
}

TEST_F(OllamaServers, OneServerIsProbedForEachModelItsCallsUse) {
  Config config;
  config.llm.api_type = "ollama";
  config.llm.base_url = a_.base_url();
  config.llm.model = "qwen2.5-coder:7b";
  auto provider = provider_for(config);
  ASSERT_TRUE(provider);
  const std::vector<OllamaTarget> targets =
      ollama_targets(*provider, {{"Alice", "Product Manager", "qwen2.5-coder:7b"},
                                 {"Alex", "Engineer", "qwen2.5-coder:7b"},
                                 {"Bob", "Architect", "llama3.1"}});
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(probe(targets), (std::map<std::string, long>{{"qwen2.5-coder:7b", 8192}, {"llama3.1", 4096}}))
      << "llama3.1 is not on A: Ollama's default";
}

TEST_F(OllamaServers, AServerThatIsNotOllamaIsNotAsked) {
  Config config;
  config.llm.api_type = "openai";
  config.llm.base_url = a_.base_url();  // poses as Ollama, but nothing says it is one
  config.llm.model = "qwen2.5-coder:7b";
  auto provider = provider_for(config);
  ASSERT_TRUE(provider);
  EXPECT_TRUE(ollama_targets(*provider, calls_).empty());
  EXPECT_TRUE(a_.requests().empty());
}

TEST_F(OllamaServers, AnOllamaServerThatDoesNotAnswerLeavesItsModelsUnknown) {
  FakeLlmServer plain("models: [qwen2.5-coder:7b]\n");  // an OpenAI-compatible server on its own
  config_.roles.clear();
  config_.named_models.clear();
  config_.llm.base_url = plain.base_url();
  auto provider = provider_for(config_);
  ASSERT_TRUE(provider);
  EXPECT_TRUE(probe(ollama_targets(*provider, calls_)).empty());
}

}  // namespace
}  // namespace agentco
