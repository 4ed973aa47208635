// fake-llm-server: the scripted OpenAI-compatible server as a program, for end-to-end tests,
// benchmarks and manual runs. Prints "listening on <base url>" as its first stdout line, then
// serves until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "tests/support/fake_llm_server.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"An OpenAI-compatible server scripted by YAML (see tests/support/fake_llm_server.hpp)",
               "fake-llm-server"};
  std::string script_path;
  std::string fixtures_path;
  std::uint16_t port = 0;
  bool tls = false;
  std::string cert_out;
  app.add_option("--script", script_path, "YAML script: models, rules, faults, latency")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)");
  app.add_option("--fixtures", fixtures_path, "rsp_cache.json, for rules with reply_fixture")
      ->check(CLI::ExistingFile);
  app.add_flag("--tls", tls, "serve HTTPS with a fresh self-signed certificate for localhost and 127.0.0.1");
  app.add_option("--tls-cert-out", cert_out,
                 "with --tls: write the certificate (PEM) here, for clients to trust");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before the server's thread starts, so that only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    const auto script = read_file(script_path);
    std::unique_ptr<agentco::testing::FakeLlmServer> server;
    if (tls) {
      auto [cert_pem, key_pem] = agentco::testing::make_self_signed_certificate();
      if (!cert_out.empty()) {
        std::ofstream out(cert_out, std::ios::binary);
        out << cert_pem;
        if (!out.flush()) throw std::runtime_error("cannot write " + cert_out);
      }
      server =
          std::make_unique<agentco::testing::FakeLlmServer>(script, cert_pem, key_pem, fixtures_path, port);
    } else {
      server = std::make_unique<agentco::testing::FakeLlmServer>(script, fixtures_path, port);
    }
    std::cout << "listening on " << server->base_url() << std::endl;  // endl: the parent waits for this line

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::cerr << "fake-llm-server: stopping after " << server->chat_requests() << " chat requests\n";
  } catch (const std::exception& error) {
    std::cerr << "fake-llm-server: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
