#include "actions/design_excerpt.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actions/code_plan.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"
#include "llm/ledger.hpp"

// Written by hand: no Debian package parses mermaid, and the few line forms a classDiagram
// uses (class blocks, "A : member", relations with optional cardinalities) are all we need.
namespace agentco {
namespace {

struct Relation {
  std::string from, to;
};

const std::regex kClassLine(R"(^\s*class\s+(\w+))");
const std::regex kRelationLine(
    R"(^\s*(\w+)\s*(?:"[^"]*"\s*)?(?:<\|?|\*|o)?(?:--|\.\.)(?:\|?>|\*|o(?=[\s"]))?\s*(?:"[^"]*"\s*)?(\w+))");
const std::regex kMemberLine(R"(^\s*(\w+)\s*:[^:])");
const std::regex kAnnotationLine(R"(^\s*<<[^>]*>>\s*(\w+))");

bool opens_block(const std::string& line) { return line.find('{') != std::string::npos && line.find('}') == std::string::npos; }

// The diagram's lines, each with the classes it is about: one for a class block's lines and a
// member line, two for a relation, none for the rest. nullopt when the text is no classDiagram
// or uses a form this reader does not follow (namespaces).
struct DiagramLine {
  std::string text;
  std::vector<std::string> about;
};

std::optional<std::vector<DiagramLine>> read_diagram(const std::string& diagram) {
  const std::string_view body = trim_view(diagram);
  if (!body.starts_with("classDiagram")) return std::nullopt;
  std::vector<DiagramLine> out;
  std::string block;  // the class whose { ... } we are in
  for (auto& line : split_lines(std::string(body))) {
    std::smatch m;
    const std::string_view t = trim_view(line);
    if (!block.empty()) {
      const bool closes = t == "}";
      out.push_back({std::move(line), {block}});
      if (closes) block.clear();
      continue;
    }
    if (t.starts_with("namespace ")) return std::nullopt;
    if (line.size() > kRegexInputLimit) {
      out.push_back({std::move(line), {}});
    } else if (std::regex_search(line, m, kClassLine)) {
      std::string name = m[1];
      if (opens_block(line)) block = name;
      out.push_back({std::move(line), {std::move(name)}});
    } else if (std::regex_search(line, m, kRelationLine)) {
      out.push_back({line, {m[1], m[2]}});
    } else if (std::regex_search(line, m, kAnnotationLine) || std::regex_search(line, m, kMemberLine)) {
      out.push_back({line, {m[1]}});
    } else {
      out.push_back({std::move(line), {}});
    }
  }
  return out;
}

std::vector<Relation> relations_of(const std::vector<DiagramLine>& lines) {
  std::vector<Relation> out;
  for (const auto& l : lines) {
    if (l.about.size() == 2) out.push_back({l.about[0], l.about[1]});
  }
  return out;
}

std::string squashed(std::string_view text) {
  std::string out;
  for (char c : to_lower(text)) {
    if (c != '_' && c != '-') out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> class_diagram_classes(const std::string& diagram) {
  std::vector<std::string> out;
  const auto lines = read_diagram(diagram);
  if (!lines) return out;
  for (const auto& l : *lines) {
    for (const auto& name : l.about) {
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
  return out;
}

std::string class_diagram_excerpt(const std::string& diagram, const std::vector<std::string>& keep) {
  const auto lines = read_diagram(diagram);
  if (!lines) return "";
  const std::set<std::string> kept(keep.begin(), keep.end());
  std::string out;
  for (const auto& l : *lines) {
    const bool shown = std::all_of(l.about.begin(), l.about.end(), [&](const std::string& c) { return kept.count(c) > 0; });
    if (shown) out += l.text + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::vector<std::string> classes_for_file(const std::string& diagram, const std::string& path,
                                          const std::string& task_row) {
  const auto lines = read_diagram(diagram);
  if (!lines) return {};
  const std::vector<std::string> all = class_diagram_classes(diagram);
  const std::string stem = squashed(std::filesystem::path(path).stem().string());
  std::set<std::string> own, kept;
  for (const auto& c : all) {
    if (squashed(c) == stem) own.insert(c);
    if (mentions_word(task_row, c)) kept.insert(c);
  }
  if (own.empty() && kept.empty()) return {};
  kept.insert(own.begin(), own.end());
  for (const auto& r : relations_of(*lines)) {
    if (own.count(r.from)) kept.insert(r.to);
    if (own.count(r.to)) kept.insert(r.from);
  }
  if (kept.size() >= all.size()) return {};
  std::vector<std::string> out;
  for (const auto& c : all) {
    if (kept.count(c)) out.push_back(c);
  }
  return out;
}

bool whole_design_for(RunContext& run, const std::string& model) {
  const std::string& mode = run.config.run.file_design;
  bool whole = mode == "whole";
  std::string why = "run.file_design: " + mode;
  if (mode == "auto") {
    const std::string entry = CostLedger(run.config.pricing, 0).priced_as("", model);
    const auto price = run.config.pricing.find(entry);
    const bool priced = price != run.config.pricing.end() && price->second.prompt_per_1k > 0;
    const double share = priced && price->second.cached_per_1k
                             ? *price->second.cached_per_1k / price->second.prompt_per_1k
                             : 1.0;
    whole = share <= 0.3;
    why = !priced ? fmt::format("run.file_design: auto; model '{}' has no pricing: entry", model)
          : price->second.cached_per_1k
              ? fmt::format("run.file_design: auto; pricing.{} prices cached prompt tokens at {:.0f}% of the prompt "
                            "price",
                            entry, 100.0 * share)
              : fmt::format("run.file_design: auto; pricing.{} has no cached price", entry);
  }
  if (run.file_design_said.insert(model).second) {
    run.trace.append("file_design", {{"model", model}, {"design", whole ? "whole" : "excerpt"}, {"why", why}});
    spdlog::info("prompts about one file show {} to model '{}' ({})",
                 whole ? "the whole design" : "the design as it concerns the file", model, why);
  }
  return whole;
}

std::vector<SizedText> file_design_sizes(RunContext& run, const std::string& path, const std::string& task_row,
                                         const std::string& model) {
  auto doc = run.documents.find("system_design");
  if (doc == run.documents.end()) return {{"none", "(not written yet)"}};
  static const DocumentLayout kNoLayout;
  auto layout_it = run.document_layouts.find("system_design");
  const DocumentLayout& layout = layout_it == run.document_layouts.end() ? kNoLayout : layout_it->second;
  nlohmann::json design = doc->second;
  if (design.is_object()) {
    for (auto& [field, value] : design.items()) {
      if (!value.is_string()) continue;
      const std::string diagram = value.get<std::string>();
      const auto keep = classes_for_file(diagram, path, task_row);
      if (keep.empty()) continue;
      std::string excerpt = class_diagram_excerpt(diagram, keep);
      const auto header_end = excerpt.find('\n');
      excerpt.insert(header_end == std::string::npos ? excerpt.size() : header_end,
                     fmt::format("\n    %% only what concerns {}: {} of the design's {} classes", path, keep.size(),
                                 class_diagram_classes(diagram).size()));
      value = excerpt;
    }
  }
  SizedText excerpt{"as it concerns the file", document_prompt_text(design, layout.fields, layout.brief)};
  if (!whole_design_for(run, model)) return {std::move(excerpt)};
  return {{"whole", document_prompt_text(doc->second, layout.fields)}, std::move(excerpt)};
}

}  // namespace agentco
