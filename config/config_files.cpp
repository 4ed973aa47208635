#include "config/config_files.hpp"

#include <cstdlib>

namespace agentco {

std::vector<std::filesystem::path> default_config_files() {
  std::vector<std::filesystem::path> files{std::filesystem::path("config") / "agentco.yaml"};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    files.push_back(std::filesystem::path(xdg) / "agentco" / "config.yaml");
  else if (const char* home = std::getenv("HOME"); home && *home)
    files.push_back(std::filesystem::path(home) / ".config" / "agentco" / "config.yaml");
  return files;
}

}  // namespace agentco
