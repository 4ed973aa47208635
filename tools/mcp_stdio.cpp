// The stdio transport of tools/mcp_client.hpp: newline-delimited JSON-RPC over a child's
// pipes, one reader coroutine for its stdout (responses, requests and notifications from the
// server) and one for its stderr (to the log).
#include <deque>
#include <thread>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/secrets.hpp"
#include "environment/child_process.hpp"
#include "tools/mcp_client.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

constexpr std::size_t kMaxLine = 32 * 1024 * 1024;  // one message; a longer line is garbage
constexpr std::size_t kStderrTail = 8;
constexpr auto kExitGrace = std::chrono::milliseconds(2000);

std::string excerpt(std::string_view text) {
  std::string out(text.substr(0, 200));
  if (text.size() > 200) out += "...";
  return out;
}

// What the transport and its reader coroutines share; the readers keep it alive.
struct StdioState {
  StdioState(asio::any_io_executor executor, ChildPipes pipes, std::string name, std::string command)
      : input(executor, pipes.stdin_fd),
        output(executor, pipes.stdout_fd),
        errors(executor, pipes.stderr_fd),
        pid(pipes.pid),
        name(std::move(name)),
        command(std::move(command)) {}

  asio::posix::stream_descriptor input, output, errors;
  int pid;
  std::string name;
  std::string command;
  // The request waiting for its response (requests go one at a time): its id, the timer it
  // sleeps on (cancelled when the answer comes), and the answer.
  std::optional<long> waiting_id;
  asio::steady_timer* waiting_timer = nullptr;
  std::optional<Result<json>> answer;
  bool busy = false;                          // a request is in flight
  std::deque<asio::steady_timer*> queue;      // requests waiting for their turn
  bool dead = false;
  std::string death;                          // why it can no longer answer
  std::deque<std::string> stderr_tail;
  bool closing = false;

  void deliver(Result<json> result) {
    answer = std::move(result);
    if (waiting_timer) waiting_timer->cancel();
  }

  std::string why_dead() {
    // It closed its output: it is exiting. A moment for its status, which says the most.
    std::string status = child_exit_status(pid);
    for (int i = 0; i < 25 && status.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
      status = child_exit_status(pid);
    }
    std::string text = death;
    if (!status.empty()) text += " (" + status + ")";
    if (!stderr_tail.empty())
      text += fmt::format("; its last stderr lines: {}", fmt::join(stderr_tail, " | "));
    return text;
  }

  void die(std::string why) {
    if (dead) return;
    dead = true;
    death = std::move(why);
    if (waiting_id) deliver(make_error("mcp", why_dead()));
  }
};

asio::awaitable<void> write_line(StdioState& state, const std::string& line) {
  boost::system::error_code ec;
  co_await asio::async_write(state.input, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) state.die("its input is closed: " + ec.message());
}

asio::awaitable<void> read_output(std::shared_ptr<StdioState> state) {
  std::string buffer;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await asio::async_read_until(state->output, asio::dynamic_buffer(buffer, kMaxLine), '\n',
                                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (state->closing) co_return;
      state->die(ec == asio::error::not_found ? "it wrote a line longer than 32 MiB"
                                              : "it closed its output (it exited)");
      co_return;
    }
    std::string line = buffer.substr(0, n);
    buffer.erase(0, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    json message = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded() || !message.is_object()) {
      // The protocol allows nothing but messages on stdout: what was asked cannot be trusted.
      if (state->waiting_id)
        state->deliver(make_error("mcp", "it wrote a line that is not a JSON-RPC message: " + excerpt(line)));
      else
        spdlog::warn("mcp {}: not a JSON-RPC message on its output: {}", state->name, excerpt(line));
      continue;
    }
    const bool has_method = message.contains("method");
    const bool has_id = message.contains("id") && (message["id"].is_number_integer() || message["id"].is_string());
    if (has_method && has_id) {
      // A request from the server (ping, roots, sampling, elicitation): only ping is offered.
      json reply = {{"jsonrpc", "2.0"}, {"id", message["id"]}};
      if (message["method"] == "ping")
        reply["result"] = json::object();
      else
        reply["error"] = {{"code", -32601}, {"message", "agentco's MCP client does not offer this method"}};
      co_await write_line(*state, reply.dump() + "\n");
      continue;
    }
    if (has_method) {
      spdlog::debug("mcp {}: {}", state->name, excerpt(line));  // a notification
      continue;
    }
    if (has_id && message["id"].is_number_integer() && state->waiting_id &&
        message["id"].get<long>() == *state->waiting_id) {
      state->deliver(std::move(message));
      continue;
    }
    spdlog::warn("mcp {}: an answer to no request: {}", state->name, excerpt(line));
  }
}

asio::awaitable<void> read_errors(std::shared_ptr<StdioState> state) {
  std::string buffer;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await asio::async_read_until(state->errors, asio::dynamic_buffer(buffer, 1 << 20), '\n',
                                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::not_found) {  // a very long line: keep its start
      buffer.resize(200);
      buffer += "...\n";
      continue;
    }
    if (ec) co_return;
    std::string line = buffer.substr(0, n);
    buffer.erase(0, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    line = scrub_secrets(line);
    spdlog::info("mcp {}: {}", state->name, line);
    state->stderr_tail.push_back(excerpt(line));
    if (state->stderr_tail.size() > kStderrTail) state->stderr_tail.pop_front();
  }
}

class StdioTransport : public McpTransport {
 public:
  explicit StdioTransport(std::shared_ptr<StdioState> state) : state_(std::move(state)) {}
  ~StdioTransport() override {
    if (!state_->closing) {
      state_->closing = true;
      end_child(state_->pid, std::chrono::milliseconds(200));
    }
  }

  asio::awaitable<Result<json>> request(json message, std::chrono::milliseconds timeout) override {
    StdioState& state = *state_;
    std::shared_ptr<StdioState> keep = state_;
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    timer.expires_after(timeout);
    // One request at a time: wait for the turn (a cancelled wait is the turn given).
    while (state.busy) {
      asio::steady_timer turn(executor, std::chrono::steady_clock::time_point::max());
      state.queue.push_back(&turn);
      boost::system::error_code ec;
      co_await turn.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    state.busy = true;
    Result<json> result = co_await exchange(state, std::move(message), timer, timeout);
    state.busy = false;
    if (!state.queue.empty()) {
      state.queue.front()->cancel();
      state.queue.pop_front();
    }
    co_return result;
  }

  asio::awaitable<Status> notify(json message) override {
    if (state_->dead) co_return make_error("mcp", state_->why_dead());
    co_await write_line(*state_, message.dump() + "\n");
    if (state_->dead) co_return make_error("mcp", state_->why_dead());
    co_return ok_status();
  }

  asio::awaitable<void> close() override {
    StdioState& state = *state_;
    if (state.closing) co_return;
    state.closing = true;
    boost::system::error_code ignored;
    state.input.close(ignored);  // the spec's first step: end its input, let it exit
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer tick(executor);
    const auto until = std::chrono::steady_clock::now() + kExitGrace;
    while (std::chrono::steady_clock::now() < until && child_exit_status(state.pid).empty()) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    end_child(state.pid, std::chrono::milliseconds(500));  // SIGTERM, then SIGKILL, the whole group
    state.output.close(ignored);
    state.errors.close(ignored);
  }

  std::string describe() const override { return "stdio: " + state_->command; }

 private:
  static asio::awaitable<Result<json>> exchange(StdioState& state, json message, asio::steady_timer& timer,
                                                std::chrono::milliseconds timeout) {
    if (state.dead) co_return make_error("mcp", state.why_dead());
    const long id = message.value("id", 0L);
    state.waiting_id = id;
    state.waiting_timer = &timer;
    state.answer.reset();
    co_await write_line(state, message.dump() + "\n");
    if (!state.answer && !state.dead) {
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    state.waiting_id.reset();
    state.waiting_timer = nullptr;
    if (state.answer) {
      Result<json> answer = std::move(*state.answer);
      state.answer.reset();
      co_return answer;
    }
    if (state.dead) co_return make_error("mcp", state.why_dead());
    co_return make_error("timeout", fmt::format("{} got no answer within {:.1f} s", message.value("method", "a request"),
                                                timeout.count() / 1000.0));
  }

  std::shared_ptr<StdioState> state_;
};

}  // namespace

Result<std::shared_ptr<McpTransport>> make_stdio_transport(asio::any_io_executor executor, const std::string& name,
                                                           const McpServerConfig& config, const std::string& cwd) {
  std::vector<std::string> argv{config.command};
  argv.insert(argv.end(), config.args.begin(), config.args.end());
  const std::string command = fmt::format("{}", fmt::join(argv, " "));
  Result<ChildPipes> pipes = spawn_with_pipes(argv, cwd, config.env);
  if (!pipes) return make_error("mcp", fmt::format("MCP server '{}' (stdio: {}): {}", name, command, pipes.error().message));
  auto state = std::make_shared<StdioState>(executor, *pipes, name, command);
  asio::co_spawn(executor, read_output(state), asio::detached);
  asio::co_spawn(executor, read_errors(state), asio::detached);
  return std::shared_ptr<McpTransport>(std::make_shared<StdioTransport>(state));
}

}  // namespace agentco
