// Pins llm/providers.hpp: the provider the config asks for. llm.proxy is the proxy of model
// requests (over HTTPS_PROXY/HTTP_PROXY); roles: and models: entries that name servers give a
// RoutingProvider with one provider per distinct server, each built from its entry (address,
// key, api_version, proxy, timeout); MetaGPT's names of OpenAI-compatible services are known.
#include "llm/providers.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <string>

#include "llm/openai_provider.hpp"
#include "llm/routing_provider.hpp"
#include "tests/support/fake_llm_server.hpp"

namespace agentco {
namespace {

using testing::FakeLlmServer;

Config config_of(const std::string& yaml) {
  Config config;
  Status status = apply_config_yaml(config, yaml, "my.yaml");
  EXPECT_TRUE(status.ok()) << status.error().message;
  return config;
}

Result<ChatResult> call(Provider& provider, const std::string& model, const std::string& role,
                        const std::string& profile) {
  ChatRequest request;
  request.model = model;
  request.max_tokens = 50;
  request.messages = {{"user", "hello"}};
  request.hints = {{"role", role}, {"profile", profile}, {"action", "Act"}};
  boost::asio::io_context io;
  std::optional<Result<ChatResult>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await provider.chat(request)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

const OpenAiOptions& options_of(const Provider& provider) {
  auto* openai = dynamic_cast<const OpenAiProvider*>(&provider);
  if (!openai) throw std::runtime_error("not an OpenAI-compatible provider: " + provider.name());
  return openai->options();
}

// Sets a variable for the length of a test, restoring what was there.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedVariable() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Providers, WithoutEntriesNamingServersTheProviderIsTheOneServersOwn) {
  auto provider =
      make_provider(config_of("llm:\n  base_url: http://127.0.0.1:9/v1\n"
                              "roles:\n  - role: Architect\n    llm: {model: arch}\n"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  EXPECT_NE(dynamic_cast<OpenAiProvider*>(provider->get()), nullptr);
}

TEST(Providers, LlmProxyAndTimeoutSetTheTransportOfModelRequests) {
  auto provider =
      make_provider(config_of("llm:\n  base_url: http://127.0.0.1:9/v1\n  proxy: proxy.example:3128\n"
                              "  timeout: 75\n"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  const OpenAiOptions& options = options_of(**provider);
  EXPECT_EQ(options.transport.proxy, std::optional<std::string>("http://proxy.example:3128"));
  EXPECT_EQ(options.transport.deadlines.total, std::chrono::milliseconds(75000));
  auto unset = make_provider(config_of("llm:\n  base_url: http://127.0.0.1:9/v1\n"));
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(options_of(**unset).transport.proxy.has_value()) << "no llm.proxy: the environment decides";
}

// The fake server stands in for the proxy: it answers the absolute-form request itself.
TEST(Providers, LlmProxyWinsOverTheEnvironmentsProxyForModelRequests) {
  FakeLlmServer proxy("rules:\n  - reply: via the proxy\n");
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  ScopedVariable http_proxy("HTTP_PROXY", "http://127.0.0.1:9");
  ScopedVariable lower_proxy("http_proxy", "http://127.0.0.1:9");
  auto provider = make_provider(
      config_of("llm:\n  base_url: http://llm.invalid/v1\n  max_retries: 0\n  proxy: " + proxy_url + "\n"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  auto result = call(**provider, "fake-model", "Alice", "Product Manager");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->text, "via the proxy");
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://llm.invalid/v1/chat/completions");
}

TEST(Providers, EachDistinctServerOfTheEntriesGetsOneProviderBuiltFromItsEntry) {
  auto provider = make_provider(config_of(
      "llm:\n  base_url: http://main.example/v1\n  api_key: main-key\n  proxy: http://main-proxy:1\n"
      "roles:\n"
      "  - role: ProjectManager\n"
      "    llm: {api_type: azure, base_url: \"https://res.example\", api_key: az, api_version: 2024-02-01, "
      "model: pm-deploy, timeout: 30}\n"
      "  - role: Engineer\n"
      "    llm: {api_type: azure, base_url: \"https://res.example\", api_key: az, api_version: 2024-02-01, "
      "model: eng-deploy, timeout: 30}\n"
      "  - role: Architect\n"
      "    llm: {api_key: arch-key}\n"
      "models:\n"
      "  fast: {base_url: \"http://fast.example/v1\", model: fast-v2, proxy: \"http://fast-proxy:2\"}\n"
      "  plain: {model: plain-v2}\n"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  auto* routing = dynamic_cast<RoutingProvider*>(provider->get());
  ASSERT_NE(routing, nullptr);
  const auto& servers = routing->servers();
  ASSERT_EQ(servers.size(), 4u);  // llm (also models plain), the Azure resource, the architect's key, fast

  EXPECT_EQ(servers[0].users, (std::vector<std::string>{"llm", "models plain"}));
  const OpenAiOptions& azure = options_of(*servers[1].provider);
  EXPECT_EQ(servers[1].users, (std::vector<std::string>{"roles ProjectManager", "roles Engineer"}));
  EXPECT_TRUE(azure.azure);
  EXPECT_EQ(azure.base_url, "https://res.example");
  EXPECT_EQ(azure.api_key, "az");
  EXPECT_EQ(azure.api_version, "2024-02-01");
  EXPECT_FALSE(azure.transport.proxy.has_value()) << "a server of its own does not take llm's proxy";
  EXPECT_EQ(azure.transport.deadlines.total, std::chrono::milliseconds(30000));

  const OpenAiOptions& architect = options_of(*servers[2].provider);  // llm's server, its own key
  EXPECT_EQ(architect.base_url, "http://main.example/v1");
  EXPECT_EQ(architect.api_key, "arch-key");
  EXPECT_EQ(architect.transport.proxy, std::optional<std::string>("http://main-proxy:1"));

  const OpenAiOptions& fast = options_of(*servers[3].provider);
  EXPECT_EQ(fast.base_url, "http://fast.example/v1");
  EXPECT_EQ(fast.api_key, "") << "llm's key never goes to another server";
  EXPECT_EQ(fast.transport.proxy, std::optional<std::string>("http://fast-proxy:2"));
  EXPECT_EQ(servers[3].check_model, "fast-v2");

  EXPECT_EQ(routing->route("Eve", "Project Manager", "pm-deploy").first, 1u);
  EXPECT_EQ(routing->route("Alex", "Engineer", "eng-deploy").first, 1u);
  EXPECT_EQ(routing->route("Bob", "Architect", "gpt-4o").first, 2u);
  EXPECT_EQ(routing->route("Edward", "QA Engineer", "fast"),
            std::make_pair(std::size_t{3}, std::string("fast-v2")));
  EXPECT_EQ(routing->route("Edward", "QA Engineer", "plain"),
            std::make_pair(std::size_t{0}, std::string("plain-v2")));
}

TEST(Providers, RoleAndModelEntriesSendCallsToTheirServers) {
  FakeLlmServer main("rules:\n  - reply: from main\n");
  FakeLlmServer other("require_key: other-key\nrules:\n  - reply: from other\n");
  auto provider = make_provider(config_of(
      "llm:\n  base_url: " + main.base_url() + "\nroles:\n  - role: Architect\n    llm: {base_url: \"" +
      other.base_url() + "\", api_key: other-key}\nmodels:\n  remote: {base_url: \"" + other.base_url() +
      "\", api_key: other-key, model: remote-v1}\n"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  EXPECT_EQ(call(**provider, "m", "Bob", "Architect")->text, "from other");
  EXPECT_EQ(call(**provider, "remote", "Alex", "Engineer")->text, "from other");
  EXPECT_EQ(call(**provider, "m", "Alex", "Engineer")->text, "from main");
  ASSERT_EQ(other.requests().size(), 2u);
  EXPECT_EQ(other.requests()[1].body.value("model", ""), "remote-v1");
  EXPECT_EQ(main.requests().size(), 1u);
}

TEST(Providers, AnEntryWhoseServerCannotBeBuiltIsAnErrorNamingTheEntry) {
  auto provider =
      make_provider(config_of("llm:\n  base_url: http://127.0.0.1:9/v1\n"
                              "roles:\n  - role: Architect\n    llm: {api_type: gemini, base_url: "
                              "\"http://g.example\"}\n"));
  ASSERT_FALSE(provider.ok());
  EXPECT_TRUE(provider.error().message.starts_with(
      "my.yaml:4: roles (role Architect): unknown llm.api_type 'gemini'"))
      << provider.error().message;
}

TEST(Providers, MetaGptsNamesOfOpenAiCompatibleServicesAreKnownAndNeedABaseUrl) {
  auto deepseek =
      make_provider(config_of("llm:\n  api_type: deepseek\n  base_url: https://api.deepseek.com/v1\n"));
  ASSERT_TRUE(deepseek.ok()) << deepseek.error().message;
  EXPECT_EQ(options_of(**deepseek).base_url, "https://api.deepseek.com/v1");
  auto bare = make_provider(config_of("llm:\n  api_type: moonshot\n  api_key: k\n"));
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("llm.api_type moonshot needs llm.base_url"), std::string::npos);
  // MetaGPT talks to Ollama's own API; agentco to its OpenAI-compatible one beside it.
  auto ollama =
      make_provider(config_of("llm:\n  api_type: ollama\n  base_url: http://127.0.0.1:11434/api\n"));
  ASSERT_TRUE(ollama.ok()) << ollama.error().message;
  EXPECT_EQ(options_of(**ollama).base_url, "http://127.0.0.1:11434/v1");
}

}  // namespace
}  // namespace agentco
