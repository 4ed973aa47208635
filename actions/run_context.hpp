// RunContext: the shared world of one run, as actions and roles see it: the bus, the
// project workspace, the model gateway, the trace, the documents written so far, and the
// stop state. Owned by the Team; lives as long as the run. Single-threaded.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/result.hpp"
#include "environment/message_bus.hpp"
#include "core/stop_state.hpp"
#include "environment/workspace.hpp"
#include "llm/context_window.hpp"
#include "llm/gateway.hpp"
#include "trace/trace.hpp"

namespace agentco {

struct Sop;

class PromptLibrary;
class ToolHub;

// How a document is shown: its fields in the order its schema gives them, and the fields
// kept when a prompt must be shortened (its SOP action's `brief:`; empty = all).
struct DocumentLayout {
  std::vector<std::string> fields;
  std::vector<std::string> brief;
};

// What the engineering floor knows about the project, as it goes.
struct ProjectState {
  std::map<std::string, std::string> sources;  // source file -> its text as last written (no tests)
  std::vector<std::string> tests;              // the test files QA wrote
  std::string source_root;                     // a MetaGPT project's source sub-folder ("" = the root)
  int review_rounds = 0;                       // review rounds of the last write_code turn
  nlohmann::json code_summary;                 // the engineer's summary (null until written)
  int qa_round = 0;                            // QA rounds run so far
  nlohmann::json qa_verdict;                   // QA's verdict (null until QA ran)
};

class RunContext {
 public:
  RunContext(boost::asio::any_io_executor executor, const Config& config, std::string idea,
             MessageBus& bus, Workspace& workspace, TraceWriter& trace, LlmGateway& llm,
             const PromptLibrary& prompts);

  boost::asio::any_io_executor executor;
  const Config& config;
  const std::string idea;
  MessageBus& bus;
  Workspace& workspace;
  TraceWriter& trace;
  LlmGateway& llm;
  const PromptLibrary& prompts;

  // The documents the SOP's document actions wrote, by name ("prd", "system_design",
  // "tasks", ...), and how each is shown. Nothing else lives here: what the engineering
  // floor knows is typed, in `project`.
  std::map<std::string, nlohmann::json> documents;
  std::map<std::string, DocumentLayout> document_layouts;
  ProjectState project;
  // Each model's context window: llm.context_window, what servers said, the built-in table;
  // and the models whose window the trace has been told.
  ContextWindows context_windows;
  std::set<std::string> context_windows_said;
  // The models for which the trace says how file prompts show the design (run.file_design).
  std::set<std::string> file_design_said;
  StopState stop;
  // The tools of the run's roles (SOP `tools:`); set by the run pipeline.
  ToolHub* tools = nullptr;
  // The run's SOP (set by the run pipeline): actions that address other roles look them up.
  const Sop* sop = nullptr;
  // A person at the terminal answers the ask_human tool (run --ask-human, --human,
  // --review-by-human); without one, that tool is left out of every role's tools.
  bool ask_human = false;

  // Asks the run to end; the team wakes up and stops the roles.
  void request_stop(const std::string& reason, const std::string& detail);
  // Counts one role turn; false (and a max_rounds stop) when the limit is reached.
  bool take_turn();
  int turns() const { return turns_; }

  // Writes a file into the project and traces it. A refused path is traced and returned.
  Result<WrittenFile> write_file(const std::string& role, std::string_view path,
                                 std::string_view content);
  // Commits paths with the role as author and traces the commit.
  Result<std::string> commit(const std::string& role, const std::string& message,
                             const std::vector<std::string>& paths);
  // Warnings shown to the user and traced (e.g. a refused file name).
  void warn(const std::string& role, const std::string& text);

  // The project's name is known (from the PRD); the team may rename the folder.
  std::function<void(const std::string&)> on_project_name;
  bool mermaid_unavailable = false;  // mmdc is not installed: said once, then not tried again
  std::function<void()> wake;

 private:
  int turns_ = 0;
};

}  // namespace agentco
