// What every run against a model server must show it, checked on the run's trace: no request
// carries an unfilled {{variable}}; every request about one file (review, rewrite, fix, test)
// shows that file verbatim as it was last written before the request; a review shows no other
// source file of the project.
#pragma once
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/support/fake_llm_server_runs.hpp"

namespace agentco::testing {

// The last user message of an llm_request record.
inline std::string user_prompt(const nlohmann::json& request_record) {
  std::string out;
  for (const auto& m : request_record["request"]["messages"])
    if (m.value("role", "") == "user") out = m.value("content", "");
  return out;
}

// Checks the run's requests as above; returns how many requests of each kind were checked.
inline std::map<std::string, int> expect_prompts_show_their_files(const AgentcoRun& run) {
  std::map<std::string, std::string> written;  // path -> content as of the record being read
  std::map<std::string, int> checked;
  const std::regex unfilled(R"(\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\})");
  auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  for (const auto& record : run.trace) {
    const std::string type = record.value("type", "");
    if (type == "file_write") {
      written[record.value("path", "")] = record.value("content", "");
      continue;
    }
    if (type != "llm_request") continue;
    const std::string prompt = user_prompt(record);
    EXPECT_FALSE(std::regex_search(prompt, unfilled)) << "unfilled variable in\n" << prompt;
    const nlohmann::json hints = record.value("hints", nlohmann::json::object());
    const std::string kind = hints.value("kind", "");
    const std::string file = hints.value("file", "");
    if (kind != "review" && kind != "rewrite" && kind != "test" && kind != "fix") continue;
    EXPECT_TRUE(written.count(file)) << kind << " of " << file << " before it was written";
    EXPECT_TRUE(has(prompt, written[file]))
        << kind << " request for " << file << " does not show it as last written:\n"
        << prompt;
    ++checked[kind];
    if (kind != "review") continue;
    EXPECT_FALSE(has(prompt, "\"" + file + "\": ")) << "a review shows a JSON dump of the files:\n" << prompt;
    for (const auto& [path, text] : written)
      if (path != file && !path.starts_with("tests/") && !path.starts_with("docs/") &&
          path.ends_with(".py") && !has(hints.dump(), path))
        EXPECT_FALSE(has(prompt, text)) << "the review of " << file << " shows " << path;
  }
  return checked;
}

}  // namespace agentco::testing
