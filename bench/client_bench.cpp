// client-bench: the model client's own cost per call. Model calls per second over loopback
// against the in-process fake OpenAI server (no latency scripted: the figures are client +
// server overhead, both on this machine), streaming and not, on one kept-alive connection,
// on a fresh connection per call, and pooled with N calls in flight. Beside each: the heap
// bytes and allocations the client's thread made per call and per completion token (the
// server's thread is not counted): a proxy for the copies a streamed reply costs, since a
// copy into a new string or buffer allocates (a copy into a buffer kept for reuse does not).
//
//   build/bench/client-bench [--calls N] [--reply-bytes B]
#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/support/measure.hpp"
#include "llm/openai_provider.hpp"
#include "tests/support/fake_llm_server.hpp"

namespace {

// Allocation counting on the threads that switch it on (the client's).
thread_local bool counting = false;
std::atomic<std::uint64_t> allocated_bytes{0}, allocations{0};

}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  if (counting) {
    allocated_bytes.fetch_add(size, std::memory_order_relaxed);
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace agentco;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Case {
  const char* name;
  bool stream;
  int concurrency;   // calls in flight at once
  bool keep_alive;   // false: a fresh TCP connection for every call
};

struct Figures {
  int calls = 0;
  int failed = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  long connections = 0;
  long completion_tokens = 0;
  std::uint64_t bytes = 0, allocs = 0;  // allocated by the client's thread
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[at];
}

Figures run_case(const testing::FakeLlmServer& server, const Case& c, int calls) {
  OpenAiOptions options;
  options.base_url = server.base_url();
  options.model = "fake-model";
  options.max_retries = 0;
  options.concurrency = c.concurrency;
  options.transport.proxy = "";
  options.transport.max_idle_per_host = c.keep_alive ? static_cast<std::size_t>(std::max(8, c.concurrency)) : 0;
  OpenAiProvider provider(options);

  Figures figures;
  asio::io_context io;
  int next = 0;
  const auto start = Clock::now();
  for (int worker = 0; worker < c.concurrency; ++worker) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (next < calls) {
            ++next;
            ChatRequest request;
            request.model = "fake-model";
            request.stream = c.stream;
            request.max_tokens = 256;
            request.messages = {{"system", "You are Alex, an engineer."}, {"user", "Write game.py"}};
            request.hints = {{"role", "Alex"}, {"action", "WriteCode"}};
            const auto sent = Clock::now();
            auto result = co_await provider.chat(request);
            figures.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
            if (result) {
              ++figures.calls;
              figures.completion_tokens += result->usage.completion_tokens;
            } else {
              ++figures.failed;
            }
          }
        },
        asio::detached);
  }
  const std::uint64_t bytes0 = allocated_bytes.load(), allocs0 = allocations.load();
  counting = true;
  io.run();
  counting = false;
  figures.bytes = allocated_bytes.load() - bytes0;
  figures.allocs = allocations.load() - allocs0;
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.connections = provider.stats().transport.connections_opened;
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 2000;
  std::size_t reply_bytes = 400;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--calls") == 0) calls = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--reply-bytes") == 0) reply_bytes = static_cast<std::size_t>(std::atol(argv[i + 1]));
  }
  spdlog::set_level(spdlog::level::err);
  std::string reply(reply_bytes, 'x');
  for (std::size_t i = 7; i < reply.size(); i += 8) reply[i] = ' ';
  testing::FakeLlmServer server("models: [fake-model]\nrules:\n  - reply: \"" + reply + "\"\n");

  const Case cases[] = {
      {"one connection, kept alive", false, 1, true},  {"one connection, kept alive", true, 1, true},
      {"fresh connection per call", false, 1, false},  {"fresh connection per call", true, 1, false},
      {"pooled, 4 in flight", false, 4, true},         {"pooled, 4 in flight", true, 4, true},
      {"pooled, 16 in flight", false, 16, true},       {"pooled, 16 in flight", true, 16, true},
  };
  std::printf("client-bench: %d calls per case, %zu-byte replies, fake server in process on 127.0.0.1; load %s\n\n",
              calls, reply_bytes, bench::load_average().c_str());
  std::printf("| %-27s | %-6s | %8s | %8s | %9s | %9s | %11s | %11s | %12s | %13s |\n", "connections", "stream",
              "calls/s", "p50 ms", "p99 ms", "failed", "TCP opened", "allocs/call", "alloc B/call", "alloc B/token");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(29, '-').c_str(), std::string(8, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(), std::string(11, '-').c_str(),
              std::string(11, '-').c_str(), std::string(13, '-').c_str(), std::string(13, '-').c_str(),
              std::string(14, '-').c_str(), std::string(15, '-').c_str());
  run_case(server, cases[0], std::min(calls, 100));  // warm-up
  for (const auto& c : cases) {
    const Figures f = run_case(server, c, calls);
    const double per_call = f.calls ? 1.0 / f.calls : 0;
    std::printf("| %-27s | %-6s | %8.0f | %8.2f | %9.2f | %9d | %11ld | %11.0f | %12.0f | %13.1f |\n", c.name,
                c.stream ? "yes" : "no", f.calls / f.seconds, percentile(f.latencies_ms, 0.5),
                percentile(f.latencies_ms, 0.99), f.failed, f.connections, f.allocs * per_call, f.bytes * per_call,
                f.completion_tokens ? static_cast<double>(f.bytes) / f.completion_tokens : 0.0);
  }
  return 0;
}
