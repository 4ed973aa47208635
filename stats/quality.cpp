#include "stats/quality.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "environment/program_verdict.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "environment/process_runner.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFiles = 500;
constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;
constexpr std::size_t kMaxPlaceholders = 20;
constexpr std::size_t kMaxEmbeddedChars = 8000;  // of the code, for an embedding request

bool code_extension(const std::string& ext) {
  static const std::set<std::string> code = {".py", ".js", ".mjs", ".ts", ".java", ".c",  ".cc", ".cpp", ".h",
                                             ".hpp", ".go", ".rs",  ".rb", ".php",  ".cs", ".kt", ".swift"};
  return code.count(ext) > 0;
}

bool skipped_folder(const std::string& name) {
  static const std::set<std::string> skipped = {".git", "__pycache__", "node_modules", ".venv", "venv", "tests",
                                                "test", "test_outputs", "docs", "resources", ".pytest_cache"};
  return skipped.count(name) > 0;
}

bool test_file(const std::string& name) {
  return name.starts_with("test_") || name.find("_test.") != std::string::npos ||
         name.find(".test.") != std::string::npos || name.find(".spec.") != std::string::npos;
}

// The project's source files (relative paths, sorted), tests and tool folders left out.
std::vector<std::string> source_files(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (skipped_folder(name) || name.starts_with(".")) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    if (!code_extension(it->path().extension().string()) || test_file(name)) continue;
    if (it->file_size(ec) > kMaxFileBytes) continue;
    out.push_back(fs::relative(it->path(), root, ec).generic_string());
    if (out.size() >= kMaxFiles) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t indent_of(const std::string& line) { return line.find_first_not_of(" \t"); }

bool blank_or_comment(const std::string& line) {
  const auto at = indent_of(line);
  return at == std::string::npos || line[at] == '#';
}

// Python functions whose body, past a docstring and comments, is only `pass` or `...`
// (abstract methods, which are meant to be empty, are not counted).
void python_empty_bodies(const std::vector<std::string>& lines, std::vector<std::string>& out) {
  static const std::regex def(R"(^(\s*)(async\s+)?def\s+(\w+)\s*\()");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, def)) continue;
    bool abstract = false;
    for (std::size_t k = i; k-- > 0;) {
      if (blank_or_comment(lines[k])) continue;
      const std::string previous(trim_view(lines[k]));
      if (!previous.starts_with("@")) break;
      abstract |= previous.find("abstractmethod") != std::string::npos || previous.find("overload") != std::string::npos;
    }
    const std::size_t indent = m[1].length();
    const std::string name = m[3];
    // The header may span lines: it ends at the first line ending with ':'.
    std::size_t header = i;
    while (header < lines.size() && header < i + 12) {
      std::string code(trim_view(lines[header]));
      if (const auto hash = code.find(" #"); hash != std::string::npos) code = std::string(trim_view(code.substr(0, hash)));
      if (code.ends_with(":")) break;
      // `def f(): pass` on one line
      if (const auto colon = code.rfind("):"); colon != std::string::npos && header == i) {
        const std::string rest(trim_view(code.substr(colon + 2)));
        if (rest == "pass" || rest == "...") {
          if (!abstract) out.push_back(fmt::format("{}: {}() has only `{}` for a body", i + 1, name, rest));
          header = lines.size();
        }
        break;
      }
      ++header;
    }
    if (header >= lines.size()) continue;
    std::vector<std::string> statements;
    bool in_doc = false;
    std::string quote;
    bool first = true;
    for (std::size_t k = header + 1; k < lines.size(); ++k) {
      if (blank_or_comment(lines[k]) && !in_doc) continue;
      if (!in_doc && indent_of(lines[k]) <= indent) break;
      const std::string text(trim_view(lines[k]));
      if (in_doc) {
        if (text.find(quote) != std::string::npos) in_doc = false;
        continue;
      }
      if (first && (text.starts_with("\"\"\"") || text.starts_with("'''"))) {
        quote = text.substr(0, 3);
        first = false;
        if (text.size() < 6 || text.find(quote, 3) == std::string::npos) in_doc = true;
        continue;
      }
      first = false;
      statements.push_back(text);
      if (statements.size() > 1) break;
    }
    if (statements.size() == 1 && (statements[0] == "pass" || statements[0] == "...") && !abstract)
      out.push_back(fmt::format("{}: {}() has only `{}` for a body", i + 1, name, statements[0]));
  }
}

std::vector<std::string> words_of(const std::string& text) {
  // Identifiers split at '_' and at camelCase humps; lower case; three letters or more.
  static const std::set<std::string> stop = {
      "the", "and", "for", "with", "that", "this", "from", "are", "was", "you", "your", "its", "into", "not", "but",
      "all", "can", "has", "have", "will", "one", "each", "any", "which", "when", "then", "than", "use", "uses",
      "using", "def", "self", "return", "import", "class", "none", "true", "false", "elif", "else", "while",
      "pass", "try", "except", "raise", "lambda", "yield", "print", "str", "int", "float", "bool", "list", "dict",
      "const", "let", "var", "function", "new", "null", "void", "public", "private", "static", "main", "name",
      "args", "init", "write", "make", "create", "build", "program", "simple", "app", "application"};
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 3) {
      std::string lower = to_lower(word);
      if (lower.size() > 4 && lower.back() == 's' && lower[lower.size() - 2] != 's') lower.pop_back();
      if (!stop.count(lower)) out.push_back(std::move(lower));
    }
    word.clear();
  };
  char previous = 0;
  for (char c : text) {
    const bool upper = c >= 'A' && c <= 'Z';
    const bool letter = upper || (c >= 'a' && c <= 'z');
    if (!letter) {
      flush();
    } else {
      if (upper && previous >= 'a' && previous <= 'z') flush();  // camelCase hump
      word.push_back(c);
    }
    previous = c;
  }
  flush();
  return out;
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na <= 0 || nb <= 0) return 0;
  return std::clamp(dot / std::sqrt(na * nb), 0.0, 1.0);
}

// The entry point: the first of the usual names, at the top of the project or, failing
// that, in the shallowest folder that has one.
std::string find_entry(const std::vector<std::string>& sources) {
  static const std::vector<std::string> names = {"main.py", "app.py", "run.py", "main.js", "index.js", "app.js"};
  std::string best;
  std::size_t best_depth = 0, best_rank = 0;
  for (const auto& file : sources) {
    const fs::path p(file);
    const auto rank = std::find(names.begin(), names.end(), p.filename().string()) - names.begin();
    if (rank >= static_cast<long>(names.size())) continue;
    const std::size_t depth = static_cast<std::size_t>(std::distance(p.begin(), p.end()));
    if (best.empty() || depth < best_depth || (depth == best_depth && static_cast<std::size_t>(rank) < best_rank)) {
      best = file;
      best_depth = depth;
      best_rank = static_cast<std::size_t>(rank);
    }
  }
  return best;
}

// Copies the project (without git, the trace and caches) so that the program's run changes
// nothing in the run folder.
Status copy_project(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return make_error("quality", fmt::format("cannot make {}: {}", to.string(), ec.message()));
  fs::recursive_directory_iterator it(from, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const fs::path rel = fs::relative(it->path(), from, ec);
    if (it->is_directory(ec)) {
      if (name == ".git" || name == "__pycache__" || name == "node_modules") it.disable_recursion_pending();
      else fs::create_directories(to / rel, ec);
      continue;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec) || name == "run.jsonl" || name == "meta.json") continue;
    fs::copy_file(it->path(), to / rel, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("quality", fmt::format("cannot copy {}: {}", it->path().string(), ec.message()));
  }
  if (ec) return make_error("quality", fmt::format("cannot read {}: {}", from.string(), ec.message()));
  return ok_status();
}

std::string last_line(const std::string& text) {
  const auto lines = split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!trim_view(*it).empty()) return std::string(cut_utf8(trim_view(*it), 160));
  return "";
}

void execute(const fs::path& folder, const std::string& entry, const QualityOptions& options, Quality& q) {
  q.entry = entry;
  if (entry.empty()) {
    q.execution = "no entry point (main.py, app.py, run.py, main.js, index.js, app.js)";
    return;
  }
  const bool python = entry.ends_with(".py");
  const fs::path scratch = fs::temp_directory_path() /
                           fmt::format("agentco-quality-{}-{}", ::getpid(), std::hash<std::string>{}(folder.string()));
  std::error_code ec;
  fs::remove_all(scratch, ec);
  if (auto copied = copy_project(folder, scratch); !copied) {
    q.execution = "not run: " + copied.error().message;
    return;
  }
  const fs::path file = scratch / entry;
  ProcessSpec spec;
  spec.argv = {python ? "python3" : "node", file.filename().string()};
  spec.cwd = file.parent_path().string();
  spec.deadline = options.deadline;
  spec.sandbox = options.sandbox;
  spec.terminal = true;  // curses programs need one to start; input() waits on it
  spec.env["TERM"] = "xterm-256color";
  spec.env["PYTHONDONTWRITEBYTECODE"] = "1";
  ProcessResult r = run_process(spec);
  // A GUI program that stopped only for want of a display is given a virtual one (Debian's
  // xvfb, when installed): not having a screen is the measuring machine's lack, not the
  // program's.
  static const std::regex no_display(
      R"(no display name|couldn't connect to display|cannot connect to X server|No available video device|cannot open display)");
  bool virtual_display = false;
  if (!r.timed_out && r.exit_code != 0 && std::regex_search(r.stderr_text, no_display)) {
    if (!find_program("xvfb-run", spec.cwd).empty()) {
      spec.argv.insert(spec.argv.begin(), {"xvfb-run", "-a"});
      r = run_process(spec);
      virtual_display = true;
    } else {
      fs::remove_all(scratch, ec);
      q.execution = "needs a display, and xvfb-run is not installed to give it one: " + last_line(r.stderr_text);
      return;
    }
  }
  fs::remove_all(scratch, ec);
  const bool error_output = printed_an_error(r);
  const double seconds = static_cast<double>(options.deadline.count()) / 1000;
  if (!r.started) {
    q.execution = "could not start: " + r.error;
  } else if (r.timed_out && !error_output) {
    q.executability = 1;
    q.execution = fmt::format("still running at the {:g} s deadline", seconds);
  } else if (r.timed_out) {
    q.execution = fmt::format("still running at the {:g} s deadline after an error: {}", seconds, last_line(r.stderr_text));
  } else if (r.signal != 0) {
    q.execution = fmt::format("killed by signal {}", r.signal);
  } else if (r.exit_code == 0) {
    q.executability = 1;
    q.execution = "exited 0";
  } else {
    const std::string why = last_line(r.stderr_text);
    q.execution = fmt::format("exit {}{}", r.exit_code, why.empty() ? "" : ": " + why);
  }
  if (virtual_display) q.execution += " (on a virtual display)";
}

}  // namespace

std::vector<std::string> find_placeholders(const std::string& path, const std::string& text) {
  std::vector<std::string> out;
  const std::vector<std::string> lines = split_lines(text);
  static const std::regex todo(R"(\b(TODO|FIXME)\b)");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (std::regex_search(lines[i], m, todo)) out.push_back(fmt::format("{}: {}", i + 1, m[1].str()));
    if (lines[i].find("NotImplementedError") != std::string::npos)
      out.push_back(fmt::format("{}: NotImplementedError", i + 1));
  }
  if (path.ends_with(".py")) python_empty_bodies(lines, out);
  return out;
}

double lexical_similarity(const std::string& a, const std::string& b) {
  std::map<std::string, std::size_t> index;
  auto counts = [&](const std::string& text) {
    std::map<std::string, double> c;
    for (auto& w : words_of(text)) c[w] += 1;
    return c;
  };
  const auto ca = counts(a), cb = counts(b);
  for (const auto& [w, n] : ca) index.emplace(w, index.size());
  for (const auto& [w, n] : cb) index.emplace(w, index.size());
  std::vector<double> va(index.size()), vb(index.size());
  // Sub-linear counts: a word the code repeats 40 times is not 40 times the requirement's.
  for (const auto& [w, n] : ca) va[index[w]] = 1 + std::log(n);
  for (const auto& [w, n] : cb) vb[index[w]] = 1 + std::log(n);
  return cosine(va, vb);
}

Result<Quality> measure_quality(const fs::path& folder, const std::string& requirement, const QualityOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return make_error("quality", folder.string() + ": not a folder");
  Quality q;
  const std::vector<std::string> sources = source_files(folder);
  q.code_files = static_cast<long>(sources.size());
  std::string code;
  for (const auto& file : sources) {
    std::string text;
    if (!read_file((folder / file).string(), text)) continue;  // gone or unreadable since it was listed
    for (auto& p : find_placeholders(file, text))
      if (q.placeholders.size() < kMaxPlaceholders) q.placeholders.push_back(file + ":" + p);
    code += text;
    code += '\n';
  }
  q.completeness = sources.empty() || !q.placeholders.empty() ? 0 : 1;

  execute(folder, find_entry(sources), options, q);

  q.consistency_method = "lexical";
  if (options.embed && !code.empty()) {
    auto vectors = options.embed({requirement, std::string(cut_utf8(code, kMaxEmbeddedChars))});
    if (vectors && vectors->size() == 2) {
      q.consistency = cosine((*vectors)[0], (*vectors)[1]);
      q.consistency_method = options.embed_label.empty() ? "embeddings" : options.embed_label;
    } else {
      q.consistency_note = vectors ? "the embeddings server gave no two vectors: lexical instead"
                                   : "embeddings failed (" + vectors.error().message + "): lexical instead";
    }
  }
  if (q.consistency_method == "lexical") q.consistency = lexical_similarity(requirement, code);
  q.quality = q.completeness * q.executability * q.consistency;
  // What the program printed and the files' names are untrusted bytes; these texts go into
  // JSON and tables.
  q.execution = repair_utf8(q.execution).text;
  for (auto& p : q.placeholders) p = repair_utf8(p).text;
  q.entry = repair_utf8(q.entry).text;
  return q;
}

nlohmann::json to_json(const Quality& q) {
  nlohmann::json out = {{"completeness", q.completeness},
                        {"executability", q.executability},
                        {"consistency", q.consistency},
                        {"consistency_method", q.consistency_method},
                        {"quality", q.quality},
                        {"code_files", q.code_files},
                        {"placeholders", q.placeholders},
                        {"entry", q.entry},
                        {"execution", q.execution}};
  if (!q.consistency_note.empty()) out["consistency_note"] = q.consistency_note;
  return out;
}

}  // namespace agentco
