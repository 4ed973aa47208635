// Renders mermaid diagrams (.mmd) to SVG with mmdc (npm @mermaid-js/mermaid-cli, driven
// by Debian's chromium) when it is installed; when it is not, says so once per run and
// leaves the .mmd files as they are.
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
