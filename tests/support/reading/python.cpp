#include "tests/support/reading/python.hpp"

#include <algorithm>
#include <optional>
#include <regex>
#include <set>

#include "core/text.hpp"
#include "tests/support/reading/prompt_text.hpp"

namespace agentco::testing::reading {

bool PyModule::defines(std::string_view owner, std::string_view name) const {
  return std::any_of(defs.begin(), defs.end(), [&](const PyDef& d) { return d.owner == owner && d.name == name; });
}

namespace {

std::vector<std::pair<std::string, std::string>> python_params(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    auto part = trim(text.substr(start, comma - start));
    start = comma + 1;
    part = part.substr(0, part.find('='));
    part = trim(part);
    if (part.empty() || part == "self" || part == "cls" || part.starts_with('*')) continue;
    const auto colon = part.find(':');
    if (colon == std::string::npos)
      out.emplace_back(part, "");
    else
      out.emplace_back(trim(std::string_view(part).substr(0, colon)), trim(std::string_view(part).substr(colon + 1)));
  }
  return out;
}

std::string stem_of(std::string_view file) {
  auto stem = file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  return std::string(stem.substr(0, stem.find('.')));
}

// Two numbers per method, from its name: the arithmetic the reading model writes.
std::pair<int, int> factors(std::string_view owner, std::string_view method) {
  const auto h = fnv(std::string(owner) + "." + std::string(method));
  return {static_cast<int>(2 + h % 5), static_cast<int>(1 + (h >> 8) % 7)};
}

std::string default_value(std::string_view type) {
  if (type == "int") return "0";
  if (type == "float") return "0.0";
  if (type == "str") return "\"\"";
  if (type == "bool") return "False";
  if (type.starts_with("list") || type.starts_with("List")) return "[]";
  if (type.starts_with("dict") || type.starts_with("Dict")) return "{}";
  return "None";
}

std::string sample_argument(std::string_view type) {
  if (type == "int" || type.empty()) return "2";
  if (type == "float") return "2.0";
  if (type == "str") return "\"sample\"";
  if (type == "bool") return "True";
  return default_value(type);
}

const Known* known_class(const std::vector<Known>& deps, std::string_view cls) {
  for (const auto& d : deps)
    if (d.cls == cls) return &d;
  return nullptr;
}

}  // namespace

PyModule read_python(std::string_view code) {
  static const std::regex kClass(R"(^class\s+(\w+))");
  static const std::regex kDef(R"(^(\s*)def\s+(\w+)\s*\((.*)\)\s*(?:->\s*([^:]+))?:)");
  PyModule module;
  std::string current_class;
  PyDef* open = nullptr;
  std::size_t open_indent = 0;
  for (const auto& line : lines(code)) {
    std::smatch m;
    const auto indent = line.find_first_not_of(' ');
    if (open && indent != std::string::npos && indent > open_indent) {
      open->body.push_back(line);
      continue;
    }
    if (open && indent == std::string::npos) continue;
    open = nullptr;
    if (std::regex_search(line, m, kClass)) {
      current_class = m[1];
      module.classes.push_back(current_class);
    } else if (std::regex_search(line, m, kDef)) {
      const bool method = m[1].length() > 0;
      if (!method) current_class.clear();
      module.defs.push_back({method ? current_class : "", m[2], python_params(m[3].str()), trim(m[4].str()), {}});
      open = &module.defs.back();
      open_indent = static_cast<std::size_t>(m[1].length());
    } else if (indent == 0) {
      current_class.clear();
    }
  }
  return module;
}

std::string write_module(const std::string& file, const ClassSpec* spec, const std::vector<Known>& deps,
                         const std::vector<std::string>& unseen, Defects defects) {
  std::string out = "\"\"\"" + file + ": ";
  if (!spec) {
    out += "the prompt shows no class for this file.\"\"\"\n\n\n"
           "def describe() -> str:\n"
           "    raise NotImplementedError(\"reading model: the prompt does not show the design of " + file + "\")\n";
    return out;
  }
  out += spec->name + ", as the design gives it.\"\"\"\n";
  for (const auto& d : deps) out += "from " + stem_of(d.file) + " import " + d.cls + "\n";
  out += "\n\nclass " + spec->name + ":\n";
  out += "    \"\"\"" + spec->name + (spec->uses.empty() ? "" : ": uses the classes it holds") + ".\"\"\"\n\n";
  out += "    def __init__(self) -> None:\n";
  bool any_field = false;
  for (const auto& [name, type] : spec->fields) {
    any_field = true;
    if (known_class(deps, type))
      out += "        self." + name + ": " + type + " = " + type + "()\n";
    else if (std::find(unseen.begin(), unseen.end(), type) != unseen.end())
      out += "        raise NotImplementedError(\"reading model: the prompt does not show " + type + "\")\n";
    else
      out += "        self." + name + " = " + default_value(type) + "\n";
  }
  if (!any_field) out += "        self.created: bool = True\n";

  std::size_t last_kept = spec->methods.size();
  if (defects.drop_method) {
    for (std::size_t i = spec->methods.size(); i-- > 0;)
      if (spec->methods[i].name != "describe") {
        last_kept = i;
        break;
      }
  }
  bool slipped = false;
  for (std::size_t i = 0; i < spec->methods.size(); ++i) {
    if (i == last_kept) continue;
    const auto& method = spec->methods[i];
    std::string params;
    for (const auto& [name, type] : method.params) params += ", " + name + (type.empty() ? "" : ": " + type);
    out += "\n    def " + method.name + "(self" + params + ")" + (method.returns.empty() ? "" : " -> " + method.returns) + ":\n";
    const std::string first = method.params.empty() ? "" : method.params.front().first;
    const auto [a, b] = factors(spec->name, method.name);
    if (method.returns == "str") {
      out += "        \"\"\"Name this part and the parts it uses.\"\"\"\n";
      out += "        parts = [\"" + spec->name + "\"]\n";
      for (const auto& [name, type] : spec->fields) {
        const auto* dep = known_class(deps, type);
        if (dep && std::find(dep->methods.begin(), dep->methods.end(), "describe") != dep->methods.end())
          out += "        parts.append(self." + name + ".describe())\n";
      }
      out += "        return \" > \".join(parts)\n";
    } else if (method.returns == "int") {
      out += "        \"\"\"Return " + (first.empty() ? std::to_string(a) : first + " * " + std::to_string(a) + " + " + std::to_string(b)) + ".\"\"\"\n";
      out += "        result = " + (first.empty() ? std::to_string(a) : first + " * " + std::to_string(a) + " + " + std::to_string(b)) + "\n";
      const bool slip = defects.slip && !slipped;
      slipped = slipped || slip;
      out += slip ? "        return reslt\n" : "        return result\n";
    } else if (method.returns == "bool") {
      out += "        \"\"\"Return True when the value is a multiple of " + std::to_string(a) + ".\"\"\"\n";
      out += first.empty() ? "        return True\n" : "        return " + first + " % " + std::to_string(a) + " == 0\n";
    } else {
      out += "        \"\"\"Return the default " + (method.returns.empty() ? std::string("value") : method.returns) + ".\"\"\"\n";
      out += "        return " + default_value(method.returns) + "\n";
    }
  }
  return out;
}

std::string write_main(const std::vector<Known>& deps, std::string_view requirement) {
  std::string out = "\"\"\"main.py: the entry point.\"\"\"\n";
  for (const auto& d : deps) out += "from " + stem_of(d.file) + " import " + d.cls + "\n";
  out += "\n\ndef main() -> int:\n";
  out += "    \"\"\"Build the parts and print what they do.\"\"\"\n";
  std::string shown(requirement.substr(0, 60));
  std::replace(shown.begin(), shown.end(), '"', '\'');
  std::replace(shown.begin(), shown.end(), '\\', '/');
  std::replace(shown.begin(), shown.end(), '\n', ' ');
  out += "    print(\"" + shown + "\")\n";
  for (const auto& d : deps) {
    const auto var = "the_" + stem_of(d.file);
    out += "    " + var + " = " + d.cls + "()\n";
    for (const auto& m : d.methods) out += "    print(\"" + m + ":\", " + var + "." + m + "(" + (m == "describe" ? "" : "2") + "))\n";
  }
  out += "    return 0\n\n\nif __name__ == \"__main__\":\n    raise SystemExit(main())\n";
  return out;
}

std::string write_tests(const std::string& file, std::string_view code) {
  const auto stem = stem_of(file);
  std::string out = "\"\"\"Tests of " + file + ".\"\"\"\nimport unittest\n\n";
  if (trim(code).empty()) {
    out += "\nclass TestShown(unittest.TestCase):\n    def test_code_is_shown(self) -> None:\n"
           "        self.fail(\"reading model: the prompt does not show the code of " + file + "\")\n";
    out += "\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
    return out;
  }
  const auto module = read_python(code);
  out += "import " + stem + "\n";
  static const std::regex kArithmetic(R"(^\s*(?:result\s*=|return)\s*(\w+)\s*\*\s*(\d+)\s*\+\s*(\d+)\s*$)");
  static const std::regex kModulo(R"(^\s*return\s+(\w+)\s*%\s*(\d+)\s*==\s*0\s*$)");
  static const std::regex kParts(R"re(^\s*parts\s*=\s*\["(\w+)"\]\s*$)re");
  auto check = [&](const PyDef& def, const std::string& call) {
    std::smatch m;
    for (const auto& line : def.body) {
      if (std::regex_match(line, m, kArithmetic) && !def.params.empty() && m[1] == def.params.front().first)
        return "        self.assertEqual(" + call + ", " + std::to_string(2 * std::stoi(m[2]) + std::stoi(m[3])) + ")\n";
      if (std::regex_match(line, m, kModulo) && !def.params.empty() && m[1] == def.params.front().first)
        return "        self.assertEqual(" + call + ", " + (2 % std::stoi(m[2]) == 0 ? "True" : "False") + ")\n";
      if (std::regex_match(line, m, kParts))
        return "        self.assertTrue(" + call + ".startswith(\"" + m[1].str() + "\"))\n";
    }
    static const std::set<std::string> kTypes = {"int", "str", "bool", "float", "list", "dict"};
    if (kTypes.count(def.returns)) return "        self.assertIsInstance(" + call + ", " + def.returns + ")\n";
    return "        " + call + "\n";
  };
  auto arguments = [](const PyDef& def) {
    std::string args;
    for (const auto& [name, type] : def.params) args += (args.empty() ? "" : ", ") + sample_argument(type);
    return args;
  };
  bool any = false;
  for (const auto& cls : module.classes) {
    out += "\n\nclass Test" + cls + "(unittest.TestCase):\n";
    std::string init_args;
    for (const auto& def : module.defs)
      if (def.owner == cls && def.name == "__init__") init_args = arguments(def);
    out += "    def setUp(self) -> None:\n        self.subject = " + stem + "." + cls + "(" + init_args + ")\n";
    for (const auto& def : module.defs) {
      if (def.owner != cls || def.name.starts_with('_')) continue;
      out += "\n    def test_" + def.name + "(self) -> None:\n";
      out += check(def, "self.subject." + def.name + "(" + arguments(def) + ")");
      any = true;
    }
  }
  std::string functions;
  for (const auto& def : module.defs) {
    if (!def.owner.empty() || def.name.starts_with('_')) continue;
    functions += "\n    def test_" + def.name + "(self) -> None:\n";
    if (def.name == "main" && def.params.empty())
      functions += "        self.assertEqual(" + stem + ".main(), 0)\n";
    else
      functions += check(def, stem + "." + def.name + "(" + arguments(def) + ")");
  }
  if (!functions.empty()) {
    out += "\n\nclass TestFunctions(unittest.TestCase):" + functions;
    any = true;
  }
  if (!any) out += "\n\nclass TestImport(unittest.TestCase):\n    def test_imports(self) -> None:\n        self.assertIsNotNone(" + stem + ")\n";
  out += "\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
  return out;
}

std::optional<std::string> repair_from_output(const std::string& file, const std::string& code,
                                              std::string_view output) {
  static const std::regex kNameError(R"(NameError: name '(\w+)' is not defined)");
  static const std::regex kFrame(R"re(File "([^"]+)", line (\d+))re");
  const std::string text(output);
  std::smatch m;
  if (!std::regex_search(text, m, kNameError)) return std::nullopt;
  const std::string wrong = m[1];
  int line_no = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kFrame); it != std::sregex_iterator(); ++it) {
    const std::string path = (*it)[1];
    if (path == file || path.ends_with("/" + file)) line_no = std::stoi((*it)[2]);
  }
  if (line_no == 0) return std::nullopt;  // the failure is not on a line of this file
  auto code_lines = lines(code);
  if (line_no > static_cast<int>(code_lines.size())) return std::nullopt;
  // The names the code defines: assignments, parameters, defs, classes and imports.
  static const std::regex kName(R"((\w+)\s*(?::[^=\n]*)?=[^=]|def\s+(\w+)|class\s+(\w+)|import\s+(\w+)|\((?:self,\s*)?(\w+)\s*:)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kName); it != std::sregex_iterator(); ++it)
    for (int g = 1; g <= 5; ++g)
      if ((*it)[g].matched) names.insert((*it)[g]);
  names.erase(wrong);
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& name : names) {
    const auto d = edit_distance(wrong, name);
    if (d < best_distance) best_distance = d, best = name;
  }
  if (best.empty()) return std::nullopt;
  auto& bad = code_lines[static_cast<std::size_t>(line_no - 1)];
  bad = std::regex_replace(bad, std::regex("\\b" + wrong + "\\b"), best);
  std::string fixed;
  for (const auto& l : code_lines) fixed += l + "\n";
  return fixed;
}

// ---- Code shown as a listing of whole files --------------------------------------------

namespace {

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

std::size_t indent_of(const std::string& line) {
  const auto i = line.find_first_not_of(' ');
  return i == std::string::npos ? 0 : i;
}

// A def as it stands in the file's lines: [line, end) holds the def line and its body.
struct DefAt {
  std::size_t line = 0, end = 0, indent = 0;
  std::string owner, name, returns;
  std::vector<std::pair<std::string, std::string>> params;
};

std::vector<DefAt> defs_at(const std::vector<std::string>& code) {
  static const std::regex kClassLine(R"(^(\s*)class\s+(\w+))");
  static const std::regex kDefLine(R"(^(\s*)def\s+(\w+)\s*\((.*)\)\s*(?:->\s*([^:]+))?:\s*(?:#.*)?$)");
  std::vector<DefAt> out;
  std::string cls;
  std::size_t cls_indent = 0;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const auto& line = code[i];
    if (blank(line)) continue;
    const auto indent = indent_of(line);
    std::smatch m;
    if (std::regex_search(line, m, kClassLine)) {
      cls = m[2];
      cls_indent = indent;
      continue;
    }
    if (!cls.empty() && indent <= cls_indent) cls.clear();
    if (!std::regex_search(line, m, kDefLine)) continue;
    DefAt d;
    d.line = i;
    d.indent = indent;
    d.owner = cls;
    d.name = m[2];
    d.params = python_params(m[3].str());
    d.returns = trim(m[4].str());
    std::size_t end = i + 1;
    while (end < code.size() && (blank(code[end]) || indent_of(code[end]) > indent)) ++end;
    while (end > i + 1 && blank(code[end - 1])) --end;
    d.end = end;
    out.push_back(std::move(d));
  }
  return out;
}

// A def's body: where its docstring ends, its statements (no comments, no blank lines), and
// whether a TODO is written in it.
struct BodyShape {
  std::size_t docstring_end = 0;
  std::vector<std::string> statements;
  bool todo = false;
};

BodyShape shape_of(const std::vector<std::string>& code, const DefAt& d) {
  BodyShape s;
  std::size_t i = d.line + 1;
  while (i < d.end && blank(code[i])) ++i;
  s.docstring_end = d.line + 1;
  if (i < d.end) {
    const auto first = trim(code[i]);
    for (const std::string q : {"\"\"\"", "'''"}) {
      if (!first.starts_with(q)) continue;
      std::size_t j = i;
      if (first.size() < 6 || !first.ends_with(q))
        for (j = i + 1; j < d.end && code[j].find(q) == std::string::npos;) ++j;
      s.docstring_end = std::min(j + 1, d.end);
      break;
    }
  }
  for (std::size_t k = s.docstring_end; k < d.end; ++k) {
    const auto t = trim(code[k]);
    if (t.find("TODO") != std::string::npos) s.todo = true;
    if (t.empty() || t.starts_with('#')) continue;
    s.statements.push_back(t);
  }
  return s;
}

// What stands in for the body's logic ("pass", "...", "raise NotImplementedError", "a TODO"),
// or nullopt when the body has some.
std::optional<std::string> placeholder_of(const BodyShape& s) {
  if (s.statements.empty()) return s.todo ? std::optional<std::string>("a TODO") : std::nullopt;
  for (const auto& t : s.statements)
    if (t != "pass" && t != "..." && !t.starts_with("raise NotImplementedError")) return std::nullopt;
  const auto& first = s.statements.front();
  return first.starts_with("raise") ? std::string("raise NotImplementedError") : first;
}

// A body for a def from its signature: the arithmetic write_module writes.
std::string body_for(const DefAt& d) {
  const std::string pad(d.indent + 4, ' ');
  const std::string first = d.params.empty() ? "" : d.params.front().first;
  const std::string type = d.params.empty() ? "" : d.params.front().second;
  const bool number = !first.empty() && (type.empty() || type == "int" || type == "float");
  const auto [a, b] = factors(d.owner.empty() ? "module" : d.owner, d.name);
  const std::string sa = std::to_string(a), sb = std::to_string(b);
  if (d.returns == "int") return pad + "return " + (number ? "int(" + first + " * " + sa + " + " + sb + ")" : sa) + "\n";
  if (d.returns == "float") return pad + "return " + (number ? first + " * " + sa + ".0" : sa + ".0") + "\n";
  if (d.returns == "str") return pad + "return \"" + (d.owner.empty() ? d.name : d.owner) + "\"\n";
  if (d.returns == "bool") return pad + "return " + (number ? "int(" + first + ") % " + sa + " == 0" : "True") + "\n";
  if (d.name == "main" && d.returns.empty()) return pad + "print(\"main\")\n" + pad + "return 0\n";
  return pad + "return " + default_value(d.returns) + "\n";
}

// The line without a TODO comment: nullopt for a comment line that is only a TODO.
std::optional<std::string> without_todo(const std::string& line) {
  const auto at = line.find("TODO");
  if (at == std::string::npos) return line;
  const auto hash = line.rfind('#', at);
  if (hash == std::string::npos) return line;
  if (trim(std::string_view(line).substr(0, hash)).empty()) return std::nullopt;
  auto kept = line.substr(0, hash);
  while (!kept.empty() && kept.back() == ' ') kept.pop_back();
  return kept;
}

// The names a module defines at its top level: classes, defs, assignments and imports.
std::set<std::string> module_names(std::string_view code) {
  static const std::regex kTop(
      R"(^(?:class|def)\s+(\w+)|^(\w+)\s*(?::[^=]*)?=[^=]|^import\s+(\w+)|^from\s+\S+\s+import\s+(.+)$)");
  std::set<std::string> names;
  for (const auto& line : lines(code)) {
    std::smatch m;
    if (!std::regex_search(line, m, kTop)) continue;
    for (int g = 1; g <= 3; ++g)
      if (m[g].matched) names.insert(m[g]);
    if (m[4].matched) {
      static const std::regex kName(R"((\w+)(?:\s+as\s+(\w+))?)");
      const std::string list = m[4];
      for (auto it = std::sregex_iterator(list.begin(), list.end(), kName); it != std::sregex_iterator(); ++it)
        names.insert((*it)[2].matched ? (*it)[2] : (*it)[1]);
    }
  }
  return names;
}

// The nearest of `candidates` to `word` (at most two edits), or "".
std::string nearest(const std::string& word, const std::set<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const auto d = edit_distance(word, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  return best;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nothing" : out;
}

const std::set<std::string>& builtin_names() {
  static const std::set<std::string> names = {
      "True", "False", "None", "print", "len", "range", "str", "int", "float", "bool", "list", "dict", "set",
      "tuple", "sum", "min", "max", "abs", "sorted", "enumerate", "zip", "map", "filter", "input", "open",
      "any", "all", "isinstance", "super", "object", "type", "repr", "round", "iter", "next", "self", "cls"};
  return names;
}

std::string where_of(const std::string& owner, const std::string& name) {
  return (owner.empty() ? "" : owner + ".") + name + "()";
}

std::optional<std::string> import_problem(const std::string& file, const std::string& code,
                                          const std::vector<std::pair<std::string, std::string>>& files) {
  static const std::regex kFrom(R"(^\s*from\s+(\w+)\s+import\s+\(?([^)#]+)\)?)");
  static const std::regex kName(R"((\w+)(?:\s+as\s+\w+)?)");
  for (const auto& line : lines(code)) {
    std::smatch m;
    if (!std::regex_search(line, m, kFrom)) continue;
    const std::string stem = m[1];
    const auto shown = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.first == stem + ".py"; });
    if (shown == files.end()) continue;
    const auto defined = module_names(shown->second);
    const std::string list = m[2];
    for (auto it = std::sregex_iterator(list.begin(), list.end(), kName); it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (defined.count(name)) continue;
      std::string out = "In " + file + ", `from " + stem + " import " + name + "` imports a name that " + stem +
                        ".py does not define (it defines " + joined(defined) +
                        "), so the program stops with an ImportError.";
      const auto fix = nearest(name, defined);
      out += fix.empty() ? " Fix: define " + name + " in " + stem + ".py or import a name it defines."
                         : " Fix: replace `" + name + "` with `" + fix + "` in " + file + ".";
      return out;
    }
  }
  return std::nullopt;
}

std::optional<std::string> undefined_return(const std::string& file, const std::string& code) {
  static const std::regex kReturn(R"(^\s*return\s+([A-Za-z_]\w*)\s*$)");
  static const std::regex kBound(R"((\w+)\s*(?::[^=]*)?=[^=]|for\s+(\w+)|as\s+(\w+)|def\s+(\w+)|import\s+(\w+))");
  const auto top = module_names(code);
  const auto module = read_python(code);
  for (const auto& d : module.defs) {
    std::set<std::string> local;
    for (const auto& [name, type] : d.params) local.insert(name);
    for (const auto& line : d.body)
      for (auto it = std::sregex_iterator(line.begin(), line.end(), kBound); it != std::sregex_iterator(); ++it)
        for (int g = 1; g <= 5; ++g)
          if ((*it)[g].matched) local.insert((*it)[g]);
    for (const auto& line : d.body) {
      std::smatch m;
      if (!std::regex_match(line, m, kReturn)) continue;
      const std::string name = m[1];
      if (local.count(name) || top.count(name) || builtin_names().count(name)) continue;
      const auto fix = nearest(name, local);
      return "In " + file + ", " + where_of(d.owner, d.name) + " returns `" + name +
             "`, which it never defines, so calling it raises a NameError." +
             (fix.empty() ? " Fix: compute " + name + " before returning it."
                          : " Fix: replace `" + name + "` with `" + fix + "` in " + file + ".");
    }
  }
  return std::nullopt;
}

std::optional<std::string> placeholder_problem(const std::string& file, const std::string& code) {
  const auto code_lines = lines(code);
  for (const auto& d : defs_at(code_lines)) {
    const auto placeholder = placeholder_of(shape_of(code_lines, d));
    if (!placeholder) continue;
    return "In " + file + ", " + where_of(d.owner, d.name) + " has no logic: its body is only " +
           (*placeholder == "a TODO" ? *placeholder : "`" + *placeholder + "`") + ". Fix: implement it" +
           (d.returns.empty() ? "." : " so that it returns the " + d.returns + " its signature promises.");
  }
  for (std::size_t i = 0; i < code_lines.size(); ++i)
    if (code_lines[i].find("TODO") != std::string::npos)
      return "In " + file + ", line " + std::to_string(i + 1) + " still holds a TODO (" + trim(code_lines[i]) +
             "). Fix: do what it says and remove it.";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> code_problem(const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [file, code] : files)
    if (file.ends_with(".py"))
      if (auto p = import_problem(file, code, files)) return p;
  for (const auto& [file, code] : files)
    if (file.ends_with(".py"))
      if (auto p = undefined_return(file, code)) return p;
  for (const auto& [file, code] : files)
    if (file.ends_with(".py"))
      if (auto p = placeholder_problem(file, code)) return p;
  return std::nullopt;
}

std::string complete_placeholders(const std::string& code) {
  const auto code_lines = lines(code);
  std::string out;
  std::size_t next = 0;
  auto keep = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k)
      if (auto line = without_todo(code_lines[k])) out += *line + "\n";
  };
  for (const auto& d : defs_at(code_lines)) {
    if (d.line < next) continue;  // inside a def already rewritten
    const auto shape = shape_of(code_lines, d);
    if (!placeholder_of(shape)) continue;
    keep(next, shape.docstring_end);
    out += body_for(d);
    next = d.end;
  }
  keep(next, code_lines.size());
  return out;
}

std::string apply_renames(const std::string& code, std::string_view comment) {
  static const std::regex kRename(R"(replace `(\w+)` with `(\w+)`)", std::regex::icase);
  const std::string text(comment);
  std::string out = code;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kRename); it != std::sregex_iterator(); ++it)
    out = std::regex_replace(out, std::regex("\\b" + (*it)[1].str() + "\\b"), (*it)[2].str());
  return out;
}

std::vector<std::string> imported_modules(std::string_view code) {
  static const std::regex kImport(R"(^\s*import\s+(.+)$)");
  static const std::regex kFrom(R"(^\s*from\s+(\w+)[\w.]*\s+import)");
  static const std::regex kModule(R"((\w+)[\w.]*(?:\s+as\s+\w+)?)");
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& line : lines(code)) {
    std::smatch m;
    if (std::regex_search(line, m, kFrom)) {
      add(m[1]);
    } else if (std::regex_search(line, m, kImport)) {
      const std::string list = m[1];
      for (auto it = std::sregex_iterator(list.begin(), list.end(), kModule); it != std::sregex_iterator(); ++it)
        if ((*it)[1] != "as") add((*it)[1]);
    }
  }
  return out;
}

}  // namespace agentco::testing::reading
