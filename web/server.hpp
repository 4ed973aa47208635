// `agentco serve`: the web viewer's HTTP and WebSocket server (Boost.Beast), read-only over
// a warehouse. All of Beast lives in server.cpp; routes.hpp holds what each URL answers.
//
// One thread, one io_context. Each connection is a coroutine: HTTP/1.1 keep-alive with a
// deadline on every read and write; GET and HEAD only; a Host header other than a loopback
// name is refused while bound to loopback (DNS rebinding). A WebSocket upgrade of
// /api/runs/ID/live streams the run's new trace records: the server keeps the trace file
// open (so a run that renames its folder keeps streaming), polls its size every
// `poll_interval`, sends complete checksummed lines as {"records":[...]} text frames
// (compacted like ?compact=1), and closes after run_end.
#pragma once
#include <chrono>
#include <filesystem>
#include <string>

namespace agentco::web {

struct ServeOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (printed)
  std::filesystem::path warehouse = "warehouse";
  std::chrono::milliseconds poll_interval{250};
};

// Serves until SIGINT or SIGTERM. Once listening, prints one line to stdout:
// "serving http://HOST:PORT/ (warehouse DIR)". Returns 0, or 2 with a clear message on
// stderr when the warehouse is missing or the address cannot be bound.
int serve(const ServeOptions& options);

}  // namespace agentco::web
