// The Python the reading model reads (the classes and defs of code shown in a prompt) and
// writes (a module from its design class, main.py, unittest files, a fix for a traceback).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/reading/design.hpp"

namespace agentco::testing::reading {

struct PyDef {
  std::string owner;  // the class, "" for a module-level function
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;  // self excluded
  std::string returns;
  std::vector<std::string> body;  // its lines, as written
};

struct PyModule {
  std::vector<std::string> classes;
  std::vector<PyDef> defs;
  bool defines(std::string_view owner, std::string_view name) const;
};

PyModule read_python(std::string_view code);

// A file that the code being written uses, as the prompt shows it: from its code (full or
// interface) when shown, else from the design's class diagram.
struct Known {
  std::string file;
  std::string cls;
  std::vector<std::string> methods;
};

struct Defects {
  bool drop_method = false;  // leave out the design's last method
  bool slip = false;         // misspell a local name in the first int method
};

// The module for `file`: `spec` is the class the design gives it (nullptr: none shown),
// `deps` the files it uses as shown, `unseen` the classes it uses that the prompt shows
// nowhere (their use raises NotImplementedError naming them).
std::string write_module(const std::string& file, const ClassSpec* spec, const std::vector<Known>& deps,
                         const std::vector<std::string>& unseen, Defects defects);

// main.py: builds the classes of `deps` and prints what their methods return.
std::string write_main(const std::vector<Known>& deps, std::string_view requirement);

// tests/test_<stem>.py for `file`, from its code as shown: every class is built, every public
// method is called; a return value that the code shows how to compute is checked exactly.
std::string write_tests(const std::string& file, std::string_view code);

// The code of `file` repaired from what a failed run printed, when the output shows a fault
// that the reading model can repair in place (a NameError on a line of this file).
std::optional<std::string> repair_from_output(const std::string& file, const std::string& code,
                                              std::string_view output);

// ---- Code shown as a listing of whole files (ChatDev's phases) ----------------------------

// The first problem the reading model sees in `files` (name, code), said as a reviewer would,
// the most harmful first: an import of a name that the listed file does not define, a returned
// name that its function never defines, a def whose body is only a placeholder (pass, ...,
// raise NotImplementedError), a TODO. The fix is spelled "replace `A` with `B`" when the
// reading model can name one. nullopt when it sees none.
std::optional<std::string> code_problem(const std::vector<std::pair<std::string, std::string>>& files);

// `code` with every def whose body is only a placeholder given a body from its signature (the
// arithmetic write_module uses), and TODO comments dropped.
std::string complete_placeholders(const std::string& code);

// `code` with the renames that `comment` asks for ("replace `A` with `B`"), as whole words.
std::string apply_renames(const std::string& code, std::string_view comment);

// The top-level modules `code` imports ("import a, b", "from c import d").
std::vector<std::string> imported_modules(std::string_view code);

}  // namespace agentco::testing::reading
