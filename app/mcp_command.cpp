// `agentco mcp list [--server NAME] [--schemas]`: connects to each MCP server of the config
// (mcp_servers:) as a run would, and shows what it offers: its name, version and protocol
// revision, and each tool with the name a SOP gives it (mcp:SERVER/TOOL). Exit 0 when every
// server answered, 1 when one could not be reached, 2 for a usage or config error.
#include <cstdio>
#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/cli_flags.hpp"
#include "app/command_registry.hpp"
#include "tools/tool_hub.hpp"

namespace agentco {
namespace {

struct McpListOptions {
  CommonFlags common;
  std::string server;
  bool schemas = false;
};

std::string one_line(std::string text, std::size_t width) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (text.size() > width) text = text.substr(0, width - 3) + "...";
  return text;
}

int mcp_list_command(const McpListOptions& options) {
  auto config = load_config(options.common.sources());
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 2;
  }
  std::vector<std::string> names;
  for (const auto& [name, server] : config->mcp_servers)
    if (options.server.empty() || name == options.server) names.push_back(name);
  if (names.empty()) {
    if (!options.server.empty()) {
      spdlog::error("--server {}: the config defines no such MCP server", options.server);
      return 2;
    }
    std::printf("no MCP servers are configured (add them under mcp_servers: in the config)\n");
    return 0;
  }
  const std::string here = std::filesystem::current_path().string();
  ToolHub hub(*config, [here] { return here; }, nullptr);
  boost::asio::io_context io;
  int failed = 0;
  auto list = [&]() -> boost::asio::awaitable<void> {
    for (const std::string& name : names) {
      Result<McpServerView> view = co_await hub.server(name);
      if (!view) {
        ++failed;
        std::printf("%s: cannot be reached: %s\n\n", name.c_str(), view.error().message.c_str());
        std::fflush(stdout);
        continue;
      }
      std::printf("%s (%s): %s %s, MCP %s, %zu tools\n", name.c_str(), view->transport.c_str(),
                  view->info.name.c_str(), view->info.version.c_str(), view->info.revision.c_str(), view->tools.size());
      for (const McpToolInfo& tool : view->tools) {
        std::printf("  mcp:%s/%s\n      %s\n", name.c_str(), tool.name.c_str(),
                    one_line(tool.description.empty() ? tool.title : tool.description, 100).c_str());
        if (options.schemas) {
          std::printf("      input: %s\n", tool.input_schema.dump().c_str());
          if (!tool.output_schema.is_null()) std::printf("      output: %s\n", tool.output_schema.dump().c_str());
        }
      }
      for (const auto& skipped : view->skipped) std::printf("  left out: %s\n", skipped.c_str());
      std::printf("\n");
      std::fflush(stdout);
    }
    co_await hub.close();
  };
  auto done = boost::asio::co_spawn(io, list(), boost::asio::use_future);
  io.run();
  done.get();
  return failed ? 1 : 0;
}

const bool mcp_registered = register_command(50, [](CLI::App& app) {
  auto o = std::make_shared<McpListOptions>();
  CLI::App* cmd = app.add_subcommand("mcp", "MCP servers of the config (mcp_servers:)");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "Connect to each MCP server and show its tools as SOPs name them");
  list->add_option("--server", o->server, "Only this server");
  list->add_flag("--schemas", o->schemas, "Show each tool's input and output JSON Schema");
  o->common.add_to(list);
  return Command{cmd, [o] { return mcp_list_command(*o); }};
});

}  // namespace
}  // namespace agentco
