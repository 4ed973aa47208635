// ProcessJournal: every process a run starts (tests, smoke runs, static checks, mmdc) goes
// through run_process_async, which asks the journal first. A live run's journal records each
// result in the trace (`process` records); a replay's journal answers from those records,
// so that a replay reproduces outputs that depended on time or on the machine.
// One run per process: the journal is process-wide, installed by the run command.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "environment/process_runner.hpp"

namespace agentco {

class TraceWriter;

class ProcessJournal {
 public:
  virtual ~ProcessJournal() = default;
  // A recorded result to use instead of running the process, or nullopt to run it.
  virtual boost::asio::awaitable<std::optional<ProcessResult>> recall(const ProcessSpec& spec) = 0;
  // Called with the result of every process, run or recalled.
  virtual void record(const ProcessSpec& spec, const ProcessResult& result, bool recalled) = 0;
};

// Installs (or, with nullptr, removes) the process-wide journal.
void set_process_journal(ProcessJournal* journal);
ProcessJournal* process_journal();

// How a process is named in the trace and matched in a replay: argv and cwd with the project
// folder written as "$PROJECT", so that the key survives a renamed or relocated folder.
nlohmann::json process_key(const ProcessSpec& spec, const std::string& project_root);

nlohmann::json process_result_to_json(const ProcessResult& result);
ProcessResult process_result_from_json(const nlohmann::json& record);

// The live run's journal: traces each process as a `process` record; `recall_from`, when
// set (replay, resume, fork), may answer instead of running.
class TraceProcessJournal : public ProcessJournal {
 public:
  using Recall = std::function<boost::asio::awaitable<std::optional<ProcessResult>>(const nlohmann::json& key)>;
  TraceProcessJournal(TraceWriter& trace, std::function<std::string()> project_root, Recall recall_from = {});

  boost::asio::awaitable<std::optional<ProcessResult>> recall(const ProcessSpec& spec) override;
  void record(const ProcessSpec& spec, const ProcessResult& result, bool recalled) override;

 private:
  TraceWriter& trace_;
  std::function<std::string()> project_root_;
  Recall recall_from_;
};

}  // namespace agentco
