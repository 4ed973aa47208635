// The steps that write a file: code, rewrite, fix, tests and test fixes. Each reads the
// file's name, the design and the files it imports from the prompt, and nothing else.
#include <algorithm>
#include <regex>

#include "tests/support/reading/design.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading/python.hpp"
#include "tests/support/reading/steps.hpp"

namespace agentco::testing::reading {

namespace {

std::string fenced_python(const std::string& code) { return "```python\n" + code + "```\n"; }

// The name after `prefix` in a heading, else the word after `task_prefix` in the Task section.
std::string file_named(std::string_view prompt, std::string_view heading_prefix, std::string_view task_pattern) {
  if (auto name = heading_rest(prompt, heading_prefix)) {
    auto n = *name;
    if (const auto comma = n.find(','); comma != std::string::npos) n.resize(comma);
    return trim(n);
  }
  const auto task = task_section(prompt);
  std::smatch m;
  if (std::regex_search(task, m, std::regex(std::string(task_pattern)))) return m[1];
  return {};
}

// The files this file uses as the prompt shows them: the code under "The files it imports",
// else the design's diagram; classes shown nowhere go to `unseen`.
std::vector<Known> known_uses(std::string_view prompt, const Design& design, const std::vector<std::string>& classes,
                              std::vector<std::string>& unseen) {
  std::vector<Known> shown;
  if (auto deps = section(prompt, "The files it imports")) {
    for (const auto& [name, code] : named_fences(*deps)) {
      const auto module = read_python(code);
      for (const auto& cls : module.classes) {
        Known k{name, cls, {}};
        for (const auto& d : module.defs)
          if (d.owner == cls && !d.name.starts_with('_')) k.methods.push_back(d.name);
        shown.push_back(std::move(k));
      }
    }
  }
  std::vector<Known> out;
  for (const auto& cls : classes) {
    const auto it = std::find_if(shown.begin(), shown.end(), [&](const Known& k) { return k.cls == cls; });
    if (it != shown.end()) {
      out.push_back(*it);
      continue;
    }
    const auto* spec = design.class_named(cls);
    const auto file = design.file_of(cls);
    if (spec && !file.empty()) {
      Known k{file, cls, {}};
      for (const auto& m : spec->methods) k.methods.push_back(m.name);
      out.push_back(std::move(k));
    } else {
      unseen.push_back(cls);
    }
  }
  return out;
}

// The classes main.py uses: those its task row imports ("X from x.py"), else the diagram's
// classes that no other class uses.
std::vector<std::string> main_uses(std::string_view prompt, const Design& design) {
  std::vector<std::string> out;
  const auto task = section(prompt, "Its task").value_or("");
  static const std::regex kImport(R"((\w+) from ([\w/]+\.py))");
  for (auto it = std::sregex_iterator(task.begin(), task.end(), kImport); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  if (!out.empty()) return out;
  for (const auto& c : design.classes) {
    const bool used = std::any_of(design.classes.begin(), design.classes.end(), [&](const ClassSpec& o) {
      return std::find(o.uses.begin(), o.uses.end(), c.name) != o.uses.end();
    });
    if (!used) out.push_back(c.name);
  }
  return out;
}

std::string requirement_in(std::string_view prompt) {
  return trim(shown_field(prompt, "Original Requirements").value_or("the program"));
}

// The file written from the design as the prompt shows it.
std::string write_file(std::string_view prompt, const std::string& file, Defects defects) {
  const auto design = shown_design(prompt);
  std::vector<std::string> unseen;
  if (file == "main.py") {
    auto deps = known_uses(prompt, design, main_uses(prompt, design), unseen);
    return write_main(deps, requirement_in(prompt));
  }
  const auto* spec = design.class_of(file);
  const auto deps = spec ? known_uses(prompt, design, spec->uses, unseen) : std::vector<Known>{};
  return write_module(file, spec, deps, unseen, defects);
}

// The files that carry the deliberate defects: two of the design's modules, chosen by the
// file list alone (a prompt may show only the classes that concern its file) so that every
// project has its own and every prompt of a run picks the same two.
std::pair<std::string, std::string> defect_files(const Design& design) {
  std::vector<std::string> modules;
  for (const auto& f : design.files)
    if (f != "main.py" && f.ends_with(".py")) modules.push_back(f);
  if (modules.empty()) return {};
  std::string all;
  for (const auto& f : design.files) all += f + "\n";
  const auto i = fnv(all) % modules.size();
  return {modules[i], modules.size() > 1 ? modules[(i + 1) % modules.size()] : std::string()};
}

std::string current_code(std::string_view prompt) {
  return first_fence(section(prompt, "Current code of").value_or("")).value_or("");
}

}  // namespace

std::string answer_code(std::string_view prompt, const ReadingOptions& options) {
  const auto file = file_named(prompt, "Your file:", R"(code of (\S+) in)");
  const auto [drop, slip] = defect_files(shown_design(prompt));
  Defects defects;
  defects.drop_method = options.drop_method && file == drop;
  defects.slip = options.slip && file == slip;
  return fenced_python(write_file(prompt, file, defects));
}

std::string answer_rewrite(std::string_view prompt) {
  const auto file = file_named(prompt, "Your file:", R"(Rewrite (\S+) in)");
  return fenced_python(write_file(prompt, file, {}));
}

std::string answer_fix_code(std::string_view prompt) {
  const auto file = file_named(prompt, "Your file:", R"(Fix (\S+) so)");
  const auto code = current_code(prompt);
  const auto output = section(prompt, "What QA's run printed").value_or("");
  if (auto repaired = repair_from_output(file, code, output)) return fenced_python(*repaired);
  // Nothing to repair in place: write the file again from the design, when it is shown.
  if (!shown_design(prompt).classes.empty() || file == "main.py") return fenced_python(write_file(prompt, file, {}));
  return fenced_python(code);
}

std::string answer_tests(std::string_view prompt) {
  const auto file = file_named(prompt, "Source file ", R"(unit tests for (\S+) in)");
  const auto code = first_fence(section(prompt, "Source file ").value_or("")).value_or("");
  return fenced_python(write_tests(file, code));
}

std::string answer_fix_test(std::string_view prompt) {
  const auto file = file_named(prompt, "The source file under test:", R"(^$)");
  const auto code = first_fence(section(prompt, "The source file under test:").value_or("")).value_or("");
  return fenced_python(write_tests(file, code));
}

}  // namespace agentco::testing::reading
