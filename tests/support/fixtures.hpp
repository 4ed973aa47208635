// Where the shared fixtures are: $AGENTCO_FIXTURES, else ../shared/fixtures beside the
// source tree. A user's clone has none: tests that need them GTEST_SKIP() with the reason.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace agentco::testing {

inline std::optional<std::filesystem::path> shared_fixtures_dir() {
  if (const char* env = std::getenv("AGENTCO_FIXTURES"); env && *env) {
    if (std::filesystem::is_directory(env)) return std::filesystem::path(env);
    return std::nullopt;
  }
  auto dir = std::filesystem::path(AGENTCO_SOURCE_DIR) / ".." / "shared" / "fixtures";
  if (std::filesystem::is_directory(dir)) return std::filesystem::weakly_canonical(dir);
  return std::nullopt;
}

}  // namespace agentco::testing

#define AGENTCO_REQUIRE_FIXTURES(var)                                                   \
  auto var##_opt = ::agentco::testing::shared_fixtures_dir();                           \
  if (!var##_opt) GTEST_SKIP() << "shared fixtures not found (../shared/fixtures beside " \
                                  "the source tree, or $AGENTCO_FIXTURES)";              \
  const std::filesystem::path var = *var##_opt
