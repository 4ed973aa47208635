#include "llm/context_window.hpp"

namespace agentco {
namespace {

// Context windows (tokens, prompt and reply together) of well-known models, as their
// providers publish them. A dated or suffixed name ("gpt-4o-mini-2024-07-18",
// "qwen2.5-coder:7b") finds its family by prefix; a variant that reads less than its family
// needs an entry of its own (o1-mini), or its prompts would be fitted to too large a window.
const std::map<std::string, long>& table() {
  static const std::map<std::string, long> kTable = {
      {"gpt-4o", 128000},           {"gpt-4o-mini", 128000},     {"gpt-4.1", 1047576},
      {"gpt-4.1-mini", 1047576},    {"gpt-4.1-nano", 1047576},   {"gpt-4-turbo", 128000},
      {"gpt-4", 8192},              {"gpt-4-32k", 32768},        {"gpt-3.5-turbo", 16385},
      {"gpt-5", 400000},            {"o1", 200000},              {"o1-mini", 128000},
      {"o1-preview", 128000},       {"o3", 200000},
      {"o3-mini", 200000},          {"o4-mini", 200000},         {"deepseek-chat", 65536},
      {"deepseek-reasoner", 65536}, {"deepseek-coder", 16384},   {"claude-3", 200000},
      {"claude-3-5", 200000},       {"claude-sonnet-4", 200000}, {"claude-opus-4", 200000},
      {"gemini-1.5", 1048576},      {"gemini-2", 1048576},       {"qwen2.5-coder", 32768},
      {"qwen2.5", 32768},           {"qwen3", 40960},            {"llama3", 8192},
      {"llama3.1", 131072},         {"llama3.2", 131072},        {"mistral", 32768},
      {"codellama", 16384},         {"phi3", 4096},              {"gemma2", 8192},
  };
  return kTable;
}

}  // namespace

std::string longest_prefix_key(const std::map<std::string, long>& entries, std::string_view name) {
  std::string best;
  auto consider = [&](std::string_view candidate) {
    for (const auto& [key, value] : entries) {
      if (candidate.starts_with(key) && key.size() > best.size()) best = key;
    }
  };
  consider(name);
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) consider(name.substr(slash + 1));
  return best;
}

long default_context_window(std::string_view model) {
  std::string key = longest_prefix_key(table(), model);
  return key.empty() ? 0 : table().at(key);
}

std::pair<long, std::string> ContextWindows::lookup(const std::string& model) const {
  if (configured > 0) return {configured, "llm.context_window"};
  if (auto it = probed.find(model); it != probed.end() && it->second > 0) return {it->second, "server"};
  if (long known = default_context_window(model); known > 0) return {known, "built-in table"};
  return {0, "unknown"};
}

}  // namespace agentco
