#include "actions/mermaid.hpp"

#include <chrono>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "actions/run_context.hpp"
#include "environment/node_tools.hpp"
#include "environment/process_runner.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

// mmdc's browser: Debian's chromium, never a downloaded one. The config goes in on stdin
// (`-p /dev/stdin`), so the command line is the same on every machine and in every run, and
// a replay matches it; no temporary file is needed.
constexpr const char* kPuppeteerConfig =
    R"({"executablePath":"/usr/bin/chromium","args":["--no-sandbox","--headless=new","--disable-gpu",)"
    R"("--disable-dev-shm-usage","--disable-background-networking","--disable-component-update",)"
    R"("--disable-sync","--no-first-run"]})";

constexpr std::size_t kSvgCap = 8 * 1024 * 1024;
constexpr std::chrono::seconds kDeadline{60};  // chromium's start included

ProcessSpec mmdc_spec(const RunContext& run, const std::string& mmd) {
  ProcessSpec spec;
  spec.argv = {"mmdc", "--quiet", "--puppeteerConfigFile", "/dev/stdin", "--input", mmd,
               "--output", "-", "--outputFormat", "svg"};
  spec.stdin_text = kPuppeteerConfig;
  spec.env["PATH"] = path_with_node_tools();
  spec.cwd = run.workspace.root().string();
  spec.deadline = kDeadline;
  spec.output_cap = kSvgCap;
  spec.sandbox = false;  // a trusted tool on our own diagram files
  return spec;
}

// What mmdc said, without the stack trace it prints after it: the first lines up to the
// first "at ..." frame or file URL, at most four ("Error: Parse error on line 2:", the line
// with a caret under the fault, what was expected).
std::string message_of(const std::string& said) {
  std::istringstream in(said);
  std::string message;
  int kept = 0;
  for (std::string line; kept < 4 && std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      if (kept == 0) continue;
      break;
    }
    const std::size_t indent = line.find_first_not_of(" \t");
    if (line.compare(indent, 3, "at ") == 0 || line.find("://") != std::string::npos) break;
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    message += (kept++ ? "\n  " : "") + line;
  }
  return message.empty() ? "(no message)" : message;
}

}  // namespace

boost::asio::awaitable<std::vector<std::string>> render_mermaid(RunContext& run, std::string role,
                                                                std::vector<std::string> mmd_paths) {
  std::vector<std::string> rendered;
  if (!run.config.run.render_diagrams || run.mermaid_unavailable) co_return rendered;
  for (const auto& mmd : mmd_paths) {
    const std::string svg = fs::path(mmd).replace_extension(".svg").generic_string();
    ProcessResult result = co_await run_process_async(mmdc_spec(run, mmd));
    if (!result.started) {
      run.mermaid_unavailable = true;
      run.warn(role, result.error.starts_with("program not found")
                         ? "mmdc (npm @mermaid-js/mermaid-cli) is not installed: diagrams stay as .mmd files, not "
                           "rendered (scripts/setup.sh installs it; run.render_diagrams: false stops trying)"
                         : "diagrams stay as .mmd files: mmdc could not start: " + result.error);
      co_return rendered;
    }
    std::string problem;
    if (result.timed_out) {
      problem = fmt::format("no answer within {} s", kDeadline.count());
    } else if (result.exit_code != 0) {
      const std::string& said = result.stderr_text.empty() ? result.stdout_text : result.stderr_text;
      problem = fmt::format("exit code {}: {}", result.exit_code, message_of(said));
    } else if (result.output_truncated) {
      problem = fmt::format("its SVG is over {} MiB", kSvgCap / (1024 * 1024));
    } else if (!result.stdout_text.starts_with("<svg")) {
      problem = "its output is not an SVG: " + message_of(result.stdout_text);
    }
    if (!problem.empty()) {
      run.warn(role, fmt::format("mmdc could not render {}, which stays as it is: {}", mmd, problem));
      continue;
    }
    if (auto written = run.write_file(role, svg, result.stdout_text)) rendered.push_back(written->path);
  }
  co_return rendered;
}

}  // namespace agentco
