#include "tools/builtin_tools.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "core/safe_regex.hpp"
#include "core/text.hpp"
#include "environment/path_guard.hpp"
#include "environment/process_runner.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::size_t kMaxListed = 500;
constexpr std::size_t kMaxMatches = 100;
constexpr std::uintmax_t kMaxSearchedFile = 1024 * 1024;

json object_schema(json properties, std::vector<std::string> required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json text_property(const std::string& description) { return {{"type", "string"}, {"description", description}}; }

ToolResult failure(std::string text) { return {std::move(text), true, nullptr, {}}; }

// Folders no model needs to see: version control, caches, installed packages.
bool skipped_folder(const std::string& name) {
  return name == ".git" || name == "__pycache__" || name == "node_modules" || name == ".pytest_cache" ||
         name == ".mypy_cache" || name == ".venv";
}

// "" or "." is the project folder; anything else must pass the path guard.
Result<std::string> folder_argument(const ToolContext& context, const json& arguments) {
  const std::string path = arguments.value("path", std::string("."));
  if (path.empty() || path == "." || path == "./") return std::string();
  auto safe = safe_project_path(context.workspace.root(), path);
  if (!safe) return safe.error();
  std::error_code ec;
  if (!fs::is_directory(context.workspace.root() / *safe, ec))
    return make_error("path", fmt::format("{}: no such folder in the project", *safe));
  return *safe;
}

// The project's files under `folder` (relative), sorted, folders skipped_folder() leaves out
// not entered, symbolic links not followed; at most `limit`, and whether there were more.
std::pair<std::vector<std::string>, bool> project_files(const fs::path& root, const std::string& folder,
                                                        std::size_t limit, bool with_folders) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root / folder, fs::directory_options::none, ec), end;
  bool more = false;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool folder_entry = it->is_directory(ec) && !it->is_symlink(ec);
    if (folder_entry && skipped_folder(name)) {
      it.disable_recursion_pending();
      continue;
    }
    if (folder_entry && !with_folders) continue;
    if (out.size() == limit) {
      more = true;
      break;
    }
    std::string relative = it->path().lexically_relative(root).generic_string();
    if (relative == "run.jsonl" || relative == "meta.json") continue;  // the run's own records
    if (folder_entry) relative += "/";
    out.push_back(std::move(relative));
  }
  std::sort(out.begin(), out.end());
  return {out, more};
}

class BuiltinTool : public Tool {
 public:
  explicit BuiltinTool(ToolSpec spec) : spec_(std::move(spec)) {}
  const ToolSpec& spec() const override { return spec_; }

 private:
  ToolSpec spec_;
};

class ReadFile : public BuiltinTool {
 public:
  ReadFile()
      : BuiltinTool({"read_file",
                     "Reads a text file of the project. Give offset and limit (lines, the first line is 1) to read "
                     "part of a long file.",
                     object_schema({{"path", text_property("the file, relative to the project folder")},
                                    {"offset", {{"type", "integer"}, {"minimum", 1}}},
                                    {"limit", {{"type", "integer"}, {"minimum", 1}}}},
                                   {"path"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    auto text = context.workspace.read(arguments.value("path", std::string()));
    if (!text) co_return failure(text.error().message);
    if (!arguments.contains("offset") && !arguments.contains("limit")) co_return ToolResult{std::move(*text)};
    const long first = arguments.value("offset", 1L);
    const long count = arguments.value("limit", static_cast<long>(text->size()) + 1);
    // Lines as they are in the file (line ends kept); a last line without '\n' counts too.
    std::string out;
    long number = 0;
    for (std::size_t start = 0; start < text->size();) {
      std::size_t end = text->find('\n', start);
      end = end == std::string::npos ? text->size() : end + 1;
      ++number;
      if (number >= first + count) break;
      if (number >= first) out.append(*text, start, end - start);
      start = end;
    }
    if (number < first)
      co_return failure(fmt::format("{} has {} lines; offset {} is past its end", arguments["path"].get<std::string>(),
                                    number, first));
    co_return ToolResult{std::move(out)};
  }
};

class WriteFile : public BuiltinTool {
 public:
  WriteFile()
      : BuiltinTool({"write_file",
                     "Writes a whole file of the project (creating folders as needed), replacing what it held.",
                     object_schema({{"path", text_property("the file, relative to the project folder")},
                                    {"content", text_property("the file's whole new text")}},
                                   {"path", "content"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    const std::string content = arguments.value("content", std::string());
    auto written = context.write(arguments.value("path", std::string()), content);
    if (!written) co_return failure(written.error().message);
    co_return ToolResult{fmt::format("wrote {} ({} bytes)", written->path, written->bytes), false, nullptr,
                         {written->path}};
  }
};

class EditFile : public BuiltinTool {
 public:
  EditFile()
      : BuiltinTool({"edit_file",
                     "Replaces one exact span of a file: old_text must occur exactly once in it (give enough "
                     "surrounding lines to make it unique); it becomes new_text.",
                     object_schema({{"path", text_property("the file, relative to the project folder")},
                                    {"old_text", text_property("the exact text to replace, as it is in the file")},
                                    {"new_text", text_property("the text to put in its place")}},
                                   {"path", "old_text", "new_text"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    const std::string path = arguments.value("path", std::string());
    const std::string old_text = arguments.value("old_text", std::string());
    const std::string new_text = arguments.value("new_text", std::string());
    if (old_text.empty()) co_return failure("old_text is empty: give the exact text to replace");
    auto text = context.workspace.read(path);
    if (!text) co_return failure(text.error().message);
    const auto at = text->find(old_text);
    if (at == std::string::npos)
      co_return failure(fmt::format("old_text does not occur in {}: read the file and copy the span exactly", path));
    std::size_t count = 0;
    for (auto p = at; p != std::string::npos; p = text->find(old_text, p + 1)) ++count;
    if (count > 1)
      co_return failure(fmt::format("old_text occurs {} times in {}: give more of the lines around it", count, path));
    std::string edited = *text;
    edited.replace(at, old_text.size(), new_text);
    auto written = context.write(path, edited);
    if (!written) co_return failure(written.error().message);
    const long line = 1 + static_cast<long>(std::count(text->begin(), text->begin() + static_cast<long>(at), '\n'));
    co_return ToolResult{fmt::format("edited {} at line {}", written->path, line), false, nullptr, {written->path}};
  }
};

class ListFiles : public BuiltinTool {
 public:
  ListFiles()
      : BuiltinTool({"list_files",
                     "Lists the files and folders under a folder of the project (the whole project by default).",
                     object_schema({{"path", text_property("a folder, relative to the project folder; \".\" for all")}},
                                   {})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    auto folder = folder_argument(context, arguments);
    if (!folder) co_return failure(folder.error().message);
    auto [entries, more] = project_files(context.workspace.root(), *folder, kMaxListed, /*with_folders=*/true);
    std::string out;
    for (const auto& e : entries) out += e + "\n";
    if (entries.empty()) out = "(no files)\n";
    if (more) out += fmt::format("(more: only the first {} are listed)\n", kMaxListed);
    co_return ToolResult{std::move(out)};
  }
};

class Search : public BuiltinTool {
 public:
  Search()
      : BuiltinTool({"search",
                     "Searches the project's text files for a regular expression (ECMAScript syntax), line by "
                     "line; gives file:line: text for each matching line.",
                     object_schema({{"pattern", text_property("the regular expression")},
                                    {"path", text_property("a folder to search in (default: the whole project)")}},
                                   {"pattern"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    const std::string pattern = arguments.value("pattern", std::string());
    if (pattern.size() > 1000) co_return failure("the pattern is over 1000 bytes");
    // The pattern is the model's: matched without backtracking, or refused (core/safe_regex.hpp).
    const SafeRegex regex = compile_safe_regex(pattern);
    if (!regex.regex) co_return failure(fmt::format("the pattern {}", regex.problem));
    auto folder = folder_argument(context, arguments);
    if (!folder) co_return failure(folder.error().message);
    std::string out;
    std::size_t matches = 0;
    bool more = false;
    auto [files, ignored] = project_files(context.workspace.root(), *folder, 5000, /*with_folders=*/false);
    for (const auto& file : files) {
      std::error_code ec;
      if (fs::file_size(context.workspace.root() / file, ec) > kMaxSearchedFile || ec) continue;
      auto text = context.workspace.read(file);
      if (!text || text->find('\0') != std::string::npos) continue;  // unreadable or binary
      long number = 0;
      for (const auto& line : split_lines(*text)) {
        ++number;
        // Matching time grows with the line's length: very long lines (minified, generated) are skipped.
        if (line.size() > kRegexInputLimit) continue;
        if (!safe_regex_search(regex, line)) continue;
        if (matches == kMaxMatches) {
          more = true;
          break;
        }
        ++matches;
        out += fmt::format("{}:{}: {}\n", file, number, line);
      }
      if (more) break;
    }
    if (matches == 0) out = "no match\n";
    if (more) out += fmt::format("(more: only the first {} matches are shown)\n", kMaxMatches);
    co_return ToolResult{std::move(out)};
  }
};

class Run : public BuiltinTool {
 public:
  Run()
      : BuiltinTool({"run",
                     "Runs a shell command in the project folder, in a sandbox without network, and gives its exit "
                     "code, stdout and stderr, e.g. python3 -m unittest -q (Python tests), python3 main.py (a program).",
                     object_schema({{"command", text_property("the command line, run by sh -c")}}, {"command"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", arguments.value("command", std::string())};
    spec.cwd = context.workspace.root().string();
    spec.deadline = context.run_deadline;
    spec.output_cap = context.run_output_cap;
    spec.sandbox = true;
    // No .pyc files: an edit within the same second that keeps the size would leave Python
    // running the stale cache.
    spec.env["PYTHONDONTWRITEBYTECODE"] = "1";
    ProcessResult result = co_await run_process_async(std::move(spec));
    if (!result.started) co_return failure("the command could not start: " + result.error);
    std::string out;
    if (result.timed_out)
      out = fmt::format("stopped: still running after {} s\n", context.run_deadline.count() / 1000.0);
    else if (result.signal != 0)
      out = fmt::format("killed by signal {}\n", result.signal);
    else
      out = fmt::format("exit code {}\n", result.exit_code);
    out += "--- stdout\n" + result.stdout_text;
    if (!result.stdout_text.empty() && result.stdout_text.back() != '\n') out += '\n';
    out += "--- stderr\n" + result.stderr_text;
    if (result.output_truncated) out += "\n(output cut)";
    // A command that fails is news for the model, not a failed call; one that had to be
    // stopped is.
    co_return ToolResult{std::move(out), result.timed_out};
  }
};

// The question goes through the run's model gateway to the person (llm/human_provider.hpp),
// so that it and the answer are traced as a call and a replay answers it from the trace.
class AskHuman : public BuiltinTool {
 public:
  AskHuman()
      : BuiltinTool({"ask_human",
                     "Asks the person who started the run a question and gives their answer. Ask only what you "
                     "cannot find out yourself: a choice between designs, a fact about their setup.",
                     object_schema({{"question", text_property("the question, self-contained")}}, {"question"})}) {}

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    if (!context.ask) co_return failure("no person is at the terminal for this run: decide yourself");
    const std::string question = arguments.value("question", std::string());
    if (question.find_first_not_of(" \t\r\n") == std::string::npos) co_return failure("the question is empty");
    Result<std::string> answer = co_await context.ask(question);
    if (!answer) co_return failure("the question could not be asked: " + answer.error().message);
    if (answer->find_first_not_of(" \t\r\n") == std::string::npos)
      co_return ToolResult{"(the person gave no answer: decide yourself)"};
    co_return ToolResult{std::move(*answer)};
  }
};

}  // namespace

std::unique_ptr<Tool> make_builtin_tool(const std::string& name) {
  if (name == "read_file") return std::make_unique<ReadFile>();
  if (name == "write_file") return std::make_unique<WriteFile>();
  if (name == "edit_file") return std::make_unique<EditFile>();
  if (name == "list_files") return std::make_unique<ListFiles>();
  if (name == "search") return std::make_unique<Search>();
  if (name == "run") return std::make_unique<Run>();
  if (name == "ask_human") return std::make_unique<AskHuman>();
  return nullptr;
}

}  // namespace agentco
