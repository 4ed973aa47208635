// The planning steps: PRD, design and task list, as JSON with exactly the keys that the
// prompt's format section lists.
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "tests/support/reading/design.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading/steps.hpp"

namespace agentco::testing::reading {

namespace {

using json = nlohmann::json;

// A value of `type` for a field the reading model has nothing particular to say about.
json filler(const std::string& key, const std::string& type) {
  if (type.starts_with("list[list")) return json::array({json::array({key, "none"})});
  if (type.starts_with("list")) return json::array();
  return "";
}

// The JSON reply: the prompt's nodes in order, each from `known` or else a filler.
std::string content(std::string_view prompt, const std::map<std::string, json>& known) {
  json out = json::object();
  for (const auto& [key, type] : format_nodes(prompt)) {
    const auto it = known.find(key);
    out[key] = it != known.end() ? it->second : filler(key, type);
  }
  return "[CONTENT]\n" + out.dump(4) + "\n[/CONTENT]";
}

// Under its own heading only: the format example's "Original Requirements" is another project's.
std::string requirement_shown(std::string_view prompt) {
  if (auto r = section(prompt, "The user's requirement")) return trim(*r);
  return {};
}

}  // namespace

std::string answer_prd(std::string_view prompt) {
  const auto requirement = requirement_shown(prompt);
  const auto shown = requirement.empty() ? std::string("(the prompt shows no requirement)") : requirement;
  return content(prompt,
                 {{"Language", "en_us"},
                  {"Programming Language", "Python"},
                  {"Original Requirements", shown},
                  {"Project Name", slugify(requirement.empty() ? "unnamed" : requirement, 30)},
                  {"Product Goals", json::array({"Do what the requirement asks: " + shown, "Run offline from one command"})},
                  {"User Stories", json::array({"As a user, I run the program and see its parts at work"})},
                  {"Competitive Analysis", json::array({"A shell script: no structure", "A spreadsheet: no automation"})},
                  {"Competitive Quadrant Chart",
                   "quadrantChart\n    title Reach and engagement\n    x-axis Low Reach --> High Reach\n"
                   "    y-axis Low Engagement --> High Engagement\n    quadrant-1 Expand\n    quadrant-2 Promote\n"
                   "    quadrant-3 Re-evaluate\n    quadrant-4 Improve\n    Script: [0.3, 0.4]\n"
                   "    Our product: [0.6, 0.7]"},
                  {"Requirement Analysis", "The program must: " + shown},
                  {"Requirement Pool", json::array({json::array({"P0", shown})})},
                  {"UI Design draft", "Run python3 main.py; it prints one line per part."},
                  {"Anything UNCLEAR", requirement.empty() ? "The prompt shows no requirement." : ""}});
}

std::string answer_design(std::string_view prompt) {
  const auto requirement = trim(shown_field(prompt, "Original Requirements").value_or(""));
  const auto design = plan_project(requirement);
  std::string approach = "Python's standard library only. main.py builds " +
                         (design.classes.empty() ? std::string("nothing") : design.classes.front().name) +
                         ", which builds the classes it uses; each class lives in the file named after it.";
  return content(prompt, {{"Implementation approach", approach},
                          {"File list", json(design.files)},
                          {"Data structures and interfaces", class_diagram(design)},
                          {"Program call flow", call_flow(design)},
                          {"Anything UNCLEAR", requirement.empty() ? "The prompt shows no PRD." : ""}});
}

std::string answer_tasks(std::string_view prompt) {
  const auto design = shown_design(prompt);
  std::set<std::string> used;
  for (const auto& c : design.classes)
    for (const auto& u : c.uses) used.insert(u);
  json analysis = json::array();
  std::vector<std::string> order;
  std::set<std::string> placed;
  std::function<void(const std::string&)> place = [&](const std::string& file) {
    if (placed.count(file)) return;
    placed.insert(file);
    if (const auto* spec = design.class_of(file))
      for (const auto& u : spec->uses)
        if (auto f = design.file_of(u); !f.empty()) place(f);
    order.push_back(file);
  };
  for (const auto& file : design.files) {
    if (file == "main.py") continue;
    place(file);
  }
  for (const auto& file : order) {
    const auto* spec = design.class_of(file);
    if (!spec) {
      analysis.push_back(json::array({file, "The design gives this file no class."}));
      continue;
    }
    std::string methods;
    for (const auto& m : spec->methods) methods += (methods.empty() ? "" : ", ") + m.name;
    const auto imports = imports_text(design, *spec);
    analysis.push_back(json::array({file, spec->name + ": " + methods + "; imports " +
                                              (imports.empty() ? std::string("nothing of the project") : imports)}));
  }
  if (std::find(design.files.begin(), design.files.end(), "main.py") != design.files.end()) {
    std::string roots;
    for (const auto& c : design.classes)
      if (!used.count(c.name) && !design.file_of(c.name).empty())
        roots += (roots.empty() ? "" : ", ") + c.name + " from " + design.file_of(c.name);
    analysis.push_back(json::array({"main.py", "main(): builds the top classes and prints what their methods return; imports " +
                                                   (roots.empty() ? std::string("nothing of the project") : roots)}));
    order.push_back("main.py");
  }
  return content(prompt, {{"Required packages", json::array()},
                          {"Required Other language third-party packages", json::array()},
                          {"Logic Analysis", analysis},
                          {"Task list", json(order)},
                          {"Full API spec", ""},
                          {"Shared Knowledge", "Every class is built without arguments; describe() names it."},
                          {"Anything UNCLEAR", design.files.empty() ? "The prompt shows no design." : ""}});
}

}  // namespace agentco::testing::reading
