// Where a user's config files are: the project's ./config/agentco.yaml and the user's
// $XDG_CONFIG_HOME/agentco/config.yaml (else ~/.config/agentco/config.yaml), lowest first.
// The config loader layers them; the cluster's NATS settings are read from the same files.
#pragma once
#include <filesystem>
#include <vector>

namespace agentco {

// The default files in the order they are layered, whether or not they exist.
std::vector<std::filesystem::path> default_config_files();

}  // namespace agentco
