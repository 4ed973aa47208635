#include "actions/manual_action.hpp"

#include <regex>

#include <fmt/format.h>

#include "actions/ask.hpp"
#include "actions/code_plan.hpp"
#include "actions/project_facts.hpp"
#include "actions/prompt.hpp"
#include "core/text.hpp"
#include "actions/run_context.hpp"

namespace agentco {
namespace {

const TemplateSlot kManualSlot{"prompt", "write_manual", "the project's README.md",
                               {Input::kIdea, Input::kLanguage, Input::kCodeListing, Input::kPackages,
                                Input::kRunInstructions}};

class ManualAction : public Action {
 public:
  explicit ManualAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    nlohmann::json prd;
    if (auto it = ctx.run.documents.find("prd"); it != ctx.run.documents.end()) prd = it->second;
    std::string language = "Python";
    std::string name = "project";
    if (prd.is_object()) {
      if (prd.contains("Programming Language") && prd["Programming Language"].is_string()) {
        language = prd["Programming Language"].get<std::string>();
      }
      if (prd.contains("Project Name") && prd["Project Name"].is_string()) name = prd["Project Name"].get<std::string>();
    }
    // The README describes the code as written: the engineer writes it after the code.
    std::vector<std::pair<std::string, std::string>> files(ctx.run.project.sources.begin(),
                                                           ctx.run.project.sources.end());
    PromptValues values(kManualSlot);
    values.set(Input::kIdea, ctx.run.idea);
    values.set(Input::kLanguage, language);
    values.set_sizes(Input::kCodeListing, files_in_sizes(files, "(no source file was written)"));
    values.set(Input::kPackages, packages_text(ctx.run));
    values.set(Input::kRunInstructions, run_instructions(ctx.run, language));
    Result<ChatRequest> request = build_request(ctx, values, {{"kind", "manual"}});
    if (!request) co_return request.error();
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(*request));
    if (!reply) co_return reply.error();
    std::string readme = strip_think(reply->text);
    // A reply wrapped whole in a ```markdown fence: unwrap it.
    if (readme.starts_with("```")) readme = extract_code(readme);
    if (!readme.empty() && readme.back() != '\n') readme += '\n';

    std::vector<std::string> paths;
    if (auto w = ctx.run.write_file(ctx.role.name, "README.md", readme)) paths.push_back(w->path);

    std::string manifest_path;
    std::string manifest = dependency_manifest(language, name, required_packages(ctx.run), manifest_path);
    if (!manifest_path.empty() && !ctx.run.workspace.exists(manifest_path)) {
      if (auto w = ctx.run.write_file(ctx.role.name, manifest_path, manifest)) paths.push_back(w->path);
    }
    (void)ctx.run.commit(ctx.role.name + " (" + ctx.role.profile + ")", spec_.name + ": README.md", paths);
    ActionOutput out;
    out.content = "Wrote the user manual (README.md)";
    if (!manifest_path.empty()) out.content += " and " + manifest_path;
    out.payload = {{"files", paths}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

}  // namespace

std::string dependency_manifest(const std::string& language, const std::string& project_name,
                                const std::vector<std::string>& packages, std::string& path) {
  const std::string key = language_key(language);
  if (key == "python") {
    path = "requirements.txt";
    std::string text;
    for (const auto& p : packages) text += p + "\n";
    return text;
  }
  if (key == "javascript") {
    path = "package.json";
    nlohmann::json deps = nlohmann::json::object();
    static const std::regex kSplit(R"(^(@?[^@=<>~^\s]+)\s*(?:@|==|>=|\^|~)?\s*(.*)$)");
    for (const auto& p : packages) {
      std::smatch m;
      if (p.size() <= kRegexInputLimit && std::regex_match(p, m, kSplit)) deps[m[1].str()] = m[2].str().empty() ? "*" : m[2].str();
    }
    nlohmann::json pkg = {{"name", project_name}, {"version", "0.1.0"}, {"private", true},
                          {"scripts", {{"test", "node --test tests/"}}}, {"dependencies", deps}};
    return pkg.dump(2) + "\n";
  }
  if (key == "cpp") {
    path = "CMakeLists.txt";
    std::string name = slugify(project_name.empty() ? "program" : project_name);
    return fmt::format(R"(cmake_minimum_required(VERSION 3.16)
project({0} LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

# Every source but main.cpp goes into a library that the program and the tests share.
file(GLOB project_sources CONFIGURE_DEPENDS ${{CMAKE_SOURCE_DIR}}/*.cpp ${{CMAKE_SOURCE_DIR}}/src/*.cpp)
set(entry ${{project_sources}})
list(FILTER project_sources EXCLUDE REGEX "/main\.cpp$")
list(FILTER entry INCLUDE REGEX "/main\.cpp$")
if(project_sources)
  add_library(project_core STATIC ${{project_sources}})
  set(scope PUBLIC)
else()
  add_library(project_core INTERFACE)
  set(scope INTERFACE)
endif()
target_include_directories(project_core ${{scope}} ${{CMAKE_SOURCE_DIR}} ${{CMAKE_SOURCE_DIR}}/src ${{CMAKE_SOURCE_DIR}}/include)
find_package(Curses QUIET)
if(CURSES_FOUND)
  target_include_directories(project_core ${{scope}} ${{CURSES_INCLUDE_DIRS}})
  target_link_libraries(project_core ${{scope}} ${{CURSES_LIBRARIES}})
endif()
if(entry)
  add_executable({0} ${{entry}})
  target_link_libraries({0} PRIVATE project_core)
endif()

enable_testing()
file(GLOB test_sources CONFIGURE_DEPENDS ${{CMAKE_SOURCE_DIR}}/tests/*.cpp)
foreach(test_source ${{test_sources}})
  get_filename_component(test_name ${{test_source}} NAME_WE)
  add_executable(${{test_name}} ${{test_source}})
  target_link_libraries(${{test_name}} PRIVATE project_core)
  add_test(NAME ${{test_name}} COMMAND ${{test_name}})
endforeach()
)",
                       name);
  }
  path.clear();
  return "";
}

std::string cmake_program_name(const std::string& cmake_lists) {
  static const std::regex kExecutable(R"(add_executable\s*\(\s*([A-Za-z0-9_.+-]+))", std::regex::icase);
  for (const std::string& line : split_lines(cmake_lists)) {
    std::smatch match;
    if (line.size() > kRegexInputLimit || !std::regex_search(line, match, kExecutable)) continue;
    std::string name = match[1];
    std::string lowered = name;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lowered.find("test") == std::string::npos) return name;
  }
  return "";
}

ActionType manual_action_type() {
  return {{.name = "manual",
           .summary = "writes README.md from the code as written, and the dependency manifest",
           .needs_prompt = true,
           .slots = {kManualSlot}},
          [](const ActionSpec& spec) { return std::make_unique<ManualAction>(spec); }};
}

}  // namespace agentco
