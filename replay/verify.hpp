// replay --verify: what differs between two project folders — files (without git, the
// trace and meta.json), byte for byte, and the git history, commit by commit (tree, author,
// message; ids and times differ by nature).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace agentco {

// One line per difference; empty when the projects are the same.
std::vector<std::string> compare_projects(const std::filesystem::path& original, const std::filesystem::path& copy);

}  // namespace agentco
