// Pins core/secrets.hpp and where it is applied: a registered key never survives in text that
// is scrubbed, longer secrets go first, short values are not secrets, and load_config()
// registers the keys and proxy passwords it was given.
#include "core/secrets.hpp"

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace agentco {
namespace {

class Secrets : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets(); }
  void TearDown() override { clear_secrets(); }
};

TEST_F(Secrets, EveryOccurrenceOfARegisteredSecretIsHidden) {
  register_secret("sk-test-0123456789");
  EXPECT_EQ(scrub_secrets("401: Incorrect API key (Authorization: Bearer sk-test-0123456789), again "
                          "sk-test-0123456789."),
            "401: Incorrect API key (Authorization: Bearer ***), again ***.");
  EXPECT_EQ(scrub_secrets("nothing to hide"), "nothing to hide");
}

TEST_F(Secrets, TheLongerOfTwoOverlappingSecretsGoesWholeAndShortValuesAreNoSecrets) {
  register_secret("secret1");
  register_secret("secret1-and-more");
  register_secret("abc");  // too short: would hide ordinary words
  EXPECT_EQ(scrub_secrets("secret1-and-more / secret1 / abc"), "*** / *** / abc");
}

TEST_F(Secrets, LoadingAConfigRegistersItsKeysAndProxyPasswords) {
  ConfigSources sources;
  sources.read_default_files = false;
  sources.read_environment = false;
  sources.flags = {{"llm.api_key", "sk-given-as-a-flag"}, {"llm.proxy", "http://user:hunter2-pass@proxy.example:3128"}};
  auto config = load_config(sources);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(scrub_secrets("key sk-given-as-a-flag, proxy password hunter2-pass"), "key ***, proxy password ***");
}

}  // namespace
}  // namespace agentco
