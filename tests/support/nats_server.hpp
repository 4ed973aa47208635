// A real nats-server (Debian's, with JetStream) for the cluster's tests: on a free loopback
// port, its store in a folder of the test's, stopped (SIGTERM) when the object goes. A test
// calls nats_server_program() first and skips when the server is not installed.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/loopback_port.hpp"

namespace agentco::testing {

// The nats-server program (PATH, then /usr/sbin where Debian puts it), or "" when absent.
inline std::string nats_server_program() {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / "nats-server";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

inline bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

class NatsServerProcess {
 public:
  explicit NatsServerProcess(const std::filesystem::path& dir) : dir_(dir), port_(free_loopback_port()) { start(); }
  ~NatsServerProcess() { stop(); }

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  bool ok() const { return ok_; }

  // Stops it (SIGTERM, as a service manager would), then starts it again on the same port
  // and store: JetStream's file store brings the streams back.
  void restart() {
    stop();
    start();
  }
  void stop() {
    if (!process_) return;
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(20));
    process_.reset();
    ok_ = false;
  }
  void start() {
    ProcessOptions options;
    options.argv = {nats_server_program(), "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd",
                    (dir_ / "store").string()};
    options.env = clean_environment(dir_);
    options.cwd = dir_;
    std::filesystem::create_directories(dir_);
    process_ = std::make_unique<BackgroundProcess>(options);
    for (int i = 0; i < 200 && !ok_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ok_ = port_accepts(port_);
    }
  }

 private:
  std::filesystem::path dir_;
  int port_;
  bool ok_ = false;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace agentco::testing
