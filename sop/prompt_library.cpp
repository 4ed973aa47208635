#include "sop/prompt_library.hpp"

#include <filesystem>

#include "core/resources.hpp"
#include "core/text.hpp"

namespace agentco {

void PromptLibrary::pin(const std::string& name, std::string text, std::string origin) {
  pinned_[name] = {std::move(text), std::move(origin)};
}

std::optional<std::string> PromptLibrary::find(const std::string& name) const {
  if (auto it = pinned_.find(name); it != pinned_.end()) return it->second.first;
  if (!user_dir_.empty()) {
    std::string text;
    if (read_file((std::filesystem::path(user_dir_) / (name + ".txt")).string(), text)) return text;
  }
  return embedded_resource("actions/prompts/" + name + ".txt");
}

std::string PromptLibrary::origin(const std::string& name) const {
  if (auto it = pinned_.find(name); it != pinned_.end()) return it->second.second;
  if (!user_dir_.empty()) {
    auto path = std::filesystem::path(user_dir_) / (name + ".txt");
    if (std::filesystem::exists(path)) return path.string();
  }
  return "built-in actions/prompts/" + name + ".txt";
}

}  // namespace agentco
