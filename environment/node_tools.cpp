#include "environment/node_tools.hpp"

#include <cstdlib>

#include "environment/process_runner.hpp"

namespace agentco {
namespace fs = std::filesystem;

fs::path node_modules_dir() {
  if (const char* env = std::getenv("AGENTCO_WEB_NODE_MODULES"); env && *env) return env;
#ifdef AGENTCO_WEB_NODE_MODULES
  std::error_code ec;
  if (fs::is_directory(AGENTCO_WEB_NODE_MODULES, ec)) return AGENTCO_WEB_NODE_MODULES;
#endif
  return {};
}

std::string path_with_node_tools() {
  std::string path = caller_path();
  const fs::path modules = node_modules_dir();
  if (!modules.empty()) path += ":" + (modules / ".bin").string();
  return path;
}

}  // namespace agentco
