// Renders mermaid diagrams (.mmd) to SVG with mmdc (npm @mermaid-js/mermaid-cli, driven by
// Debian's chromium), found on PATH or in the npm folder setup fills (node_tools.hpp).
// mmdc writes the SVG to its stdout, which the process journal records, and the action
// writes it into the project: a replay answers mmdc from the trace and writes the same bytes
// (mmdc's output differs from one run to the next), with no browser started.
// When mmdc is not installed, says so once per run and leaves the .mmd files as they are;
// with run.render_diagrams false, does nothing.
#pragma once
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace agentco {

class RunContext;

// Renders each relative .mmd path under the project root to a .svg beside it; returns the
// relative paths of the SVGs written. Failures are warnings, never errors.
boost::asio::awaitable<std::vector<std::string>> render_mermaid(RunContext& run, std::string role,
                                                                std::vector<std::string> mmd_paths);

}  // namespace agentco
