// The provider and process journal of a replay, resume or fork: answers from a ReplayScript,
// and past the recording goes to the live model (resume, fork) or fails (replay).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "environment/process_journal.hpp"
#include "llm/provider.hpp"
#include "replay/replay_script.hpp"

namespace agentco {

class ReplayProvider : public Provider {
 public:
  // `live` may be null: then a call the recording cannot answer fails with code "replay".
  ReplayProvider(ReplayScript& script, std::shared_ptr<Provider> live);
  std::string name() const override;
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override;

 private:
  ReplayScript& script_;
  std::shared_ptr<Provider> live_;
};

// Recalls recorded processes; runs (and records) the others.
class ReplayProcessJournal : public ProcessJournal {
 public:
  ReplayProcessJournal(ReplayScript& script, TraceWriter& trace, std::function<std::string()> project_root);
  boost::asio::awaitable<std::optional<ProcessResult>> recall(const ProcessSpec& spec) override;
  void record(const ProcessSpec& spec, const ProcessResult& result, bool recalled) override;

 private:
  ReplayScript& script_;
  TraceProcessJournal recorder_;
  std::function<std::string()> project_root_;
};

}  // namespace agentco
