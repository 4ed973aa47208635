// The two-agent chat phases (SOP type chat) and votes, read from what the messages show. The
// answering side learns its end marker, and whether it must give files, from its system
// prompt; what it is asked, from the phase text of the instructor's first message: the
// product's form, the language, a code review, the program's files, requirements.txt, the
// manual, or a change to the files listed. ChatDev's chain (sop/chatdev.yaml) is the model.
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "core/text.hpp"
#include "tests/support/reading/design.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading/python.hpp"
#include "tests/support/reading/steps.hpp"

namespace agentco::testing::reading {

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

std::string first_user(const std::vector<ChatMessage>& messages) {
  for (const auto& m : messages)
    if (m.role == "user") return m.content;
  return {};
}

bool has_word(std::string_view text, std::string_view word) {
  const std::regex pattern("\\b" + std::string(word) + "\\b", std::regex::icase);
  return std::regex_search(text.begin(), text.end(), pattern);
}

// The customer's requirement as the prompt shows it, "" when it shows none.
std::string requirement_of(std::string_view prompt) {
  for (const char* title : {"The customer's task", "The requirement", "The user's requirement"})
    if (auto text = section(prompt, title)) return trim(*text);
  return {};
}

// What the phase asks: the text under "Phase...", else under "Task", else the whole prompt.
std::string phase_of(std::string_view prompt) {
  if (auto text = section(prompt, "Phase")) return *text;
  if (auto task = task_section(prompt); !task.empty()) return task;
  return std::string(prompt);
}

// The example the phase gives for its conclusion (e.g. "Python"), "" when none.
std::string example_in(std::string_view phase) {
  static const std::regex kExample(R"re(e\.g\.\s*"([^"]+)")re");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(phase.begin(), phase.end(), m, kExample)) return m[1];
  return {};
}

struct PhaseAnswer {
  std::string first;       // the answer before hearing back
  std::string conclusion;  // what follows the marker once the discussion has concluded
  bool at_once = false;    // conclude with the first answer
};

// ---- Decisions -----------------------------------------------------------------------------

// The form the requirement asks for among those the phase offers; else the phase's example.
PhaseAnswer choose_form(std::string_view requirement, std::string_view phase) {
  struct Form {
    const char* name;
    const char* offered;  // how the phase names it
    std::vector<const char*> words;
  };
  static const std::vector<Form> kForms = {
      {"Website", "website", {"website", "web site", "web page", "web app", "browser"}},
      {"Game", "game", {"game"}},
      {"Dashboard", "dashboard", {"dashboard"}},
      {"Document", "document", {"document"}},
      {"Desktop application", "desktop application", {"desktop", "window", "gui"}},
      {"Command-line program",
       "command-line",
       {"cli", "command-line", "command line", "terminal", "console"}},
  };
  if (requirement.empty())
    return {"The prompt does not show the customer's task, so I cannot tell which form fits it.",
            "The prompt does not show the customer's task."};
  const auto offered = to_lower(phase);
  for (const auto& form : kForms) {
    if (offered.find(form.offered) == std::string::npos) continue;
    for (const char* word : form.words)
      if (has_word(requirement, word))
        return {"I propose: " + std::string(form.name) + ". The customer asks for \"" +
                    std::string(requirement) + "\", and \"" + word + "\" says which form it takes.",
                form.name};
  }
  auto fallback = example_in(phase);
  if (fallback.empty()) fallback = "Application";
  return {"I propose: " + fallback + ". \"" + std::string(requirement) +
              "\" names no particular form, and a plain program is the smallest product that does it.",
          fallback};
}

PhaseAnswer choose_language(std::string_view requirement, std::string_view phase) {
  auto language = example_in(phase);
  if (language.empty()) language = "Python";
  return {"I propose " + language +
              ": it runs everywhere without a build step, and its standard library is "
              "enough for \"" +
              std::string(requirement.empty() ? "the task" : requirement) + "\".",
          language};
}

PhaseAnswer review(std::string_view prompt, const Files& files) {
  for (const auto& h : headings(prompt))
    if (h.title.ends_with(" (interface)"))
      return {
          "The prompt shows only the interfaces of the files, not their code: I cannot review code I am not "
          "shown.",
          "The prompt shows only the interfaces of the files, not their code."};
  if (files.empty()) return {"The prompt shows no code to review.", "The prompt shows no code to review."};
  if (auto problem = code_problem(files)) return {*problem, *problem};
  return {"Finished", "Finished", true};
}

// ---- Files ---------------------------------------------------------------------------------

std::string fence_language(std::string_view name) {
  if (name.ends_with(".py")) return "python";
  if (name.ends_with(".md")) return "markdown";
  return "text";
}

// Each file as its name on a line of its own, then its content in a fenced block.
std::string files_text(const Files& files) {
  std::string out;
  for (const auto& [name, content] : files) {
    out += (out.empty() ? "" : "\n") + name + "\n```" + fence_language(name) + "\n" + content;
    if (!content.ends_with('\n')) out += "\n";
    out += "```\n";
  }
  return out;
}

std::string stem(std::string_view file) {
  auto base = file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  return std::string(base.substr(0, base.find('.')));
}

// The program for the requirement: the reading model's own design (main.py and N-1
// modules), written whole. With options.slip, the module main.py uses first has a misspelled
// local name: a review that reads the code, or a run, finds it.
Files write_program(std::string_view requirement, const ReadingOptions& options) {
  const auto design = plan_project(requirement);
  auto known = [&](const std::string& cls) {
    Known k{design.file_of(cls), cls, {}};
    if (const auto* spec = design.class_named(cls))
      for (const auto& m : spec->methods) k.methods.push_back(m.name);
    return k;
  };
  std::vector<Known> roots;
  for (const auto& c : design.classes) {
    const bool used = std::any_of(design.classes.begin(), design.classes.end(), [&](const ClassSpec& o) {
      return std::find(o.uses.begin(), o.uses.end(), c.name) != o.uses.end();
    });
    if (!used) roots.push_back(known(c.name));
  }
  Files out;
  out.emplace_back(
      "main.py", write_main(roots, requirement.empty() ? "(the prompt shows no requirement)" : requirement));
  const std::string slip_file = options.slip && !roots.empty() ? roots.front().file : "";
  for (const auto& file : design.files) {
    if (file == "main.py") continue;
    const auto* spec = design.class_of(file);
    std::vector<Known> deps;
    if (spec)
      for (const auto& used : spec->uses) deps.push_back(known(used));
    Defects defects;
    defects.slip = file == slip_file;
    out.emplace_back(file, write_module(file, spec, deps, {}, defects));
  }
  return out;
}

bool is_standard_module(const std::string& name) {
  static const std::set<std::string> kStandard = {
      "abc",         "argparse",   "array",     "asyncio",   "base64",     "bisect",      "calendar",
      "collections", "contextlib", "copy",      "csv",       "curses",     "dataclasses", "datetime",
      "decimal",     "enum",       "fractions", "functools", "getpass",    "glob",        "hashlib",
      "heapq",       "html",       "http",      "io",        "itertools",  "json",        "logging",
      "math",        "operator",   "os",        "pathlib",   "pickle",     "platform",    "pprint",
      "queue",       "random",     "re",        "secrets",   "shutil",     "signal",      "socket",
      "sqlite3",     "statistics", "string",    "struct",    "subprocess", "sys",         "tempfile",
      "textwrap",    "threading",  "time",      "timeit",    "tkinter",    "traceback",   "turtle",
      "typing",      "unittest",   "urllib",    "uuid",      "warnings",   "weakref",     "xml",
      "zipfile"};
  return kStandard.count(name) > 0;
}

// The packages the listed files import that are neither the project's nor the standard library's.
std::vector<std::string> third_party(const Files& listed) {
  std::set<std::string> own;
  for (const auto& [file, code] : listed) own.insert(stem(file));
  std::vector<std::string> out;
  for (const auto& [file, code] : listed)
    for (const auto& module : imported_modules(code))
      if (!own.count(module) && !is_standard_module(module) &&
          std::find(out.begin(), out.end(), module) == out.end())
        out.push_back(module);
  return out;
}

std::string requirements_txt(const Files& listed) {
  if (listed.empty()) return "# The prompt shows no code, so what it needs cannot be told.\n";
  const auto packages = third_party(listed);
  if (packages.empty()) return "# Only the Python standard library is needed: there is nothing to install.\n";
  std::string out;
  for (const auto& p : packages) out += p + "\n";
  return out;
}

// requirements.txt as the prompt shows it (its name on a line, then a fenced block).
std::optional<std::string> shown_requirements(std::string_view prompt) {
  static const std::regex kShown(R"(requirements\.txt\s*\n\s*```[^\n]*\n([\s\S]*?)```)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(prompt.begin(), prompt.end(), m, kShown)) return m[1].str();
  return std::nullopt;
}

// The first docstring line of a def or class body, "" when it has none.
std::string docstring(const std::vector<std::string>& body) {
  for (const auto& line : body) {
    auto t = trim(line);
    if (t.empty()) continue;
    if (!t.starts_with("\"\"\"")) return {};
    t = t.substr(3);
    if (const auto end = t.find("\"\"\""); end != std::string::npos) t.resize(end);
    return trim(t);
  }
  return {};
}

std::string manual_md(std::string_view prompt, std::string_view requirement, const Files& listed) {
  std::string title(requirement.empty() ? "The program" : requirement);
  if (!title.empty()) title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  std::string out = "# " + title + "\n\n";
  if (listed.empty())
    return out + "The prompt shows no code, so this manual cannot say how to start or use it.\n";
  std::string entry;
  for (const auto& [file, code] : listed)
    if (entry.empty() && code.find("__main__") != std::string::npos) entry = file;
  if (entry.empty()) entry = "main.py";
  out += "This program does what the customer asked for: " + std::string(requirement) +
         ". It is written in "
         "Python, in " +
         std::to_string(listed.size()) + " files; " + entry + " is where it starts.\n\n";

  out += "## Install\n\nYou need Python 3.8 or later.";
  if (auto shown = shown_requirements(prompt)) {
    std::vector<std::string> packages;
    for (const auto& line : lines(*shown))
      if (!trim(line).empty() && !trim(line).starts_with('#')) packages.push_back(trim(line));
    if (packages.empty()) {
      out += " Nothing else: requirements.txt lists no package";
      for (const auto& line : lines(*shown))
        if (trim(line).starts_with('#')) {
          auto said = trim(trim(line).substr(1));
          while (said.ends_with('.')) said.pop_back();
          out += " (it says: " + said + ")";
          break;
        }
      out += ".\n\n";
    } else {
      out += " Then install what requirements.txt lists (";
      for (std::size_t i = 0; i < packages.size(); ++i) out += (i ? ", " : "") + packages[i];
      out += "):\n\n    pip install -r requirements.txt\n\n";
    }
  } else {
    out += " The prompt does not show requirements.txt, so this manual cannot say what else to install.\n\n";
  }

  out += "## Start\n\nFrom the folder that holds the files:\n\n    python3 " + entry + "\n\n";
  bool reads_input = false;
  for (const auto& [file, code] : listed)
    reads_input = reads_input || code.find("input(") != std::string::npos ||
                  code.find("sys.stdin") != std::string::npos;
  out += reads_input ? "It reads what you type (standard input) and ends at the end of input (Ctrl-D).\n\n"
                     : "It needs no input: it prints what its parts do and exits.\n\n";

  out += "## Its parts\n\n";
  for (const auto& [file, code] : listed) {
    const auto module = read_python(code);
    out += "### " + file + "\n\n";
    const auto module_doc = docstring(lines(code));
    if (!module_doc.empty()) out += module_doc + "\n\n";
    for (const auto& def : module.defs) {
      if (def.name.starts_with('_')) continue;
      std::string params;
      for (const auto& [name, type] : def.params)
        params += (params.empty() ? "" : ", ") + name + (type.empty() ? "" : ": " + type);
      out += "- `" + (def.owner.empty() ? "" : def.owner + ".") + def.name + "(" + params + ")" +
             (def.returns.empty() ? "" : " -> " + def.returns) + "`";
      const auto doc = docstring(def.body);
      out += doc.empty() ? "\n" : ": " + doc + "\n";
    }
    out += "\n";
  }
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

bool names_file(std::string_view text, const std::string& file) {
  for (auto at = text.find(file); at != std::string_view::npos; at = text.find(file, at + 1)) {
    const bool starts =
        at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_');
    const auto end = at + file.size();
    const bool ends =
        end >= text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_');
    if (starts && ends) return true;
  }
  return false;
}

// A change to the files listed, from what the phase says: the renames a review asks for, the
// NameError a run printed, the placeholders left. The files it changes, else those the phase
// names, as they are; none when neither.
Files change_listed(std::string_view phase, const Files& listed) {
  Files changed, named;
  for (const auto& [file, code] : listed) {
    std::string next = code;
    if (names_file(phase, file)) {
      named.emplace_back(file, code);
      next = apply_renames(next, phase);
    }
    if (auto repaired = repair_from_output(file, next, phase)) next = *repaired;
    next = complete_placeholders(next);
    if (next != code) changed.emplace_back(file, next);
  }
  return changed.empty() ? named : changed;
}

PhaseAnswer write_files(std::string_view prompt, std::string_view phase, const ReadingOptions& options) {
  const auto requirement = requirement_of(prompt);
  const auto listed = named_fences(prompt);
  const auto asked = to_lower(phase);
  Files files;
  if (asked.find("requirements.txt") != std::string::npos) {
    files.emplace_back("requirements.txt", requirements_txt(listed));
  } else if (asked.find("manual.md") != std::string::npos || asked.find("user manual") != std::string::npos) {
    files.emplace_back("manual.md", manual_md(prompt, requirement, listed));
  } else if (!listed.empty()) {
    files = change_listed(phase, listed);
    if (files.empty())
      return {
          "I see nothing to change in the files shown: the phase names none of them and none holds a fault I "
          "can see.",
          "Nothing to change."};
  } else {
    files = write_program(requirement, options);
  }
  std::string names;
  for (const auto& [name, content] : files) names += (names.empty() ? "" : ", ") + name;
  return {files_text(files), "Written: " + names + "."};
}

// What the answering side says, from the phase it is asked.
PhaseAnswer answer_phase(const std::string& system, std::string_view prompt, const ReadingOptions& options) {
  const auto phase = phase_of(prompt);
  const bool give_files =
      system.find("on a line of its own followed by its code in a fenced block") != std::string::npos;
  if (give_files) return write_files(prompt, phase, options);
  static const std::regex kForm(R"(\bform\b[^.]*\bproduct\b|\bproduct\b[^.]*\bform\b)", std::regex::icase);
  static const std::regex kLanguage(R"(programming language)", std::regex::icase);
  static const std::regex kReview(R"(^\s*Review the code)", std::regex::icase | std::regex::multiline);
  if (std::regex_search(phase, kForm)) return choose_form(requirement_of(prompt), phase);
  if (std::regex_search(phase, kLanguage)) return choose_language(requirement_of(prompt), phase);
  if (std::regex_search(phase, kReview)) return review(prompt, named_fences(prompt));
  const std::string task = trim(phase);
  const std::string said = "My answer to the task (" + task.substr(0, task.find('\n')) + "): " +
                           trim(section(prompt, "The requirement").value_or("what the requirement asks"));
  return {said, said};
}

}  // namespace

std::optional<std::string> answer_chat(const std::vector<ChatMessage>& messages,
                                       const ReadingOptions& options) {
  if (messages.empty() || messages.front().role != "system") return std::nullopt;
  const std::string& system = messages.front().content;
  static const std::regex kMarkerRule(R"(start your reply with (\S+) followed by the conclusion)");
  std::smatch m;
  if (std::regex_search(system, m, kMarkerRule)) {
    const auto answer = answer_phase(system, first_user(messages), options);
    const bool answered = std::any_of(messages.begin(), messages.end(),
                                      [](const ChatMessage& c) { return c.role == "assistant"; });
    if (answer.at_once || answered) return m[1].str() + " " + answer.conclusion;
    return answer.first;
  }
  if (system.find("You lead a discussion with") != std::string::npos) return "I agree. Please conclude.";
  return std::nullopt;
}

std::optional<std::string> answer_vote(std::string_view prompt) {
  static const std::regex kBallot(R"(Answer with exactly one of: (.+?)\. Put it first)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(prompt.begin(), prompt.end(), m, kBallot)) return std::nullopt;
  std::vector<std::string> options;
  const std::string list = m[1];
  for (std::size_t start = 0; start <= list.size();) {
    auto comma = list.find(", ", start);
    if (comma == std::string::npos) comma = list.size();
    if (auto option = trim(std::string_view(list).substr(start, comma - start)); !option.empty())
      options.push_back(option);
    start = comma + 2;
  }
  if (options.empty()) return std::nullopt;
  // What the voter is shown: the prompt without the ballot's own line.
  const std::string shown =
      std::string(prompt.substr(0, m.position(0))) + std::string(prompt.substr(m.position(0) + m.length(0)));
  // How often the prompt names each option: as a whole phrase, else word by word (words of
  // two letters or more: a one-letter option such as "A" is not counted in the text).
  auto occurrences = [&](const std::string& pattern) {
    const std::regex word("\\b" + pattern + "\\b", std::regex::icase);
    return static_cast<int>(
        std::distance(std::sregex_iterator(shown.begin(), shown.end(), word), std::sregex_iterator()));
  };
  static const std::regex kWord(R"([A-Za-z0-9_]{2,})");
  std::vector<int> counts;
  for (const auto& option : options) {
    const bool plain = std::all_of(option.begin(), option.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' || c == '-';
    });
    counts.push_back(plain && option.size() >= 2 ? occurrences(option) : 0);
  }
  if (std::all_of(counts.begin(), counts.end(), [](int c) { return c == 0; }))
    for (std::size_t i = 0; i < options.size(); ++i)
      for (auto it = std::sregex_iterator(options[i].begin(), options[i].end(), kWord);
           it != std::sregex_iterator(); ++it)
        counts[i] += occurrences(it->str());
  std::size_t best = 0;
  int best_count = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > best_count) best_count = counts[i], best = i;
  if (best_count == 0)
    return options.front() +
           ". The messages shown favour none of the options, so I take the first one listed.";
  const bool tie = std::count(counts.begin(), counts.end(), best_count) > 1;
  return options[best] + ". The messages shown name it " + std::to_string(best_count) + " time" +
         (best_count == 1 ? "" : "s") +
         (tie ? ", as often as another option, and it comes first in the list."
              : ", more than any other option.");
}

}  // namespace agentco::testing::reading
