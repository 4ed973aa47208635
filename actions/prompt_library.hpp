// PromptLibrary: prompt templates by name. A file <name>.txt in the user's prompts folder
// (config run.prompts_dir) wins over the built-in actions/prompts/<name>.txt.
#pragma once
#include <optional>
#include <string>

namespace agentco {

class PromptLibrary {
 public:
  explicit PromptLibrary(std::string user_dir = {}) : user_dir_(std::move(user_dir)) {}
  // The template text, or nullopt when neither the user folder nor the binary has it.
  std::optional<std::string> find(const std::string& name) const;
  // Where find() took it from ("/path/x.txt" or "built-in actions/prompts/x.txt").
  std::string origin(const std::string& name) const;

 private:
  std::string user_dir_;
};

}  // namespace agentco
