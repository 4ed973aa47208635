// The web viewer: its routes in-process (the JSON API over a real mock run, paging, git
// views, refusals of every path escape), the real `agentco serve` over loopback (raw HTTP
// and a WebSocket stream), and the page itself in headless Chromium (tests/web/), skipped
// when node, chromium or playwright-core are missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "trace/trace.hpp"
#include "web/routes.hpp"
#include "web/warehouse_view.hpp"

extern char** environ;

namespace agentco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ProcessOptions;
using testing::run_process;

fs::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("agentco-serve-" + tag + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> base_env(const fs::path& home) {
  const char* path = std::getenv("PATH");
  return {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + home.string()};
}

// One finished mock run in a fresh warehouse, made once per test program.
class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = make_temp_dir("suite");
    warehouse_ = root_ / "warehouse";
    fs::create_directories(warehouse_);
    ProcessOptions options;
    options.argv = {AGENTCO_BINARY, "run", "--llm", "mock", "--no-user-config", "--warehouse", warehouse_.string(),
                    "write a cli snake game"};
    options.env = base_env(root_);
    options.cwd = root_;
    options.timeout = std::chrono::milliseconds(90000);
    auto result = run_process(options);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const auto& entry : fs::directory_iterator(warehouse_)) run_id_ = entry.path().filename().string();
    ASSERT_FALSE(run_id_.empty());
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  static json get_json(web::Routes& routes, const std::string& target) {
    auto reply = routes.get(target);
    EXPECT_EQ(reply.status, 200u) << target << ": " << reply.body;
    return json::parse(reply.body, nullptr, false);
  }

  static inline fs::path root_, warehouse_;
  static inline std::string run_id_;
};

TEST_F(ServeTest, ListsTheRunWithItsSummaryAndServesItsTraceInPages) {
  web::WarehouseView view(warehouse_);
  web::Routes routes(view, {});
  json runs = get_json(routes, "/api/runs");
  ASSERT_EQ(runs.size(), 1u);
  const json& run = runs[0];
  EXPECT_EQ(run["id"], run_id_);
  EXPECT_EQ(run["idea"], "write a cli snake game");
  EXPECT_EQ(run["sop"], "software_company");
  EXPECT_EQ(run["model"], "mock");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_GT(run["duration_s"].get<double>(), 0.0);
  EXPECT_GT(run["files"].get<int>(), 5);
  EXPECT_EQ(run["verdict"]["decision"], "passed");

  json summary = get_json(routes, "/api/runs/" + run_id_);
  ASSERT_EQ(summary["roles"].size(), 5u);
  EXPECT_EQ(summary["roles"][0]["name"], "Alice");
  EXPECT_EQ(summary["roles"][0]["profile"], "Product Manager");
  EXPECT_TRUE(summary["meta"].is_object());

  auto trace = read_trace(warehouse_ / run_id_ / "run.jsonl");
  ASSERT_TRUE(trace.ok());
  const std::size_t total = trace->records.size();
  json first = get_json(routes, "/api/runs/" + run_id_ + "/trace?from=1&limit=10");
  ASSERT_EQ(first["records"].size(), 10u);
  EXPECT_EQ(first["records"][0]["seq"], 1);
  EXPECT_EQ(first["next"], 11);
  EXPECT_TRUE(first["more"].get<bool>());
  EXPECT_EQ(first["total"], total);
  // The full records are the trace's, without their checksums.
  json expected = trace->records[3];
  expected.erase("crc");
  json rest = get_json(routes, "/api/runs/" + run_id_ + "/trace?from=4&limit=100000");
  EXPECT_EQ(rest["records"][0], expected);
  EXPECT_EQ(rest["records"].size(), total - 3);
  EXPECT_FALSE(rest["more"].get<bool>());
  EXPECT_EQ(rest["records"].back()["type"], "run_end");

  // Compact records keep what the page draws and drop prompts and file contents.
  json compact = get_json(routes, "/api/runs/" + run_id_ + "/trace?compact=1&limit=5000");
  ASSERT_EQ(compact["records"].size(), total);
  for (const auto& record : compact["records"]) {
    EXPECT_FALSE(record.contains("crc"));
    if (record["type"] == "llm_request") EXPECT_FALSE(record["request"].contains("messages"));
    if (record["type"] == "file_write") EXPECT_FALSE(record.contains("content"));
    if (record["type"] == "run_start") EXPECT_FALSE(record.contains("config"));
  }
}

TEST_F(ServeTest, ShowsCommitsTreesFilesAndDiffsFromGit) {
  web::WarehouseView view(warehouse_);
  web::Routes routes(view, {});
  const std::string base = "/api/runs/" + run_id_;
  json commits = get_json(routes, base + "/commits");
  ASSERT_GE(commits.size(), 5u);
  const std::string root_commit = commits.back()["id"];
  EXPECT_EQ(commits.back()["author"], "User");
  EXPECT_NE(commits[0]["author"].get<std::string>().find("QA"), std::string::npos);

  json tree = get_json(routes, base + "/tree?commit=" + commits[0]["id"].get<std::string>());
  std::vector<std::string> paths;
  for (const auto& f : tree["files"]) paths.push_back(f["path"]);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "docs/prd.md"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "main.py"), paths.end());

  auto file = routes.get(base + "/file?commit=HEAD&path=main.py");
  EXPECT_EQ(file.status, 200u);
  EXPECT_EQ(file.body, read_text(warehouse_ / run_id_ / "main.py"));
  EXPECT_EQ(file.content_type, "text/plain; charset=utf-8");

  json diff = get_json(routes, base + "/diff?commit=" + root_commit.substr(0, 12));
  ASSERT_FALSE(diff["files"].empty());
  EXPECT_EQ(diff["files"][0]["status"], "added");
  EXPECT_NE(diff["files"][0]["patch"].get<std::string>().find("+"), std::string::npos);
}

TEST_F(ServeTest, RefusesEveryPathEscapeAndUnknownRunWith404AndNoPath) {
  // A folder outside the warehouse that looks like a run, reached through a symlink, and a
  // run whose trace is a symlink to a file outside.
  const fs::path outside = root_ / "outside_run";
  fs::create_directories(outside);
  fs::copy_file(warehouse_ / run_id_ / "run.jsonl", outside / "run.jsonl", fs::copy_options::overwrite_existing);
  std::error_code ec;
  fs::create_directory_symlink(outside, warehouse_ / "linked_out", ec);
  fs::create_directories(warehouse_ / "trace_link");
  fs::create_symlink(outside / "run.jsonl", warehouse_ / "trace_link" / "run.jsonl", ec);

  web::WarehouseView view(warehouse_);
  web::Routes routes(view, {});
  EXPECT_EQ(get_json(routes, "/api/runs").size(), 1u) << "symlinked runs must not be listed";
  const std::string run = "/api/runs/" + run_id_;
  const std::vector<std::string> targets = {
      "/../../etc/passwd",
      "/assets/../../../etc/passwd",
      "/assets/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2f..%2fetc%2fpasswd",
      "/vendor/../../etc/passwd",
      "/vendor/%2e%2e%2fpackage.json",
      "/api/runs/..",
      "/api/runs/%2e%2e",
      "/api/runs/%2E%2E/trace",
      "/api/runs/..%2f..%2fetc",
      "/api/runs/%2fetc%2fpasswd",
      "/api/runs//etc/passwd",
      "/api/runs/" + warehouse_.string(),
      "/api/runs/linked_out",
      "/api/runs/linked_out/trace",
      "/api/runs/trace_link",
      "/api/runs/no_such_run",
      "/api/runs/no_such_run/live",
      run + "/../../../etc/passwd",
      run + "/file?commit=HEAD&path=../../etc/passwd",
      run + "/file?commit=HEAD&path=/etc/passwd",
      run + "/file?commit=HEAD&path=%2e%2e%2fmeta.json",
      run + "/file?commit=HEAD&path=.git/config",
      run + "/file?commit=HEAD:main.py&path=x",
      run + "/tree?commit=HEAD~1",
      run + "/tree?commit=main",
      run + "/diff?commit=../../x",
      run + "/nothing",
      "/nothing",
  };
  for (const auto& target : targets) {
    auto reply = routes.get(target);
    EXPECT_EQ(reply.status, 404u) << target;
    EXPECT_EQ(reply.body, R"({"error":"not found"})") << target;
    EXPECT_EQ(reply.body.find(root_.string()), std::string::npos) << target;
  }
  EXPECT_FALSE(routes.live("/api/runs/linked_out/live"));
  EXPECT_FALSE(routes.live("/api/runs/%2e%2e/live"));
  ASSERT_TRUE(routes.live("/api/runs/" + run_id_ + "/live?from=7"));
  EXPECT_EQ(routes.live("/api/runs/" + run_id_ + "/live?from=7")->from, 7u);
}

TEST_F(ServeTest, TellsRunningFromStoppedRunsByRunEndAndRecentWrites) {
  const fs::path copy = warehouse_ / "half_run";
  fs::create_directories(copy);
  std::string text = read_text(warehouse_ / run_id_ / "run.jsonl");
  // The first 20 records and half of the 21st, as a crash mid-write would leave them.
  std::size_t cut = 0;
  for (int i = 0; i < 20; ++i) cut = text.find('\n', cut) + 1;
  std::ofstream(copy / "run.jsonl", std::ios::binary) << text.substr(0, cut + 30);

  web::WarehouseView view(warehouse_);
  auto running = view.run_summary("half_run");
  ASSERT_TRUE(running);
  EXPECT_EQ((*running)["status"], "running");
  EXPECT_EQ((*running)["records"], 20);
  EXPECT_TRUE((*running)["meta"].is_null());

  fs::last_write_time(copy / "run.jsonl", fs::file_time_type::clock::now() - std::chrono::hours(1));
  web::WarehouseView later(warehouse_);
  auto stopped = later.run_summary("half_run");
  ASSERT_TRUE(stopped);
  EXPECT_EQ((*stopped)["status"], "stopped");
  EXPECT_EQ((*stopped)["reason"], "no run_end");

  // Lines appended later are read from where the scan stopped.
  std::ofstream(copy / "run.jsonl", std::ios::binary | std::ios::trunc) << text;
  auto finished = later.run_summary("half_run");
  EXPECT_EQ((*finished)["status"], "finished");
  fs::remove_all(copy);
}

// One bad run (empty, binary, a line deleted or swapped, a bad checksum) is listed as
// damaged with the line and the reason; the good run beside it is listed as before.
TEST_F(ServeTest, ListsDamagedRunsWithTheReasonAndKeepsTheOthers) {
  const std::string text = read_text(warehouse_ / run_id_ / "run.jsonl");
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
    lines.push_back(text.substr(at, end - at));
  ASSERT_GT(lines.size(), 12u);
  auto join = [](const std::vector<std::string>& part) {
    std::string out;
    for (const auto& line : part) out += line + "\n";
    return out;
  };
  std::vector<std::string> deleted = lines;
  deleted.erase(deleted.begin() + 10);
  std::vector<std::string> swapped = lines;
  std::swap(swapped[10], swapped[11]);
  std::vector<std::string> bad_crc = lines;
  bad_crc[10][bad_crc[10].size() - 4] = bad_crc[10][bad_crc[10].size() - 4] == '0' ? '1' : '0';
  std::string binary(3000, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919u) % 251u);
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"bad_empty", {"", "holds no valid record"}},
      {"bad_binary", {binary, "line 1: record has no checksum"}},
      {"bad_deleted", {join(deleted), "line 11: seq 12 follows seq 10"}},
      {"bad_swapped", {join(swapped), "line 11: seq 12 follows seq 10"}},
      {"bad_crc", {join(bad_crc), "line 11: record checksum mismatch"}},
  };
  for (const auto& [id, content] : cases) {
    fs::create_directories(warehouse_ / id);
    std::ofstream(warehouse_ / id / "run.jsonl", std::ios::binary) << content.first;
    fs::last_write_time(warehouse_ / id / "run.jsonl", fs::file_time_type::clock::now() - std::chrono::hours(1));
  }
  web::WarehouseView view(warehouse_);
  web::Routes routes(view, "");
  json runs = get_json(routes, "/api/runs");
  ASSERT_TRUE(runs.is_array());
  std::map<std::string, json> by_id;
  for (const auto& run : runs) by_id[run["id"].get<std::string>()] = run;
  ASSERT_TRUE(by_id.count(run_id_));
  EXPECT_EQ(by_id[run_id_]["status"], "finished");
  EXPECT_EQ(by_id[run_id_]["damaged_lines"], 0);
  for (const auto& [id, content] : cases) {
    ASSERT_TRUE(by_id.count(id)) << id;
    EXPECT_EQ(by_id[id]["status"], "damaged") << id;
    EXPECT_NE(by_id[id]["detail"].get<std::string>().find(content.second), std::string::npos)
        << id << ": " << by_id[id]["detail"];
  }
  EXPECT_GE(by_id["bad_crc"]["damaged_lines"], 1);
  // The records of a damaged run are still served, in seq order.
  json page = get_json(routes, "/api/runs/bad_swapped/trace?from=1&limit=100000");
  ASSERT_TRUE(page["records"].is_array());
  for (std::size_t i = 1; i < page["records"].size(); ++i)
    EXPECT_LT(page["records"][i - 1]["seq"], page["records"][i]["seq"]);
  for (const auto& [id, content] : cases) fs::remove_all(warehouse_ / id);
}

TEST(ServeTraceLines, ConsumesOnlyCompleteCheckedLines) {
  std::string good = seal_trace_record({{"seq", 1}, {"ts", "2026-01-01T00:00:00.000Z"}, {"type", "warning"}});
  std::string bytes = good + "\n" + "{\"seq\":2,\"crc\":\"00000000\"}\n" + good.substr(0, 10);
  std::size_t offset = 0, bad = 0;
  auto records = web::parse_trace_lines(bytes, offset, &bad);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(offset, bytes.size() - 10) << "the unfinished last line waits for its newline";
}

// ---- the real server over loopback ---------------------------------------------------

// `agentco serve --port 0` as a child; the port is read from its first line.
class ServerProcess {
 public:
  ServerProcess(const fs::path& warehouse, const fs::path& home) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args = {AGENTCO_BINARY, "serve", "--port", "0", "--warehouse", warehouse.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto env_strings = base_env(home);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(out[0]);
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+)/)"))) port_ = std::stoi(m[1]);
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[8192];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

// Sends `request` as written (no normalisation of the path) and returns the whole reply.
std::string raw_http(int port, const std::string& request) {
  int fd = connect_to(port);
  if (fd < 0) return "";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply = read_all(fd);
  ::close(fd);
  return reply;
}

std::string get(int port, const std::string& target, const std::string& host = "127.0.0.1") {
  return raw_http(port, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
}

int status_of(const std::string& reply) {
  return reply.size() > 12 ? std::atoi(reply.substr(9, 3).c_str()) : 0;
}

TEST_F(ServeTest, ServerAnswersOverLoopbackAndRefusesEscapesMethodsAndForeignHosts) {
  ServerProcess server(warehouse_, root_);
  ASSERT_GT(server.port(), 0) << "agentco serve did not print its address";
  const int port = server.port();

  std::string page = get(port, "/");
  EXPECT_EQ(status_of(page), 200);
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(page.find("/assets/app.js"), std::string::npos);
  EXPECT_EQ(status_of(get(port, "/assets/app.js")), 200);

  std::string runs = get(port, "/api/runs");
  EXPECT_EQ(status_of(runs), 200);
  EXPECT_NE(runs.find(run_id_), std::string::npos);

  for (std::string target : {"/../../etc/passwd", "/assets/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                             "/api/runs/..%2F..%2Fetc/trace", "//etc/passwd", "/api/runs/unknown"}) {
    std::string reply = get(port, target);
    EXPECT_EQ(status_of(reply), 404) << target;
    EXPECT_EQ(reply.find(root_.string()), std::string::npos) << target;
  }
  EXPECT_EQ(status_of(raw_http(port, "GET http://127.0.0.1/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")), 404);
  EXPECT_EQ(status_of(raw_http(port, "DELETE /api/runs/" + run_id_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")), 405);
  EXPECT_EQ(status_of(get(port, "/api/runs", "attacker.example")), 403);
  EXPECT_EQ(status_of(get(port, "/api/runs", "localhost:" + std::to_string(port))), 200);
}

TEST_F(ServeTest, ServerAnswersOversizedRequestsWith431And414AndForeignWebSocketsWith403) {
  ServerProcess server(warehouse_, root_);
  ASSERT_GT(server.port(), 0);
  const int port = server.port();
  std::string big_header = "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(17000, 'a') +
                           "\r\nConnection: close\r\n\r\n";
  std::string reply = raw_http(port, big_header);
  EXPECT_EQ(status_of(reply), 431) << reply.substr(0, 200);
  EXPECT_EQ(status_of(get(port, "/" + std::string(9000, 'a'))), 414);
  EXPECT_EQ(status_of(get(port, "/" + std::string(20000, 'a'))), 414);
  // The server lives on after each.
  EXPECT_EQ(status_of(get(port, "/api/runs")), 200);

  auto upgrade = [&](const std::string& origin_line) {
    return raw_http(port, "GET /api/runs/" + run_id_ + "/live?from=1 HTTP/1.1\r\nHost: 127.0.0.1:" +
                              std::to_string(port) + "\r\n" + origin_line +
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  };
  EXPECT_EQ(status_of(upgrade("Origin: http://attacker.example\r\n")), 403);
  EXPECT_EQ(status_of(upgrade("Origin: http://127.0.0.1\r\n")), 403) << "another port is another origin";
  EXPECT_EQ(status_of(upgrade("Origin: null\r\n")), 403);
  EXPECT_EQ(status_of(upgrade("Origin: http://127.0.0.1:" + std::to_string(port) + "\r\n")), 101);
  EXPECT_EQ(status_of(upgrade("")), 101) << "a client that is not a browser sends no Origin";
}

struct Frame {
  int opcode = -1;
  bool fin = true;
  std::string payload;
};

// Reads one unmasked server frame.
Frame read_frame(int fd, std::string& pending) {
  auto need = [&](std::size_t n) {
    char buffer[8192];
    while (pending.size() < n) {
      ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) return false;
      pending.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  };
  if (!need(2)) return {};
  const int opcode = pending[0] & 0x0f;
  const bool fin = (pending[0] & 0x80) != 0;
  std::size_t length = static_cast<unsigned char>(pending[1]) & 0x7f, header = 2;
  if (length == 126) {
    if (!need(4)) return {};
    length = (static_cast<unsigned char>(pending[2]) << 8) | static_cast<unsigned char>(pending[3]);
    header = 4;
  } else if (length == 127) {
    if (!need(10)) return {};
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<unsigned char>(pending[i]);
    header = 10;
  }
  if (!need(header + length)) return {};
  Frame frame{opcode, fin, pending.substr(header, length)};
  pending.erase(0, header + length);
  return frame;
}

// Reads one message, joining continuation frames; opcode -1 when the connection ended.
Frame read_message(int fd, std::string& pending) {
  Frame message = read_frame(fd, pending);
  while (message.opcode >= 0 && !message.fin) {
    Frame next = read_frame(fd, pending);
    if (next.opcode != 0) return {};
    message.payload += next.payload;
    message.fin = next.fin;
  }
  return message;
}

TEST_F(ServeTest, WebSocketStreamsTheTraceFromTheAskedSeqAndClosesAfterRunEnd) {
  ServerProcess server(warehouse_, root_);
  ASSERT_GT(server.port(), 0);
  int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  std::string upgrade = "GET /api/runs/" + run_id_ + "/live?from=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
  ::send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL);
  std::string pending;
  char c;
  while (pending.find("\r\n\r\n") == std::string::npos && ::read(fd, &c, 1) == 1) pending.push_back(c);
  ASSERT_EQ(pending.rfind("HTTP/1.1 101", 0), 0u) << pending;
  pending.clear();
  std::vector<json> records;
  for (;;) {
    Frame message = read_message(fd, pending);
    if (message.opcode != 1) {
      EXPECT_EQ(message.opcode, 8) << "the stream ends with a close frame";
      break;
    }
    json frame = json::parse(message.payload);
    for (auto& r : frame["records"]) records.push_back(r);
  }
  ::close(fd);
  auto trace = read_trace(warehouse_ / run_id_ / "run.jsonl");
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(records.size(), trace->records.size() - 4);
  EXPECT_EQ(records.front()["seq"], 5);
  EXPECT_EQ(records.back()["type"], "run_end");
}

// ---- the page in a browser ---------------------------------------------------------------

bool on_path(const std::string& name) {
  std::istringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((fs::path(dir) / name).c_str(), X_OK) == 0) return true;
  return false;
}

TEST_F(ServeTest, PageShowsRunsTimelineReplayAndALiveRunInChromium) {
  const fs::path node_modules = fs::path(AGENTCO_SOURCE_DIR) / "web" / "node_modules";
  if (!on_path("node")) GTEST_SKIP() << "node is not installed (scripts/setup.sh installs it)";
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium is not installed (apt-get install chromium)";
  if (!fs::exists(node_modules / "playwright-core")) GTEST_SKIP() << "web/node_modules/playwright-core is missing (cd web && npm ci)";
  const char* shots = std::getenv("AGENTCO_SCREENSHOTS");
  ProcessOptions options;
  options.argv = {"/usr/bin/env", "node", (fs::path(AGENTCO_SOURCE_DIR) / "tests/web/viewer_e2e.js").string(),
                  "--binary", AGENTCO_BINARY, "--warehouse", warehouse_.string(), "--run", run_id_,
                  "--node-modules", node_modules.string(), "--screenshots", shots ? shots : root_.string()};
  options.env = base_env(root_);
  options.cwd = root_;
  options.timeout = std::chrono::milliseconds(100000);
  auto result = run_process(options);
  std::printf("%s", result.out.c_str());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

// Found by fuzz/routes_fuzz.cpp: a run folder whose run.jsonl holds no readable record (empty,
// or only a torn line) made /api/runs throw (json::value() on its null summary).
TEST(ServeRoutes, ARunWithoutAReadableRecordIsListedNotAnInternalError) {
  const fs::path warehouse = make_temp_dir("empty-run");
  for (const std::string trace : {"", "{\"seq\":1,\"type\":\"run_st"}) {
    fs::create_directories(warehouse / "r1");
    std::ofstream(warehouse / "r1" / "run.jsonl", std::ios::binary) << trace;
    std::ofstream(warehouse / "r1" / "meta.json") << "[1,2]";
    web::WarehouseView view(warehouse);
    web::Routes routes(view, fs::path());
    web::Reply reply;
    ASSERT_NO_THROW(reply = routes.get("/api/runs")) << trace;
    EXPECT_EQ(reply.status, 200u) << reply.body;
    ASSERT_NO_THROW(reply = routes.get("/api/runs/r1")) << trace;
    EXPECT_NE(reply.status, 500u) << reply.body;
  }
  std::error_code ec;
  fs::remove_all(warehouse, ec);
}

}  // namespace
}  // namespace agentco
