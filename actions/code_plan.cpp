#include "actions/code_plan.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

namespace agentco {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::vector<std::string> string_list(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& item : v) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

bool mentions_word(const std::string& text, const std::string& word) {
  if (word.empty()) return false;
  std::size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string::npos) {
    bool left = pos == 0 || !is_word_char(text[pos - 1]);
    std::size_t end = pos + word.size();
    bool right = end >= text.size() || !is_word_char(text[end]);
    if (left && right) return true;
    pos = end;
  }
  return false;
}

bool mentions_file(const std::string& text, const std::string& path) {
  std::filesystem::path p(path);
  return mentions_word(text, p.filename().string()) || mentions_word(text, p.stem().string());
}

std::string language_key(const std::string& language_or_path) {
  std::string s = lower(language_or_path);
  auto ext = std::filesystem::path(s).extension().string();
  if (s == "python" || ext == ".py") return "python";
  if (s == "c++" || s == "cpp" || ext == ".cpp" || ext == ".hpp" || ext == ".cc" || ext == ".h") return "cpp";
  if (s == "javascript" || s == "js" || s == "node" || s == "node.js" || ext == ".js" || ext == ".mjs") return "javascript";
  if (s == "typescript" || ext == ".ts") return "typescript";
  if (s == "go" || ext == ".go") return "go";
  if (s == "rust" || ext == ".rs") return "rust";
  if (s == "java" || ext == ".java") return "java";
  return s.empty() ? "python" : s;
}

CodePlan make_code_plan(const nlohmann::json& tasks, const nlohmann::json& design,
                        const nlohmann::json& prd) {
  CodePlan plan;
  plan.language = prd.is_object() ? prd.value("Programming Language", std::string()) : "";
  if (plan.language.empty()) plan.language = "Python";

  std::vector<std::string> order = tasks.is_object() ? string_list(tasks.value("Task list", nlohmann::json())) : std::vector<std::string>{};
  if (order.empty() && design.is_object()) order = string_list(design.value("File list", nlohmann::json()));

  std::vector<std::pair<std::string, std::string>> analysis;
  if (tasks.is_object() && tasks.contains("Logic Analysis") && tasks["Logic Analysis"].is_array()) {
    for (const auto& row : tasks["Logic Analysis"]) {
      if (row.is_array() && row.size() >= 2 && row[0].is_string()) {
        std::string text;
        for (std::size_t i = 1; i < row.size(); ++i) text += (row[i].is_string() ? row[i].get<std::string>() : row[i].dump()) + " ";
        analysis.emplace_back(row[0].get<std::string>(), text);
      }
    }
  }
  if (order.empty()) {
    for (const auto& [file, text] : analysis) order.push_back(file);
  }

  std::vector<std::string> seen;
  for (const auto& path : order) {
    if (std::find(seen.begin(), seen.end(), path) != seen.end()) continue;
    seen.push_back(path);
    PlannedFile file;
    file.path = path;
    for (const auto& [name, text] : analysis) {
      if (name == path) file.analysis = text;
    }
    plan.files.push_back(std::move(file));
  }
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const std::string& other = plan.files[j].path;
      std::string stem = std::filesystem::path(other).stem().string();
      std::string name = std::filesystem::path(other).filename().string();
      if (mentions_word(plan.files[i].analysis, name) || mentions_word(plan.files[i].analysis, stem)) {
        plan.files[i].deps.push_back(j);
      }
    }
  }
  return plan;
}

std::string source_interface(const std::string& path, const std::string& source) {
  constexpr std::size_t kCap = 4000;
  std::string out;
  if (language_key(path) == "python") {
    std::istringstream in(source);
    std::string line;
    while (std::getline(in, line)) {
      std::string trimmed = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
      bool top = !line.empty() && !std::isspace(static_cast<unsigned char>(line[0]));
      bool keep = trimmed.starts_with("class ") || trimmed.starts_with("def ") ||
                  trimmed.starts_with("async def ") || (top && (trimmed.starts_with("import ") || trimmed.starts_with("from "))) ||
                  (top && line.find('=') != std::string::npos && std::isupper(static_cast<unsigned char>(line[0])));
      if (keep) out += line + "\n";
      if (out.size() > kCap) break;
    }
    return out;
  }
  return source.substr(0, kCap);
}

bool is_testable_source(const std::string& path) {
  std::filesystem::path p(path);
  const std::string key = language_key(path);
  const std::string ext = p.extension().string();
  if (path.starts_with("tests/") || path.starts_with("test/")) return false;
  if (key == "python" || key == "javascript") return ext == ".py" || ext == ".js" || ext == ".mjs";
  if (key == "cpp") return (ext == ".cpp" || ext == ".cc") && p.stem() != "main";
  return false;
}

std::string test_path_for(const std::string& source_path, const std::vector<std::string>& project_sources) {
  std::filesystem::path p(source_path);
  std::string key = language_key(source_path);
  std::string stem = p.stem().string();
  const bool shared_stem = std::any_of(project_sources.begin(), project_sources.end(), [&](const std::string& other) {
    return other != source_path && std::filesystem::path(other).stem() == p.stem() && language_key(other) == key &&
           is_testable_source(other);
  });
  if (shared_stem) {
    // "a/b/models.py" -> "a_b_models": a name that is still a valid module name.
    std::string joined;
    for (const auto& part : p.parent_path()) {
      const std::string text = part.string();
      if (text.empty() || text == "." || text == "/") continue;
      joined += text + "_";
    }
    for (char& c : joined) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    stem = joined + stem;
  }
  if (key == "python") return "tests/test_" + stem + ".py";
  if (key == "javascript") return "tests/" + stem + ".test.js";
  if (key == "cpp") return "tests/" + stem + "_test.cpp";
  return "tests/test_" + stem + p.extension().string();
}

std::vector<std::string> source_paths(const std::map<std::string, std::string>& sources) {
  std::vector<std::string> paths;
  paths.reserve(sources.size());
  for (const auto& [path, _] : sources) paths.push_back(path);
  return paths;
}

}  // namespace agentco
