// `agentco serve`: the web viewer over a warehouse (see web/server.hpp).
#include <memory>

#include "app/command_registry.hpp"
#include "web/server.hpp"

namespace agentco {
namespace {

const bool serve_registered = register_command(40, [](CLI::App& app) {
  struct Options {
    web::ServeOptions serve;
    std::string warehouse = "warehouse";
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("serve", "Web viewer: live runs, replays, timelines, messages, files and figures");
  cmd->add_option("--port", o->serve.port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_option("--host", o->serve.host,
                  "Address to listen on; anything but loopback lets others read the warehouse")
      ->capture_default_str();
  cmd->add_option("--warehouse", o->warehouse, "Folder holding the run folders")->capture_default_str();
  return Command{cmd, [o] {
                   o->serve.warehouse = o->warehouse;
                   return web::serve(o->serve);
                 }};
});

}  // namespace
}  // namespace agentco
