// A small MCP server for tests, in Python (python3 is on every machine the suite runs on): it
// speaks newline-delimited JSON-RPC on stdin/stdout and offers one tool, add_note {text}, that
// answers "noted: TEXT (N notes)". Its first argument picks a way to misbehave:
//   ok           behaves
//   exit         says "boom: cannot start" on stderr and exits with code 3 at once
//   hang         reads requests and never answers
//   garbage      writes a line that is not JSON-RPC before anything else
//   die_on_call  answers initialize and tools/list, then exits on tools/call
//   bad_schema   also lists a tool whose inputSchema is not a usable schema
//   old          answers initialize with protocol revision 2024-11-05
// With MCP_START_LOG set it appends a line to that file each time it starts, so that a test
// can count starts (a replay must start none). No GoogleTest here: the benchmarks use it too.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>

namespace agentco::testing {

inline constexpr const char* kFakeMcpServer = R"PY(import json, os, sys
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
log = os.environ.get("MCP_START_LOG")
if log:
    with open(log, "a") as f:
        f.write("started\n")
if mode == "exit":
    print("boom: cannot start", file=sys.stderr, flush=True)
    sys.exit(3)
print("notes server ready", file=sys.stderr, flush=True)
if mode == "garbage":
    print("hello world", flush=True)
tools = [{"name": "add_note", "description": "Adds a note to the list",
          "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}]
if mode == "bad_schema":
    tools.append({"name": "broken", "inputSchema": {"type": "nonsense"}})
notes = []
for line in sys.stdin:
    msg = json.loads(line)
    if "id" not in msg:
        continue
    method = msg.get("method")
    if mode == "hang":
        continue
    if method == "initialize":
        result = {"protocolVersion": "2024-11-05" if mode == "old" else "2025-06-18",
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "notes", "version": "1.0"}}
    elif method == "tools/list":
        result = {"tools": tools}
    elif method == "tools/call":
        if mode == "die_on_call":
            print("dying on a call", file=sys.stderr, flush=True)
            sys.exit(1)
        notes.append(msg["params"]["arguments"]["text"])
        result = {"content": [{"type": "text", "text": "noted: %s (%d notes)" % (notes[-1], len(notes))}]}
    else:
        print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "unknown"}}), flush=True)
        continue
    print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}), flush=True)
)PY";

// Writes the server to `dir`/notes_server.py and returns its path.
inline std::filesystem::path write_fake_mcp_server(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "notes_server.py";
  std::ofstream(file, std::ios::binary) << kFakeMcpServer;
  return file;
}

}  // namespace agentco::testing
