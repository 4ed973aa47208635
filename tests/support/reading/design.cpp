#include "tests/support/reading/design.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include "tests/support/reading/prompt_text.hpp"

namespace agentco::testing::reading {

const ClassSpec* Design::class_named(std::string_view name) const {
  for (const auto& c : classes)
    if (c.name == name) return &c;
  return nullptr;
}

const ClassSpec* Design::class_of(std::string_view file) const { return class_named(camel(file)); }

std::string Design::file_of(std::string_view class_name) const {
  for (const auto& f : files)
    if (camel(f) == class_name) return f;
  return {};
}

std::string camel(std::string_view file) {
  auto stem = file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  std::string out;
  bool upper = true;
  for (char c : stem) {
    if (c == '_' || c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

namespace {

std::vector<std::pair<std::string, std::string>> parse_params(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const auto part = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (part.empty() || part == "self") continue;
    if (const auto colon = part.find(':'); colon != std::string::npos) {
      out.emplace_back(trim(std::string_view(part).substr(0, colon)), trim(std::string_view(part).substr(colon + 1)));
    } else if (const auto space = part.rfind(' '); space != std::string::npos) {  // "int count"
      out.emplace_back(trim(std::string_view(part).substr(space + 1)), trim(std::string_view(part).substr(0, space)));
    } else {
      out.emplace_back(part, "");
    }
  }
  return out;
}

}  // namespace

std::vector<ClassSpec> parse_class_diagram(std::string_view mermaid) {
  static const std::regex kClass(R"(^\s*class\s+(\w+)\s*(\{)?)");
  static const std::regex kRelation(R"(^\s*(\w+)\s*(?:"[^"]*"\s*)?(-->|\.\.>|\*--|o--|--)\s*(?:"[^"]*"\s*)?(\w+))");
  static const std::regex kMethod(R"(^\s*[+\-#~]?\s*(\w+)\s*\(([^)]*)\)\s*:?\s*([\w\[\], .|]*)\s*$)");
  static const std::regex kField(R"(^\s*[+\-#~]?\s*(\w+)\s*:\s*([\w\[\], .|]+)\s*$)");
  static const std::regex kFieldTypeFirst(R"(^\s*[+\-#~]?\s*([\w\[\],.|]+)\s+(\w+)\s*$)");
  std::vector<ClassSpec> out;
  auto find_or_add = [&out](const std::string& name) -> ClassSpec& {
    for (auto& c : out)
      if (c.name == name) return c;
    out.push_back({name, {}, {}, {}});
    return out.back();
  };
  std::string current;
  for (const auto& line : lines(mermaid)) {
    std::smatch m;
    if (!current.empty()) {
      if (trim(line) == "}") {
        current.clear();
        continue;
      }
      auto& spec = find_or_add(current);
      if (std::regex_match(line, m, kMethod)) {
        if (m[1] != "__init__") spec.methods.push_back({m[1], parse_params(m[2].str()), trim(m[3].str())});
      } else if (std::regex_match(line, m, kField)) {
        spec.fields.emplace_back(m[1], trim(m[2].str()));
      } else if (std::regex_match(line, m, kFieldTypeFirst)) {
        spec.fields.emplace_back(m[2], m[1]);
      }
      continue;
    }
    if (std::regex_search(line, m, kClass)) {
      find_or_add(m[1]);
      if (m[2].matched) current = m[1];
    } else if (std::regex_search(line, m, kRelation)) {
      find_or_add(m[3]);
      auto& user = find_or_add(m[1]);  // after the other: adding may move elements
      if (std::find(user.uses.begin(), user.uses.end(), m[3].str()) == user.uses.end()) user.uses.push_back(m[3]);
    }
  }
  return out;
}

Design shown_design(std::string_view prompt) {
  Design design;
  if (auto files = shown_field(prompt, "File list")) design.files = list_items(*files);
  if (auto diagram = shown_field(prompt, "Data structures and interfaces")) {
    const auto at = diagram->find("classDiagram");
    if (at != std::string::npos) design.classes = parse_class_diagram(std::string_view(*diagram).substr(at));
  }
  for (auto& f : design.files) {  // "`main.py`" or "main.py: the entry point"
    f = f.substr(0, f.find(':'));
    f.erase(std::remove(f.begin(), f.end(), '`'), f.end());
    f = trim(f);
  }
  return design;
}

int requested_files(std::string_view requirement) {
  static const std::regex kCount(R"((\d+)\s+(?:source\s+)?(?:files|modules))", std::regex::icase);
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(requirement.begin(), requirement.end(), m, kCount)) {
    const int n = std::stoi(m[1].str());
    return std::clamp(n, 2, 40);
  }
  return 4;
}

namespace {

constexpr std::array<std::string_view, 40> kNouns = {
    "board",    "engine",    "store",     "rules",   "timer",    "scorer",   "parser",   "printer",
    "loader",   "tracker",   "ledger",    "planner", "router",   "cache",    "queue",    "sieve",
    "mapper",   "reducer",   "counter",   "checker", "formatter", "recorder", "indexer", "builder",
    "reporter", "scheduler", "validator", "converter", "locator", "sampler",  "splitter", "merger",
    "monitor",  "selector",  "encoder",   "decoder", "resolver", "launcher", "collector", "catalog"};
constexpr std::array<std::string_view, 8> kVerbs = {"advance", "score", "measure", "expand",
                                                    "weigh",   "rank",  "shift",   "stretch"};
constexpr std::array<std::string_view, 8> kStates = {"is_ready", "is_valid", "is_full",   "is_open",
                                                     "is_even",  "is_stable", "is_active", "is_clear"};

}  // namespace

Design plan_project(std::string_view requirement) {
  const int n = requested_files(requirement);
  const std::size_t offset = fnv(requirement) % kNouns.size();
  Design design;
  design.files.push_back("main.py");
  const int modules = n - 1;
  for (int k = 0; k < modules; ++k) design.files.push_back(std::string(kNouns[(offset + k) % kNouns.size()]) + ".py");
  for (int k = 0; k < modules; ++k) {
    ClassSpec spec;
    spec.name = camel(design.files[k + 1]);
    for (int child : {2 * k + 1, 2 * k + 2}) {
      if (child >= modules) continue;
      const auto used = camel(design.files[child + 1]);
      spec.uses.push_back(used);
      std::string field = design.files[child + 1].substr(0, design.files[child + 1].size() - 3);
      spec.fields.emplace_back(field, used);
    }
    spec.methods.push_back({"describe", {}, "str"});
    spec.methods.push_back({std::string(kVerbs[(offset + k) % kVerbs.size()]), {{"count", "int"}}, "int"});
    spec.methods.push_back({std::string(kStates[(offset + 3 * k) % kStates.size()]), {{"value", "int"}}, "bool"});
    design.classes.push_back(std::move(spec));
  }
  return design;
}

std::string class_diagram(const Design& design) {
  std::string out = "classDiagram\n";
  for (const auto& c : design.classes) {
    out += "    class " + c.name + " {\n";
    for (const auto& [name, type] : c.fields) out += "        -" + name + ": " + type + "\n";
    out += "        +__init__() None\n";
    for (const auto& m : c.methods) {
      std::string params;
      for (const auto& [name, type] : m.params) params += (params.empty() ? "" : ", ") + name + ": " + type;
      out += "        +" + m.name + "(" + params + ") " + m.returns + "\n";
    }
    out += "    }\n";
  }
  for (const auto& c : design.classes)
    for (const auto& used : c.uses) out += "    " + c.name + " --> " + used + "\n";
  return out;
}

std::string call_flow(const Design& design) {
  std::string out = "sequenceDiagram\n    participant M as main\n";
  if (design.classes.empty()) return out;
  const auto& top = design.classes.front();
  out += "    participant T as " + top.name + "\n";
  out += "    M->>T: " + top.name + "()\n";
  for (const auto& m : top.methods) {
    std::string args;
    for (std::size_t i = 0; i < m.params.size(); ++i) args += (i ? ", " : "") + std::string("2");
    out += "    M->>T: " + m.name + "(" + args + ")\n    T-->>M: " + m.returns + "\n";
  }
  return out;
}

std::string imports_text(const Design& design, const ClassSpec& spec) {
  std::string out;
  for (const auto& used : spec.uses) out += (out.empty() ? "" : ", ") + used + " from " + design.file_of(used);
  return out;
}

}  // namespace agentco::testing::reading
