#include "llm/mock_provider.hpp"

#include <filesystem>
#include <sstream>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/text.hpp"

namespace agentco {
namespace {

constexpr const char* kMockNote = "written by agentco's MOCK model provider (offline, deterministic; not a real implementation)";

std::string project_slug(const std::string& idea) {
  std::string slug = slugify(idea);
  for (const char* prefix : {"please_", "write_", "make_", "create_", "build_", "develop_", "implement_", "add_",
                             "a_", "an_", "the_", "simple_"}) {
    if (slug.starts_with(prefix) && slug.size() > std::string(prefix).size()) slug = slug.substr(std::string(prefix).size());
  }
  return slug;
}

std::string core_module(const std::string& idea) {
  std::string slug = project_slug(idea);
  for (const char* word : {"game", "calculator", "editor", "server", "app", "tool"}) {
    if (slug.find(word) != std::string::npos) return word;
  }
  return "app";
}

struct MockFiles {
  std::vector<std::pair<std::string, std::string>> analysis;  // file -> description
};

MockFiles mock_files(const std::string& idea) {
  std::string core = core_module(idea);
  return {{{"utils.py", "Helper functions shared by the project; imports nothing of the project."},
           {"config.py", "Settings with default values; imports nothing of the project."},
           {core + ".py", "The core logic class; imports utils and config."},
           {"main.py", "The entry point: main() builds and runs the core; imports " + core + "."}}};
}

nlohmann::json field_value(const std::string& name, const std::string& type, const std::string& idea, bool refine) {
  const std::string slug = project_slug(idea);
  const std::string core = core_module(idea);
  MockFiles files = mock_files(idea);
  if (refine) {
    // Incremental development: one new module for the new requirement, nothing else touched.
    files.analysis = {{slug + ".py", "The new feature: " + idea + "; imports nothing of the project."}};
  }
  if (name == "Language") return "en_us";
  if (name == "Programming Language") return "Python";
  if (name == "Original Requirements") return idea;
  if (name == "Project Name") return slug;
  if (name == "Competitive Quadrant Chart") {
    return "quadrantChart\n    title \"Reach and engagement (mock)\"\n    x-axis \"Low Reach\" --> \"High Reach\"\n"
           "    y-axis \"Low Engagement\" --> \"High Engagement\"\n    quadrant-1 \"Expand\"\n    quadrant-2 \"Promote\"\n"
           "    quadrant-3 \"Re-evaluate\"\n    quadrant-4 \"Improve\"\n    \"Product A\": [0.3, 0.6]\n"
           "    \"Product B\": [0.45, 0.23]\n    \"Our Target Product\": [0.5, 0.6]";
  }
  if (name == "Requirement Pool") {
    return nlohmann::json::array({nlohmann::json::array({"P0", "Mock: the core of " + idea}),
                                  nlohmann::json::array({"P1", "Mock: a clear command-line interface"})});
  }
  if (name == "File list" || name == "Task list") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [file, _] : files.analysis) list.push_back(file);
    return list;
  }
  if (name == "Logic Analysis") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [file, text] : files.analysis) rows.push_back(nlohmann::json::array({file, text}));
    return rows;
  }
  if (name == "Data structures and interfaces") {
    std::string cls = std::string(1, static_cast<char>(std::toupper(core[0]))) + core.substr(1);
    return "classDiagram\n    class " + cls + " {\n        +run() str\n    }\n    class Config {\n        +NAME: str\n    }\n    " +
           cls + " --> Config";
  }
  if (name == "Program call flow") {
    return "sequenceDiagram\n    participant M as main\n    participant C as " + core + "\n    M->>C: run()\n    C-->>M: summary";
  }
  if (name == "Required packages" || name == "Required Other language third-party packages") return nlohmann::json::array();
  if (name == "Anything UNCLEAR" || name == "Full API spec") return "";
  if (name == "TODOs") return nlohmann::json::array();
  if (name == "Summary") return "Mock summary: main runs " + core + ", which uses utils and config.";
  if (name == "Decision") return "give_up";
  if (name == "File") return "";
  if (name == "Reason") return "the mock model cannot debug";
  if (type == "str") return fmt::format("Mock {} for: {}", name, idea);
  if (type == "int") return 1;
  if (type == "float") return 0.5;
  if (type == "bool") return true;
  if (type == "list[str]") return nlohmann::json::array({fmt::format("Mock {} 1", name), fmt::format("Mock {} 2", name)});
  if (type == "list[list[str]]") return nlohmann::json::array({nlohmann::json::array({fmt::format("Mock {}", name), "1"})});
  if (type == "object") return nlohmann::json::object();
  return nlohmann::json::array();
}

std::string module_code(const std::string& file, const std::vector<std::string>& deps, const std::string& idea) {
  std::string stem = std::filesystem::path(file).stem().string();
  std::ostringstream out;
  out << "\"\"\"" << file << ": " << kMockNote << ".\n\nRequirement: " << idea << "\n\"\"\"\n";
  std::vector<std::string> modules;
  for (const auto& d : deps) {
    if (std::filesystem::path(d).extension() == ".py") modules.push_back(std::filesystem::path(d).stem().string());
  }
  for (const auto& m : modules) out << "import " << m << "\n";
  if (!modules.empty()) out << "\n";
  out << "\ndef describe() -> str:\n    \"\"\"Names this module and the modules it uses.\"\"\"\n";
  out << "    parts = [\"" << stem << "\"]\n";
  for (const auto& m : modules) out << "    parts.append(" << m << ".describe())\n";
  out << "    return \" > \".join(parts)\n";
  if (stem == "main") {
    out << "\n\ndef main() -> int:\n    print(\"agentco mock project: " << idea << "\")\n"
        << "    print(\"modules: \" + describe())\n    return 0\n\n\nif __name__ == \"__main__\":\n"
        << "    raise SystemExit(main())\n";
  }
  return out.str();
}

std::string test_code(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  std::string folder = std::filesystem::path(file).parent_path().generic_string();
  std::ostringstream out;
  out << "\"\"\"Tests of " << file << ": " << kMockNote << ".\"\"\"\n"
      << "import os\nimport sys\nimport unittest\n\n"
      << "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), \"..\", \"" << folder << "\"))\n\n"
      << "import " << stem << "  # noqa: E402\n\n\n"
      << "class Test" << static_cast<char>(std::toupper(stem[0])) << stem.substr(1) << "(unittest.TestCase):\n"
      << "    def test_describe_names_the_module(self):\n"
      << "        self.assertTrue(" << stem << ".describe().startswith(\"" << stem << "\"))\n\n\n"
      << "if __name__ == \"__main__\":\n    unittest.main()\n";
  return out.str();
}

}  // namespace

std::string MockProvider::reply_for(const ChatRequest& request) {
  const nlohmann::json& hints = request.hints;
  const std::string kind = hints.value("kind", "");
  const std::string idea = hints.value("idea", "");
  if (hints.contains("schema") && hints["schema"].is_array()) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& field : hints["schema"]) {
      doc[field.value("name", "")] =
          field_value(field.value("name", ""), field.value("type", "str"), idea, hints.value("refine", false));
    }
    return "[CONTENT]\n" + doc.dump(4) + "\n[/CONTENT]";
  }
  if (kind == "review") {
    return "## Code Review: " + hints.value("file", std::string()) +
           "\n1. Yes (mock review).\n\n## Actions\nnone\n\n## Code Review Result\nLGTM";
  }
  if (kind == "manual") {
    std::string slug = project_slug(idea);
    return "# " + slug + "\n\n" + std::string(kMockNote) + ".\n\nRequirement: " + idea +
           "\n\n## Run\n\n```sh\npython3 main.py\n```\n\n## Test\n\n```sh\npython3 -m unittest discover -s tests\n```\n";
  }
  if (kind == "code" || kind == "rewrite") {
    std::vector<std::string> deps;
    if (hints.contains("depends_on")) deps = hints["depends_on"].get<std::vector<std::string>>();
    return "```python\n" + module_code(hints.value("file", "module.py"), deps, idea) + "```";
  }
  if (kind == "test") return "```python\n" + test_code(hints.value("file", "module.py")) + "```";
  if (kind == "choose") {
    std::vector<std::string> done;
    if (hints.contains("done")) done = hints["done"].get<std::vector<std::string>>();
    const auto& choices = hints.value("choices", nlohmann::json::array());
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (std::find(done.begin(), done.end(), choices[i].get<std::string>()) == done.end()) return std::to_string(i);
    }
    return "-1";
  }
  return "Mock reply (" + hints.value("action", std::string("no action")) + ").";
}

boost::asio::awaitable<Result<ChatResult>> MockProvider::chat(const ChatRequest& request) {
  if (latency_.count() > 0) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency_);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  ChatResult result;
  result.text = reply_for(request);
  result.model = request.model;
  for (const auto& m : request.messages) result.usage.prompt_tokens += estimate_tokens(m.content) + 4;
  result.usage.completion_tokens = estimate_tokens(result.text);
  result.latency_s = latency_.count() / 1000.0;
  result.first_token_s = result.latency_s;
  if (request.on_delta) request.on_delta(result.text);
  co_return result;
}

}  // namespace agentco
