// agentco: a multi-agent software company. See README.md.
// Each subcommand lives in its own app/*_command.cpp and registers itself (command_registry.hpp).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>

#include "app/command_registry.hpp"
#include "core/secrets.hpp"

namespace {

// Every log line passes through here on its way to stderr: no configured secret is printed,
// even inside an error a server echoed back (core/secrets.hpp).
class ScrubbingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ScrubbingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text = agentco::scrub_secrets(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg scrubbed(msg.time, msg.source, msg.logger_name, msg.level, text);
    inner_->log(scrubbed);
  }
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
};

// A run a worker started (cluster/worker.hpp) stops, as on Ctrl-C, when the worker dies:
// a worker killed outright leaves no run going on unwatched, paying for calls whose answers
// nobody streams. The variable holds the worker's pid, to catch a worker that died first.
void stop_with_parent() {
  const char* parent = std::getenv("AGENTCO_STOP_WITH_PARENT");
  if (!parent || !*parent) return;
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (std::to_string(::getppid()) != parent) std::raise(SIGTERM);
}

}  // namespace

int main(int argc, char** argv) {
  stop_with_parent();
  auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  terminal->set_pattern("%^%l%$ %v");
  auto logger = std::make_shared<spdlog::logger>("agentco", std::make_shared<ScrubbingSink>(terminal));
  spdlog::set_default_logger(logger);

  CLI::App app{"agentco: a multi-agent software company. One line in, a project out."};
  app.set_version_flag("--version", std::string("agentco ") + AGENTCO_VERSION);
  app.require_subcommand(1);
  const auto commands = agentco::add_registered_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as the README says (CLI11's own
    // codes, 104-109, would mean nothing to a user or a script).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  // The last line of defence: an exception that nothing below caught is a bug, but it must
  // end in a message and exit 1, not in std::terminate (exit 134). Work already finished is
  // on disk, written and committed as it was made.
  try {
    for (const auto& command : commands)
      if (*command.cli) return command.run();
  } catch (const std::exception& e) {
    spdlog::error("internal error: {} (finished work stays where it was written; please report this)", e.what());
    return 1;
  }
  return 2;
}
