#include "actions/run_context.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sop/sop.hpp"

namespace agentco {

RunContext::RunContext(boost::asio::any_io_executor executor, const Config& config,
                       std::string idea, MessageBus& bus, Workspace& workspace, TraceWriter& trace,
                       LlmGateway& llm, const PromptLibrary& prompts)
    : executor(std::move(executor)),
      config(config),
      idea(std::move(idea)),
      bus(bus),
      workspace(workspace),
      trace(trace),
      llm(llm),
      prompts(prompts) {
  context_windows.configured = config.llm.context_window;
}

void RunContext::request_stop(const std::string& reason, const std::string& detail) {
  stop.request(reason, detail);
  if (wake) wake();
}

bool RunContext::take_turn() {
  // A graph SOP gives every role one turn: its role count is its own bound.
  const int limit = std::max(config.run.max_rounds, sop ? sop->min_turns : 0);
  if (turns_ >= limit) {
    request_stop("max_rounds", "reached --max-rounds " + std::to_string(limit) + " role turns");
    return false;
  }
  ++turns_;
  return true;
}

Result<WrittenFile> RunContext::write_file(const std::string& role, std::string_view path,
                                           std::string_view content) {
  auto written = workspace.write(path, content);
  if (!written) {
    trace.append("path_refused", {{"role", role}, {"path", std::string(path)},
                                  {"reason", written.error().message}});
    spdlog::warn("{}: {}", role, written.error().message);
    return written;
  }
  trace.append("file_write", {{"role", role},
                              {"path", written->path},
                              {"sha256", written->sha256},
                              {"bytes", written->bytes},
                              {"content", std::string(content)}});
  return written;
}

Result<std::string> RunContext::commit(const std::string& role, const std::string& message,
                                       const std::vector<std::string>& paths) {
  auto id = workspace.commit(paths, role, message);
  if (!id) {
    warn(role, "git commit failed: " + id.error().message);
    return id;
  }
  trace.append("commit", {{"role", role}, {"message", message}, {"paths", paths}, {"commit", *id}});
  return id;
}

void RunContext::warn(const std::string& role, const std::string& text) {
  trace.append("warning", {{"role", role}, {"message", text}});
  spdlog::warn("{}: {}", role, text);
}

}  // namespace agentco
