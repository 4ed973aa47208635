// RunContext: the shared world of one run, as actions and roles see it: the bus, the
// project workspace, the model gateway, the trace, the documents written so far, and the
// stop state. Owned by the Team; lives as long as the run. Single-threaded.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/result.hpp"
#include "environment/message_bus.hpp"
#include "environment/stop_state.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "trace/trace.hpp"

namespace agentco {

class PromptLibrary;

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

  // Documents by name ("requirement", "prd", "system_design", "tasks", "code", ...).
  std::map<std::string, nlohmann::json> documents;
  StopState stop;

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
  bool mermaid_warned = false;  // "mmdc is not installed" is said once per run
  std::function<void()> wake;

 private:
  int turns_ = 0;
};

}  // namespace agentco
