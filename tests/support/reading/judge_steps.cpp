// The steps that judge what was written: review, summary, manual and triage.
#include <algorithm>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "tests/support/reading/design.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading/python.hpp"
#include "tests/support/reading/steps.hpp"

namespace agentco::testing::reading {

namespace {

using json = nlohmann::json;

// What the design gives `file` and the code shown lacks, one line each.
std::vector<std::string> missing_parts(const Design& design, const std::string& file, std::string_view code) {
  std::vector<std::string> out;
  const auto module = read_python(code);
  if (file == "main.py" || file.ends_with("/main.py")) {
    if (!module.defines("", "main")) out.push_back("main() is missing: the entry point the design calls");
    return out;
  }
  const auto* spec = design.class_of(file);
  if (!spec) return out;
  if (std::find(module.classes.begin(), module.classes.end(), spec->name) == module.classes.end()) {
    out.push_back("class " + spec->name + " is missing");
    return out;
  }
  for (const auto& m : spec->methods) {
    if (module.defines(spec->name, m.name)) continue;
    std::string params;
    for (const auto& [name, type] : m.params) params += ", " + name + ": " + type;
    out.push_back("`" + spec->name + "." + m.name + "(self" + params + ") -> " + m.returns +
                  "` is missing: the design gives it to " + file);
  }
  return out;
}

std::string content(std::string_view prompt, const std::map<std::string, json>& known) {
  json out = json::object();
  for (const auto& [key, type] : format_nodes(prompt)) {
    const auto it = known.find(key);
    out[key] = it != known.end() ? it->second : json("");
  }
  return "[CONTENT]\n" + out.dump(4) + "\n[/CONTENT]";
}

}  // namespace

std::string answer_review(std::string_view prompt) {
  const auto file = trim(heading_rest(prompt, "Code to review:").value_or(""));
  const auto code = first_fence(section(prompt, "Code to review:").value_or(""));
  const auto design = shown_design(prompt);
  std::vector<std::string> problems;
  if (!code || read_python(*code).defs.empty()) {
    problems.push_back("the prompt does not show the Python code of " + file + " under \"Code to review\"");
  } else {
    if (design.classes.empty() && file != "main.py") problems.push_back("the prompt shows no design to check " + file + " against");
    for (auto& p : missing_parts(design, file, *code)) problems.push_back(std::move(p));
    if (code->find("NotImplementedError") != std::string::npos)
      problems.push_back("a method raises NotImplementedError instead of doing its work");
  }
  std::string out = "## Code Review: " + file + "\n";
  const bool ok = problems.empty();
  out += ok ? "1. Yes.\n2. Yes.\n3. Yes.\n4. Yes.\n5. Yes.\n6. Yes.\n7. Yes.\n"
            : "1. No. " + problems.front() + ".\n2. Yes.\n3. No, see the actions.\n4. No, see the actions.\n5. Yes.\n6. Yes.\n7. Yes.\n";
  out += "\n## Actions\n";
  if (ok) out += "none\n";
  for (std::size_t i = 0; i < problems.size(); ++i) out += std::to_string(i + 1) + ". " + problems[i] + ".\n";
  out += "\n## Code Review Result\n";
  out += ok ? "LGTM" : "LBTM";
  return out;
}

std::string answer_summary(std::string_view prompt) {
  const auto design = shown_design(prompt);
  const auto files = named_fences(section(prompt, "The code as written").value_or(""));
  json todos = json::array();
  std::string summary;
  for (const auto& [file, code] : files) {
    const auto module = read_python(code);
    summary += file + " defines " + (module.classes.empty() ? std::string("functions") : module.classes.front()) + "; ";
    for (const auto& missing : missing_parts(design, file, code)) todos.push_back(json::array({file, missing}));
  }
  if (files.empty()) summary = "The prompt shows no code.";
  return content(prompt, {{"Summary", summary}, {"TODOs", todos}});
}

std::string answer_manual(std::string_view prompt) {
  const auto files = named_fences(section(prompt, "The code as written").value_or(""));
  const auto name = trim(shown_field(prompt, "Project Name").value_or("The project"));
  const auto requirement = trim(shown_field(prompt, "Original Requirements").value_or(""));
  std::string out = "# " + name + "\n\n" + requirement + "\n\n";
  if (files.empty()) return out + "The prompt shows no code, so this manual cannot say what the program does.\n";
  out += "## What it needs\nNothing but Python 3's standard library.\n\n## How to run it\n```\npython3 main.py\n```\n\n";
  out += "## Its parts\n";
  for (const auto& [file, code] : files) {
    const auto module = read_python(code);
    std::string methods;
    for (const auto& d : module.defs)
      if (!d.name.starts_with('_')) methods += (methods.empty() ? "" : ", ") + d.name + "()";
    out += "- `" + file + "`: " + (module.classes.empty() ? std::string() : module.classes.front() + " with ") + methods + "\n";
  }
  // The test command as "How QA runs the code" shows it.
  static const std::regex kTestCommand(R"(`(python3 -m unittest[^`]*)`)");
  std::smatch m;
  const std::string text(prompt);
  if (std::regex_search(text, m, kTestCommand))
    out += "\n## How to run its tests\nFrom the project folder, one test file at a time:\n```\n" + m[1].str() + "\n```\n";
  return out;
}

std::string answer_triage(std::string_view prompt) {
  const auto output = trim(section(prompt, "What QA's run printed").value_or(""));
  if (output.empty()) return content(prompt, {{"Decision", "give_up"}, {"File", ""}, {"Reason", "the prompt shows no output of QA's run"}});
  // The project's source files: the design's list and the files the listings name.
  auto design = shown_design(prompt);
  std::vector<std::string> sources = design.files;
  for (const auto& [file, code] : named_fences(section(prompt, "All source files").value_or(""))) sources.push_back(file);
  static const std::regex kFrame(R"re(File "([^"]+)", line (\d+))re");
  std::string culprit, frame_line;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), kFrame); it != std::sregex_iterator(); ++it) {
    const std::string path = (*it)[1];
    const auto base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    if (base.starts_with("test_") || path.find("/tests/") != std::string::npos || path.starts_with("tests/")) continue;
    for (const auto& s : sources)
      if (path == s || path.ends_with("/" + s)) culprit = s, frame_line = (*it)[0];
  }
  // The error line: the last line that names an exception.
  std::string error_line;
  static const std::regex kError(R"(^\w*(Error|Exception)\b.*$)");
  for (const auto& line : lines(output))
    if (std::regex_search(line, kError)) error_line = trim(line);
  if (!culprit.empty())
    return content(prompt, {{"Decision", "fix_code"},
                            {"File", culprit},
                            {"Reason", "\"" + error_line + "\" raised at " + frame_line + " of " + culprit}});
  if (auto shown = heading_rest(prompt, "The source file the traceback points to:"); shown && !shown->empty())
    return content(prompt, {{"Decision", "fix_code"}, {"File", *shown}, {"Reason", "the test fails: " + error_line}});
  return content(prompt, {{"Decision", "give_up"}, {"File", ""}, {"Reason", "the output names no file of the project"}});
}

}  // namespace agentco::testing::reading
