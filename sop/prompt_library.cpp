#include "sop/prompt_library.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/resources.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace agentco {

void PromptLibrary::pin(const std::string& name, std::string text, std::string origin) {
  pinned_[name] = {std::move(text), std::move(origin)};
}

bool PromptLibrary::plain_name(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

std::optional<std::string> PromptLibrary::find(const std::string& name) const {
  if (auto it = pinned_.find(name); it != pinned_.end()) return it->second.first;
  if (!plain_name(name)) return std::nullopt;
  if (!user_dir_.empty()) {
    std::string text;
    const auto path = std::filesystem::path(user_dir_) / (name + ".txt");
    if (read_file(path.string(), text)) {
      if (!first_invalid_utf8(text)) return text;
      Utf8Repair repair = repair_utf8(text);
      if (repaired_.insert(name).second)
        spdlog::warn("{}:{}: {}", path.string(), repair.first_line, describe_utf8_repair(repair));
      return std::move(repair.text);
    }
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
