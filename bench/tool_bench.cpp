// Tool calls: what one call costs the run, from the model's arguments to the result it is
// shown (arguments parsed and checked against the schema, the call, the result cut, the
// tool_call and tool_result records written to a trace), for
//   built-in    read_file of a small project file (in process);
//   run         the built-in `run` tool: `true` in the sandbox (a process per call);
//   MCP stdio   a Python MCP server (tests/support/fake_mcp_server.hpp) and npm's
//               server-everything `echo` over stdio;
//   MCP HTTP    server-everything `echo` over Streamable HTTP on loopback.
// And the start of each server (spawn, initialize, tools/list). Medians over rounds.
// Usage: tool-bench [--calls N] [--rounds R]
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/support/measure.hpp"
#include "environment/workspace.hpp"
#include "tests/support/fake_mcp_server.hpp"
#include "tests/support/loopback_port.hpp"
#include "tools/tool_hub.hpp"
#include "trace/trace.hpp"

namespace fs = std::filesystem;
using namespace agentco;
using bench::Clock;
using bench::median;
using bench::since;

namespace {

const fs::path kEverything =
    fs::path(AGENTCO_SOURCE_DIR) / "web" / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js";

struct Figures {
  double start_ms = 0;    // connect: spawn or first request, initialize, tools/list
  double per_call_us = 0;
  bool ok = false;
  std::string problem;
  double cpu_per_call_us = 0;  // this process (agentco's side: client, checks, trace), user + sys
};

// Starts a hub on `config`, builds the box for `tools`, times `calls` calls of `call`.
Figures measure(const Config& config, const fs::path& root, const std::vector<std::string>& tools, const ToolCall& call,
                int calls) {
  auto workspace = Workspace::open(root);
  if (!workspace) return {0, 0, false, workspace.error().message};
  auto trace = TraceWriter::open(root / "bench.jsonl");
  if (!trace) return {0, 0, false, trace.error().message};
  ToolHub hub(config, [root] { return root.string(); }, trace->get());
  ToolContext context{**workspace, "Bench",
                      [&](std::string_view path, std::string_view content) { return (*workspace)->write(path, content); }};
  boost::asio::io_context io;
  auto body = [&]() -> boost::asio::awaitable<Figures> {
    Figures out;
    const auto started = Clock::now();
    Result<ToolBox> box = co_await hub.box_for("Bench", tools);
    out.start_ms = since(started) * 1000;
    if (!box) {
      out.problem = box.error().message;
      co_await hub.close();
      co_return out;
    }
    const auto first = Clock::now();
    const double cpu_before = bench::cpu_of(bench::usage(RUSAGE_SELF));
    for (int i = 0; i < calls; ++i) {
      ToolResult result = co_await box->call(context, call, trace->get());
      if (result.is_error) {
        out.problem = result.text;
        co_await hub.close();
        co_return out;
      }
    }
    out.per_call_us = since(first) * 1e6 / calls;
    out.cpu_per_call_us = (bench::cpu_of(bench::usage(RUSAGE_SELF)) - cpu_before) * 1e6 / calls;
    out.ok = true;
    co_await hub.close();
    co_return out;
  };
  auto future = boost::asio::co_spawn(io, body(), boost::asio::use_future);
  io.run();
  return future.get();
}


// server-everything over HTTP, in the background for the bench's life.
struct HttpServer {
  pid_t pid = -1;
  int port = 0;
  explicit HttpServer(const fs::path& dir) {
    port = testing::free_loopback_port();
    const std::string port_env = "PORT=" + std::to_string(port);
    const std::string path_env = std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    const std::string home_env = "HOME=" + dir.string();
    std::vector<std::string> args = {"/usr/bin/env", "node", kEverything.string(), "streamableHttp"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = {port_env, path_env, home_env};
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~HttpServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  int calls = 300;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--calls") == 0) calls = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = bench::fresh_dir("tool_bench");
  const fs::path project = dir / "project";
  fs::create_directories(project);
  std::ofstream(project / "notes.md") << "# notes\n\nOne line of text.\n";
  const fs::path script = testing::write_fake_mcp_server(dir);
  const bool everything = fs::exists(kEverything);
  std::unique_ptr<HttpServer> http;
  if (everything) http = std::make_unique<HttpServer>(dir);

  Config config;
  config.mcp_servers["notes"].command = "python3";
  config.mcp_servers["notes"].args = {script.string()};
  if (everything) {
    config.mcp_servers["everything"].command = "node";
    config.mcp_servers["everything"].args = {kEverything.string(), "stdio"};
    config.mcp_servers["web"].url = "http://127.0.0.1:" + std::to_string(http->port) + "/mcp";
    config.mcp_servers["web"].startup_timeout_s = 5;
  }

  struct Case {
    std::string name;
    std::vector<std::string> tools;
    ToolCall call;
    int calls;
  };
  std::vector<Case> cases = {
      {"built-in read_file", {"read_file"}, {"c", "read_file", R"({"path":"notes.md"})"}, calls * 10},
      {"built-in run (`true`, sandboxed)", {"run"}, {"c", "run", R"({"command":"true"})"}, std::max(1, calls / 10)},
      {"MCP stdio, Python server", {"mcp:notes/add_note"}, {"c", "notes__add_note", R"({"text":"x"})"}, calls},
  };
  if (everything) {
    cases.push_back({"MCP stdio, server-everything echo", {"mcp:everything/echo"}, {"c", "everything__echo", R"({"message":"x"})"}, calls});
    cases.push_back({"MCP HTTP, server-everything echo", {"mcp:web/echo"}, {"c", "web__echo", R"({"message":"x"})"}, calls});
  }

  std::printf("tool-bench: %d rounds, medians; per call: from the model's arguments to the result, traced\n\n", rounds);
  std::printf("| tool | calls a round | per call (round trip) | agentco CPU per call | start (spawn or connect, initialize, "
              "tools/list) |\n|---|---:|---:|---:|---:|\n");
  for (const Case& c : cases) {
    std::vector<double> per_call, cpu, start;
    std::string problem;
    for (int r = 0; r < rounds; ++r) {
      Figures f;
      // The HTTP server listens a moment after it starts: the first round may need to wait.
      for (int attempt = 0; attempt < 50; ++attempt) {
        f = measure(config, project, c.tools, c.call, c.calls);
        if (f.ok || c.name.find("HTTP") == std::string::npos || r > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!f.ok) {
        problem = f.problem;
        break;
      }
      per_call.push_back(f.per_call_us);
      cpu.push_back(f.cpu_per_call_us);
      start.push_back(f.start_ms);
    }
    if (!problem.empty()) {
      std::printf("| %s | – | failed: %s | – | – |\n", c.name.c_str(), problem.substr(0, 120).c_str());
      continue;
    }
    const auto micros = [](double us) {
      return us >= 1000 ? fmt::format("{:.2f} ms", us / 1000) : fmt::format("{:.0f} µs", us);
    };
    std::printf("| %s | %d | %s | %s | %s |\n", c.name.c_str(), c.calls, micros(median(per_call)).c_str(),
                micros(median(cpu)).c_str(),
                c.name.starts_with("built-in") ? "–" : fmt::format("{:.0f} ms", median(start)).c_str());
  }
  if (!everything) std::printf("\n(server-everything is not installed in web/node_modules: scripts/setup.sh installs it)\n");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
