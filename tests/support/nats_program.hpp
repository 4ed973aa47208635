// Where Debian's nats-server is (it installs it in /usr/sbin, which a user's PATH may lack),
// for the cluster's tests and cluster-bench. No GoogleTest here.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace agentco::testing {

// The nats-server program, or "" when it is not installed.
inline std::string nats_server_program() {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / "nats-server";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

}  // namespace agentco::testing
