// What the reading model's end-to-end tests share: the fake server's script that makes it
// answer every request, the messages a traced request sent, and a Python run of a project
// the model wrote (as a user would start it, outside agentco).
#pragma once
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/provider.hpp"
#include "tests/support/child_process.hpp"

namespace agentco::testing {

inline constexpr const char* kReaderScript = "rules:\n  - read: true\n";

// The messages of a trace's llm_request record.
inline std::vector<ChatMessage> messages_of(const nlohmann::json& request_record) {
  std::vector<ChatMessage> out;
  for (const auto& m : request_record["request"]["messages"]) out.push_back({m.value("role", ""), m.value("content", "")});
  return out;
}

// `python3 ARGS...` in `folder`, with nothing of agentco's environment.
inline ProcessResult python(const std::filesystem::path& folder, const std::vector<std::string>& args) {
  ProcessOptions options;
  options.argv = {"/usr/bin/env", "python3"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  const char* path = std::getenv("PATH");
  options.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"};
  options.cwd = folder;
  options.timeout = std::chrono::milliseconds(20000);
  return run_process(options);
}

}  // namespace agentco::testing
