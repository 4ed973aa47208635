// A real nats-server (Debian's, with JetStream) for the cluster's tests: on a free loopback
// port, its store in a folder of the test's, stopped (SIGTERM) when the object goes. A test
// calls nats_server_program() (nats_program.hpp) first and skips when it is not installed.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/loopback_port.hpp"
#include "tests/support/nats_program.hpp"

namespace agentco::testing {

class NatsServerProcess {
 public:
  explicit NatsServerProcess(const std::filesystem::path& dir) : dir_(dir), port_(free_loopback_port()) {
    start();
  }
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
    options.argv = {nats_server_program(),    "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd",
                    (dir_ / "store").string()};
    options.env = clean_environment(dir_);
    options.cwd = dir_;
    std::filesystem::create_directories(dir_);
    process_ = std::make_unique<BackgroundProcess>(options);
    for (int i = 0; i < 200 && !ok_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ok_ = loopback_port_accepts(port_);
    }
  }

 private:
  std::filesystem::path dir_;
  int port_;
  bool ok_ = false;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace agentco::testing
