#include "actions/mermaid.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "actions/run_context.hpp"
#include "core/private_temp_file.hpp"
#include "environment/process_runner.hpp"

namespace agentco {
namespace fs = std::filesystem;

boost::asio::awaitable<std::vector<std::string>> render_mermaid(RunContext& run, std::string role,
                                                                std::vector<std::string> mmd_paths) {
  std::vector<std::string> rendered;
  if (mmd_paths.empty()) co_return rendered;
  if (!program_available("mmdc")) {
    if (!run.mermaid_warned) {
      run.mermaid_warned = true;
      run.warn(role, "mmdc (npm @mermaid-js/mermaid-cli) is not installed: diagrams stay as .mmd files, not rendered");
    }
    co_return rendered;
  }
  // mmdc's browser: Debian's chromium, never a downloaded one. Its config goes in a private
  // temporary file: a predictable name in /tmp could be planted by another user first.
  auto config = PrivateTempFile::create(
      "agentco-puppeteer-", ".json",
      R"({"executablePath":"/usr/bin/chromium","args":["--no-sandbox","--headless=new","--disable-gpu",)"
      R"("--disable-dev-shm-usage","--disable-background-networking","--disable-component-update",)"
      R"("--disable-sync","--no-first-run"]})");
  if (!config) {
    run.warn(role, "diagrams stay as .mmd files: " + config.error().message);
    co_return rendered;
  }
  for (const auto& mmd : mmd_paths) {
    std::string svg = fs::path(mmd).replace_extension(".svg").generic_string();
    ProcessSpec spec;
    spec.argv = {"mmdc", "-p", config->path().string(), "-i", mmd, "-o", svg};
    spec.cwd = run.workspace.root().string();
    spec.deadline = std::chrono::milliseconds(60000);
    spec.sandbox = false;  // a trusted tool on our own diagram files
    ProcessResult result = co_await run_process_async(std::move(spec));
    if (result.started && !result.timed_out && result.exit_code == 0 && run.workspace.exists(svg)) {
      rendered.push_back(svg);
    } else {
      run.warn(role, fmt::format("mmdc could not render {}: {}", mmd,
                                 result.stderr_text.empty() ? result.error : result.stderr_text.substr(0, 400)));
    }
  }
  co_return rendered;
}

}  // namespace agentco
