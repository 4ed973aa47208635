// Checks on generated code that need no model: does the file parse/compile for its
// language, and do the names it imports from other project files exist there. Their
// findings go to the reviewer and count as a reason to rewrite.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace agentco {

struct StaticCheck {
  bool ok = true;
  std::vector<std::string> problems;  // one line each, naming file and line where known
  std::string tool;                   // what checked the syntax ("python3 ast", "node --check", ...; "" none)
};

// Names a Python module defines at top level (def, class, assignments, imports).
std::vector<std::string> python_top_level_names(const std::string& source);

// `from X import a, b` where X is a project file (X.py in `sources`) must name things X
// defines; returns the problems.
std::vector<std::string> python_import_problems(const std::string& path, const std::string& source,
                                                const std::map<std::string, std::string>& sources);

// `require('./x')` in a JavaScript file must name a project file (x, x.js, x.json,
// x/index.js, among `sources` or on disk under `root`); returns the problems.
std::vector<std::string> javascript_require_problems(const std::filesystem::path& root, const std::string& path,
                                                     const std::string& source,
                                                     const std::map<std::string, std::string>& sources);

// Syntax check with the language's own tool, run sandboxed (python3 ast, node --check,
// g++ -fsyntax-only; a C++ system header missing on this machine is noted, not a
// problem) plus the cross-file check (Python imports, JavaScript requires).
// `sources`: every source file of the project written so far, path -> content.
boost::asio::awaitable<StaticCheck> static_check(std::filesystem::path root, std::string path,
                                                 std::string source, std::map<std::string, std::string> sources);

// A reviewer's verdict: "LGTM", "LBTM", or "" when the reply says neither.
std::string review_verdict(const std::string& reply);

}  // namespace agentco
