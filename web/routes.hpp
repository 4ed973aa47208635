// The viewer's HTTP routes, without any networking: a request target in, a reply out, so
// that every route and every refusal can be tested in-process.
//
//   /, /index.html                      the single-page app (web/assets/, embedded)
//   /assets/NAME                        embedded web/assets/NAME
//   /vendor/marked.js, /vendor/mermaid.js   npm packages from the node_modules folder
//   /api/runs                           summaries of every run
//   /api/runs/ID                        one run: summary, roles, meta.json
//   /api/runs/ID/trace?from=SEQ&limit=N&compact=1   records with seq >= SEQ
//   /api/runs/ID/commits                git log (newest first)
//   /api/runs/ID/tree?commit=C          files at a commit
//   /api/runs/ID/file?commit=C&path=P   a file's bytes at a commit (text/plain)
//   /api/runs/ID/diff?commit=C          a commit against its parent
//   /api/runs/ID/live?from=SEQ          WebSocket: records as the trace grows (see server)
//
// Anything else, any "." or ".." segment, encoded separators and unknown runs are 404 with
// the body {"error":"not found"}: nothing about the disk is ever named.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "web/warehouse_view.hpp"

namespace agentco::web {

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string cache_control = "no-store";
};

// What a WebSocket upgrade to /api/runs/ID/live asks for.
struct LiveRequest {
  std::string id;
  std::filesystem::path trace;  // the run's run.jsonl
  std::uint64_t from = 1;
};

class Routes {
 public:
  Routes(WarehouseView& view, std::filesystem::path node_modules);

  // Handles GET (and HEAD, whose body the server drops) of `target` (origin form).
  Reply get(std::string_view target);

  // The run and start seq of a live-stream target, or nullopt (then the upgrade is 404).
  std::optional<LiveRequest> live(std::string_view target);

 private:
  Reply api(const std::string& id, const std::string& what, const std::string& query_target);
  WarehouseView& view_;
  std::filesystem::path node_modules_;
};

}  // namespace agentco::web
