// How much an import may read: another tool's output is untrusted input, and a small zip can
// hold gigabytes of zeros. The limits are checked before anything is unpacked (from the
// archive's own listing) and again on the files themselves before they are read.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace agentco {

struct ImportLimits {
  std::uint64_t max_file_bytes = 16ull << 20;    // one file (or archive entry), unpacked
  std::uint64_t max_total_bytes = 256ull << 20;  // everything read, unpacked
  double max_ratio = 100.0;                      // unpacked / packed, per archive entry and in all
};

// "16 MiB", "2.5 GiB", "812 bytes": sizes for messages.
std::string describe_bytes(std::uint64_t bytes);

// Checks a .zip's listing (from `unzip -Zl`, without unpacking) against `limits`. Error code
// "import" naming the archive, the entry and the limit; the message says which flag raises it.
Status check_zip_limits(const std::filesystem::path& zip, const ImportLimits& limits);

// Checks the regular files under `folder` (or `folder` itself when it is a file) against the
// size limits. Symbolic links are not followed.
Status check_tree_limits(const std::filesystem::path& folder, const ImportLimits& limits);

}  // namespace agentco
