#include "actions/markdown.hpp"

#include <algorithm>

namespace agentco {
namespace {

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string table_cell(const nlohmann::json& v) {
  std::string text = scalar_text(v);
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

void render_value(std::string& out, const nlohmann::json& value, bool mermaid) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (mermaid) {
      out += "```mermaid\n" + text + (text.ends_with('\n') ? "" : "\n") + "```\n";
    } else {
      out += (text.empty() ? "(none)" : text) + "\n";
    }
    return;
  }
  if (value.is_array()) {
    if (value.empty()) {
      out += "(none)\n";
      return;
    }
    bool rows = std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) {
      return v.is_array() && !v.empty() &&
             std::all_of(v.begin(), v.end(), [](const nlohmann::json& c) { return !c.is_structured(); });
    });
    if (rows) {
      std::size_t width = 0;
      for (const auto& row : value) width = std::max(width, row.size());
      out += "|";
      for (std::size_t i = 0; i < width; ++i) out += " |";
      out += "\n|";
      for (std::size_t i = 0; i < width; ++i) out += "---|";
      out += "\n";
      for (const auto& row : value) {
        out += "|";
        for (std::size_t i = 0; i < width; ++i) out += " " + (i < row.size() ? table_cell(row[i]) : "") + " |";
        out += "\n";
      }
      return;
    }
    for (const auto& item : value) {
      if (item.is_structured()) out += "- `" + item.dump() + "`\n";
      else out += "- " + scalar_text(item) + "\n";
    }
    return;
  }
  if (value.is_object()) {
    out += "```json\n" + value.dump(2) + "\n```\n";
    return;
  }
  out += scalar_text(value) + "\n";
}

}  // namespace

std::string document_markdown(const std::string& title, const nlohmann::json& document,
                              const OutputSchema& schema, const std::set<std::string>& mermaid_fields) {
  std::string out = "# " + title + "\n";
  std::set<std::string> done;
  auto section = [&](const std::string& key) {
    if (!document.contains(key) || !done.insert(key).second) return;
    out += "\n## " + key + "\n\n";
    render_value(out, document.at(key), mermaid_fields.count(key) > 0);
  };
  for (const auto& field : schema.fields) section(field.name);
  if (document.is_object()) {
    for (const auto& [key, value] : document.items()) section(key);
  }
  return out;
}

}  // namespace agentco
