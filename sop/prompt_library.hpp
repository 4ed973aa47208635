// PromptLibrary: prompt templates by name. A file <name>.txt in the user's prompts folder
// (config run.prompts_dir) wins over the built-in actions/prompts/<name>.txt.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>

namespace agentco {

class PromptLibrary {
 public:
  explicit PromptLibrary(std::string user_dir = {}) : user_dir_(std::move(user_dir)) {}
  // The template text, or nullopt when neither the user folder nor the binary has it, or when
  // the name is no plain file name (a name with '/', or starting with '.', would reach files
  // outside the prompts folder). Bytes that are not UTF-8 become U+FFFD, with one warning
  // per template (core/utf8.hpp).
  std::optional<std::string> find(const std::string& name) const;
  static bool plain_name(const std::string& name);
  // Where find() took it from ("/path/x.txt" or "built-in actions/prompts/x.txt").
  std::string origin(const std::string& name) const;
  // A template fixed for this run (a replay uses the templates recorded in the trace, so that
  // its requests are the recorded ones even when the files changed since). Wins over the rest.
  void pin(const std::string& name, std::string text, std::string origin);

 private:
  std::string user_dir_;
  std::map<std::string, std::pair<std::string, std::string>> pinned_;  // name -> (text, origin)
  mutable std::set<std::string> repaired_;  // the templates whose bad bytes were told of
};

}  // namespace agentco
