// The npm folder scripts/setup.sh fills (web/node_modules): the viewer's front-end assets
// and the command-line tools a run uses (mmdc, mermaid-cli). Found at run time, since npm
// packages are not part of the binary.
#pragma once
#include <filesystem>
#include <string>

namespace agentco {

// $AGENTCO_WEB_NODE_MODULES, else the web/node_modules folder of the source tree this
// binary was built from; empty when neither exists.
std::filesystem::path node_modules_dir();

// PATH for a child that runs an npm tool: the caller's PATH, then node_modules/.bin, so
// that a tool the user installed wins and the one setup installed is found otherwise.
std::string path_with_node_tools();

}  // namespace agentco
