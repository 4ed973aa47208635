// Fuzz target: the web viewer's request router (web/routes.hpp), in-process, over a warehouse
// in a private temporary folder. Input, cut at lines "=====": the request target (as the
// server passes it after its method and Host checks, which live with Beast in server.cpp),
// then the run.jsonl and the meta.json of a second run "r1". Run "r0" is a fixed, valid run
// with a git history. Every reply must be 200, 404 with the fixed body, or 500 naming no
// folder of the disk.
#include <cstddef>
#include <cstdint>
#include <string>

#include "environment/git_repo.hpp"
#include "fuzz/fuzz_support.hpp"
#include "trace/trace.hpp"
#include "web/routes.hpp"
#include "web/warehouse_view.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& warehouse() {
  static const fs::path root = [] {
    const fs::path dir = agentco::fuzz::scratch_dir() / "warehouse";
    const fs::path run = dir / "r0";
    agentco::fuzz::write_bytes(run / "main.py", "print('hello')\n");
    agentco::fuzz::write_bytes(run / "docs" / "prd.md", "# PRD\n");
    auto repo = agentco::GitRepo::open_or_init(run);
    if (!repo) agentco::fuzz::fail("cannot create the fixed run's repository: " + repo.error().message);
    (void)(*repo)->commit({"main.py"}, "Alex", "alex@agentco", "WriteCode: main.py");
    agentco::fuzz::write_bytes(run / "main.py", "print('hello, world')\n");
    (void)(*repo)->commit({"main.py", "docs/prd.md"}, "Alex", "alex@agentco", "FixBug: main.py");
    std::string trace;
    trace += agentco::seal_trace_record({{"seq", 1},
                                         {"ts", "2026-01-01T00:00:00Z"},
                                         {"type", "run_start"},
                                         {"schema_version", 1},
                                         {"idea", "snake"},
                                         {"name", "snake"}}) +
             "\n";
    trace += agentco::seal_trace_record(
                 {{"seq", 2}, {"ts", "2026-01-01T00:00:01Z"}, {"type", "run_end"}, {"reason", "idle"}}) +
             "\n";
    agentco::fuzz::write_bytes(run / "run.jsonl", trace);
    agentco::fuzz::write_bytes(run / "meta.json", R"({"idea":"snake","outcome":{"status":"finished"}})");
    return dir;
  }();
  return root;
}

void check(const agentco::web::Reply& reply, std::string_view target) {
  using agentco::fuzz::fail;
  if (reply.status == 404 && reply.body != R"({"error":"not found"})") fail("a 404 with another body");
  if (reply.status != 200 && reply.status != 404 && reply.status != 500)
    fail("status " + std::to_string(reply.status) + " for " + std::string(target));
  if (reply.status != 200 && reply.body.find(agentco::fuzz::scratch_dir().string()) != std::string::npos)
    fail("a refusal names a folder of the disk");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  const fs::path& root = warehouse();
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 3);
  const std::string target(parts[0]);
  const fs::path r1 = root / "r1";
  std::error_code ec;
  fs::remove_all(r1, ec);
  if (parts.size() > 1) fuzz::write_bytes(r1 / "run.jsonl", parts[1]);
  if (parts.size() > 2) fuzz::write_bytes(r1 / "meta.json", parts[2]);

  web::WarehouseView view(root);
  web::Routes routes(view, fs::path());
  check(routes.get(target), target);
  if (auto live = routes.live(target)) {
    if (live->trace.parent_path().parent_path() != root) fuzz::fail("a live stream outside the warehouse");
  }
  if (parts.size() > 1) {
    for (const char* fixed :
         {"/api/runs", "/api/runs/r1", "/api/runs/r1/trace?from=1&limit=3&compact=1", "/api/runs/r1/commits"})
      check(routes.get(fixed), fixed);
  }
  return 0;
}
