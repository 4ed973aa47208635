#include "actions/code_checks.hpp"

#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "actions/code_plan.hpp"
#include "core/text.hpp"
#include "environment/process_runner.hpp"

namespace agentco {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<std::string> python_top_level_names(const std::string& source) {
  static const std::regex kDef(R"(^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*))");
  static const std::regex kAssign(R"(^([A-Za-z_]\w*)\s*(?::[^=]*)?=)");
  static const std::regex kImport(R"(^import\s+(.+))");
  static const std::regex kFrom(R"(^from\s+\S+\s+import\s+\(?([^)#]+))");
  std::vector<std::string> names;
  std::istringstream in(source);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.empty() || std::isspace(static_cast<unsigned char>(line[0])) || line.size() > kRegexInputLimit) continue;
    if (std::regex_search(line, m, kDef) || std::regex_search(line, m, kAssign)) {
      names.push_back(m[1]);
    } else if (std::regex_search(line, m, kImport) || std::regex_search(line, m, kFrom)) {
      std::stringstream list(m[1].str());
      std::string item;
      while (std::getline(list, item, ',')) {
        item = trim(item);
        auto as = item.find(" as ");
        std::string name = as == std::string::npos ? item : trim(item.substr(as + 4));
        name = name.substr(0, name.find('.'));
        if (!name.empty()) names.push_back(name);
      }
    }
  }
  return names;
}

std::vector<std::string> python_import_problems(const std::string& path, const std::string& source,
                                                const std::map<std::string, std::string>& sources) {
  static const std::regex kFrom(R"(^\s*from\s+([A-Za-z_][\w.]*)\s+import\s+\(?([^)#]+))");
  std::map<std::string, const std::string*> modules;  // module name -> source
  for (const auto& [file, text] : sources) {
    if (language_key(file) != "python") continue;
    std::string module = file.substr(0, file.size() - 3);
    std::replace(module.begin(), module.end(), '/', '.');
    modules[module] = &text;
  }
  std::vector<std::string> problems;
  std::istringstream in(source);
  std::string line;
  int number = 0;
  std::smatch m;
  while (std::getline(in, line)) {
    ++number;
    if (line.size() > kRegexInputLimit || !std::regex_search(line, m, kFrom)) continue;
    auto it = modules.find(m[1]);
    if (it == modules.end()) continue;
    auto defined = python_top_level_names(*it->second);
    std::set<std::string> names(defined.begin(), defined.end());
    std::stringstream list(m[2].str());
    std::string item;
    while (std::getline(list, item, ',')) {
      item = trim(item);
      std::string name = item.substr(0, item.find(' '));
      if (name.empty() || name == "*" || name == "\\") continue;
      if (!names.count(name)) {
        problems.push_back(fmt::format("{}:{}: imports '{}' from {}, which does not define it", path, number, name,
                                       it->first));
      }
    }
  }
  return problems;
}

std::vector<std::string> javascript_require_problems(const std::filesystem::path& root, const std::string& path,
                                                     const std::string& source,
                                                     const std::map<std::string, std::string>& sources) {
  namespace fs = std::filesystem;
  static const std::regex kRequire(R"(require\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\))");
  std::vector<std::string> problems;
  std::istringstream in(source);
  std::string line;
  int number = 0;
  const fs::path folder = fs::path(path).parent_path();
  while (std::getline(in, line)) {
    ++number;
    for (std::sregex_iterator it(line.begin(), line.end(), kRequire), end; it != end; ++it) {
      const std::string target = (*it)[1];
      const std::string base = (folder / target).lexically_normal().generic_string();
      bool found = false;
      for (const std::string& candidate : {base, base + ".js", base + ".json", base + "/index.js"}) {
        if (sources.count(candidate) || (!candidate.starts_with("..") && fs::is_regular_file(root / candidate))) {
          found = true;
        }
      }
      if (!found) {
        problems.push_back(fmt::format("{}:{}: requires '{}', which is not a file of the project", path, number, target));
      }
    }
  }
  return problems;
}

boost::asio::awaitable<StaticCheck> static_check(std::filesystem::path root, std::string path, std::string source,
                                                 std::map<std::string, std::string> sources) {
  StaticCheck check;
  const std::string language = language_key(path);
  ProcessSpec spec;
  spec.cwd = root.string();
  spec.deadline = std::chrono::milliseconds(10000);
  if (language == "python" && program_available("python3")) {
    check.tool = "python3 ast";
    spec.argv = {"python3", "-c",
                 "import ast,sys\nsrc=open(sys.argv[1],encoding='utf-8').read()\nast.parse(src, sys.argv[1])", path};
  } else if (language == "javascript" && program_available("node")) {
    check.tool = "node --check";
    spec.argv = {"node", "--check", path};
  } else if (language == "cpp" && program_available("g++")) {
    check.tool = "g++ -fsyntax-only";
    spec.argv = {"g++", "-std=c++17", "-fsyntax-only", "-I.", "-x", "c++", path};
  }
  if (!spec.argv.empty()) {
    ProcessResult result = co_await run_process_async(spec);
    if (!result.started) {
      check.tool += " (could not run: " + result.error + ")";
    } else if (result.timed_out || result.exit_code != 0) {
      std::string output = trim(result.stderr_text.empty() ? result.stdout_text : result.stderr_text);
      // A system header this machine lacks (e.g. <ncurses.h> without libncurses-dev) says
      // nothing about the code: note it and do not ask for a rewrite.
      static const std::regex kMissingSystemHeader(R"(fatal error: ([^:\s]+): No such file or directory)");
      std::smatch m;
      if (language == "cpp" && std::regex_search(output, m, kMissingSystemHeader) &&
          source.find("#include <" + m[1].str() + ">") != std::string::npos) {
        check.tool += " (incomplete: <" + m[1].str() + "> is not installed here)";
        co_return check;
      }
      check.ok = false;
      if (output.size() > 1500) output = output.substr(output.size() - 1500);
      check.problems.push_back(fmt::format("{} does not parse ({}):\n{}", path, check.tool, output));
    }
  }
  if (language == "javascript") {
    for (auto& p : javascript_require_problems(root, path, source, sources)) {
      check.ok = false;
      check.problems.push_back(std::move(p));
    }
  }
  if (language == "python") {
    for (auto& p : python_import_problems(path, source, sources)) {
      check.ok = false;
      check.problems.push_back(std::move(p));
    }
  }
  co_return check;
}

std::string review_verdict(const std::string& reply) {
  auto section = reply.rfind("Code Review Result");
  std::string tail = section == std::string::npos ? reply : reply.substr(section);
  auto lgtm = tail.rfind("LGTM");
  auto lbtm = tail.rfind("LBTM");
  if (lgtm == std::string::npos && lbtm == std::string::npos) return "";
  if (lgtm == std::string::npos) return "LBTM";
  if (lbtm == std::string::npos) return "LGTM";
  // "LGTM/LBTM" echoed from the template: the later one is the answer.
  return lbtm > lgtm ? "LBTM" : "LGTM";
}

}  // namespace agentco
