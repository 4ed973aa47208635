// Scale: the simulation_town SOP (sop/simulation_town.yaml) with 1,000 / 10,000 / 100,000
// citizen actors, built in process as the team builds them (role_instances, one Role
// coroutine each, subscribed by topic). Each population runs in a fresh child process:
//   idle     - heap and RSS added per actor once every actor waits on its inbox;
//   routing  - messages no action answers (observed only): one per district (group_size
//              recipients each) and one to the whole town, `--bursts` times; deliveries/s
//              with the trace's per-message record (as in a run) and without it;
//   rounds   - the mayor's question on "town"; every citizen makes one mock model call
//              (AGENTCO_MOCK_LATENCY_MS, default here 10 ms) and answers its district:
//              time per round, model calls/s, deliveries/s, all records traced.
// Usage: scale-bench [--actors 1000,10000,100000] [--latency-ms 10] [--rounds 2] [--bursts 5]
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actions/action.hpp"
#include "sop/prompt_library.hpp"
#include "bench/support/measure.hpp"
#include "config/config.hpp"
#include "environment/message_bus.hpp"
#include "actions/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "llm/mock_provider.hpp"
#include "roles/role.hpp"
#include "sop/sop.hpp"
#include "trace/trace.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace agentco;
using Clock = std::chrono::steady_clock;

namespace {

using bench::heap_in_use;
using bench::rss_bytes;
using bench::since;

struct Population {
  asio::io_context& io;
  MessageBus& bus;
  std::size_t running = 0;
  double last_cpu_s = 0;  // CPU time of the last drive() (the machine may be shared)

  // Runs the io_context until `work` has published everything and nothing is pending.
  template <typename Work>
  double drive(Work work) {
    bool finished = false;
    auto start = Clock::now();
    double cpu_start = bench::process_cpu_now();
    asio::co_spawn(io, std::move(work), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      finished = true;
    });
    while (!(finished && bus.pending() == 0)) io.run_one();
    last_cpu_s = bench::process_cpu_now() - cpu_start;
    return since(start);
  }
};

int child(int actors, int latency_ms, int rounds, int bursts) {
  spdlog::set_level(spdlog::level::err);
  std::random_device random;
  fs::path base = fs::temp_directory_path() / fmt::format("agentco_scale_{}_{}", ::getpid(), random());

  Config config;
  config.llm.api_type = "mock";
  config.llm.model = "mock";
  config.pricing["mock"] = ModelPrice{0.0, 0.0};
  config.run.max_rounds = 1 << 30;
  config.run.investment = 1e12;
  PromptLibrary prompts;
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto sop = load_sop((fs::path(AGENTCO_SOURCE_DIR) / "sop" / "simulation_town.yaml").string(), registry, prompts);
  if (!sop) {
    std::fprintf(stderr, "%s\n", sop.error().message.c_str());
    return 2;
  }
  auto workspace = Workspace::open(base / "town");
  auto trace = TraceWriter::open(base / "run.jsonl");
  if (!workspace || !trace) return 2;
  CostLedger ledger(config.pricing, config.run.investment);
  LlmGateway gateway(std::make_shared<MockProvider>(std::chrono::milliseconds(latency_ms)), ledger, trace->get());
  MessageBus bus;
  bus.set_history_limit(10000);  // the trace holds every message
  asio::io_context io;
  RunContext run(io.get_executor(), config, "Should the town build a new bridge?", bus, **workspace, **trace, gateway,
                 prompts);
  gateway.watch_stop(&run.stop);
  Population population{io, bus};
  auto observe = [&](bool on) {
    if (!on) return bus.set_observer(nullptr);
    bus.set_observer([&](const MessagePtr& m, const std::vector<std::string>& recipients) {
      auto record = m->to_json();
      record["recipients"] = recipients;
      run.trace.append("message", std::move(record));
    });
  };
  observe(true);

  // Idle population.
  malloc_trim(0);
  const std::size_t heap0 = heap_in_use(), rss0 = rss_bytes();
  auto build_start = Clock::now();
  std::vector<std::unique_ptr<Role>> roles;
  for (const auto& role_spec : sop->roles) {
    RoleSpec spec = role_spec;
    if (spec.count > 1) spec.count = actors;
    for (auto& instance : role_instances(spec)) {
      std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions;
      for (const auto& name : instance.actions) {
        const ActionSpec* action = sop->action(name);
        actions.emplace_back(action, registry.find(action->type)->make(*action));
      }
      roles.push_back(std::make_unique<Role>(std::move(instance), run, std::move(actions)));
      roles.back()->subscribe(bus);
    }
  }
  for (auto& role : roles) {
    ++population.running;
    asio::co_spawn(io, role->run(), [&population](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      --population.running;
    });
  }
  while (io.poll() > 0) {
  }
  const double build_s = since(build_start);
  const std::size_t heap1 = heap_in_use(), rss1 = rss_bytes();
  const std::size_t group_size = static_cast<std::size_t>(sop->roles.back().group_size);
  const std::size_t districts = (static_cast<std::size_t>(actors) + group_size - 1) / group_size;

  // Routing: observed-only messages.
  auto chatter = [&](int n) -> asio::awaitable<void> {
    for (int b = 0; b < n; ++b) {
      for (std::size_t d = 0; d < districts; ++d) {
        Message m;
        m.content = "chatter";
        m.cause_by = "Chatter";
        m.sent_from = "Bench";
        m.topic = "district-" + std::to_string(d);
        co_await bus.publish(std::move(m));
      }
      Message all;
      all.content = "news for everyone";
      all.cause_by = "Chatter";
      all.sent_from = "Bench";
      all.topic = "town";
      co_await bus.publish(std::move(all));
    }
  };
  nlohmann::json routing = nlohmann::json::array();
  for (bool observed : {true, false}) {
    observe(observed);
    std::uint64_t before = bus.delivered(), published = bus.published();
    double seconds = population.drive(chatter(bursts));
    std::uint64_t delivered = bus.delivered() - before;
    routing.push_back({{"traced", observed},
                       {"seconds", seconds},
                       {"messages", bus.published() - published},
                       {"deliveries", delivered},
                       {"cpu_s", population.last_cpu_s},
                       {"deliveries_per_s", delivered / seconds},
                       {"deliveries_per_cpu_s", delivered / population.last_cpu_s},
                       {"messages_per_s", (bus.published() - published) / seconds}});
  }
  observe(true);

  // Rounds: the mayor's question, one model call per citizen, answers to the districts.
  nlohmann::json round_figures = nlohmann::json::array();
  for (int r = 0; r < rounds; ++r) {
    std::uint64_t before = bus.delivered(), published = bus.published();
    long calls = ledger.total().calls;
    auto question = [&]() -> asio::awaitable<void> {
      Message m;
      m.content = fmt::format("Round {}: should the town build a new bridge?", r + 1);
      m.role = "Mayor";
      m.cause_by = "Announce";
      m.sent_from = "Mayor";
      m.topic = "town";
      co_await bus.publish(std::move(m));
    };
    double seconds = population.drive(question());
    std::uint64_t delivered = bus.delivered() - before;
    long round_calls = ledger.total().calls - calls;
    round_figures.push_back({{"seconds", seconds},
                             {"cpu_s", population.last_cpu_s},
                             {"model_calls", round_calls},
                             {"messages", bus.published() - published},
                             {"deliveries", delivered},
                             {"deliveries_per_s", delivered / seconds},
                             {"calls_per_s", round_calls / seconds}});
  }
  const std::size_t heap2 = heap_in_use(), rss2 = rss_bytes();
  rusage self{};
  getrusage(RUSAGE_SELF, &self);

  for (auto& role : roles) role->stop();
  while (population.running > 0 && io.run_one() > 0) {
  }
  std::uintmax_t trace_bytes = fs::file_size(base / "run.jsonl");
  nlohmann::json out = {{"actors", roles.size()},
                        {"build_s", build_s},
                        {"idle_heap_per_actor", static_cast<double>(heap1 - heap0) / roles.size()},
                        {"idle_rss_per_actor", static_cast<double>(rss1 - rss0) / roles.size()},
                        {"after_rounds_heap_per_actor", static_cast<double>(heap2 - heap0) / roles.size()},
                        {"after_rounds_rss_per_actor", static_cast<double>(rss2 - rss0) / roles.size()},
                        {"peak_rss_mb", self.ru_maxrss / 1024.0},
                        {"cpu_s", self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec +
                                      self.ru_stime.tv_usec / 1e6},
                        {"routing", routing},
                        {"rounds", round_figures},
                        {"trace_mb", trace_bytes / 1e6},
                        {"turns", run.turns()}};
  roles.clear();
  std::error_code ec;
  fs::remove_all(base, ec);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> populations{1000, 10000, 100000};
  int latency_ms = 10, rounds = 2, bursts = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--child") return child(std::stoi(value), std::stoi(argv[i + 2]), std::stoi(argv[i + 3]), std::stoi(argv[i + 4]));
    if (key == "--latency-ms") latency_ms = std::stoi(value);
    else if (key == "--rounds") rounds = std::stoi(value);
    else if (key == "--bursts") bursts = std::stoi(value);
    else if (key == "--actors") {
      populations.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) populations.push_back(std::stoi(item));
    } else {
      std::fprintf(stderr, "unknown option %s (use --actors N,N --latency-ms MS --rounds N --bursts N)\n", key.c_str());
      return 2;
    }
  }
  const std::string self = fs::canonical("/proc/self/exe").string();
  std::printf("scale: sop/simulation_town.yaml, mock model %d ms, group_size from the SOP; %d routing bursts, %d rounds\n\n",
              latency_ms, bursts, rounds);
  std::printf("%8s %7s %8s %8s %10s %10s %10s %10s %8s %8s %8s %8s\n", "actors", "build", "idle B", "idle RSS",
              "route/s", "route/s", "route/cpu", "route/cpu", "round", "round", "peak", "trace");
  std::printf("%8s %7s %8s %8s %10s %10s %10s %10s %8s %8s %8s %8s\n", "", "s", "heap/act", "B/actor", "traced",
              "untraced", "s traced", "s untrac.", "wall s", "cpu s", "RSS MB", "MB");
  for (int n : populations) {
    const bench::ChildRun result = bench::run_child({self, "--child", std::to_string(n), std::to_string(latency_ms),
                                                    std::to_string(rounds), std::to_string(bursts)});
    std::string out = result.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string line = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    auto f = nlohmann::json::parse(line, nullptr, false);
    if (!f.is_object()) {
      std::fprintf(stderr, "the %d-actor child failed (exit %d):\n%s%s\n", n, result.exit_code, out.c_str(),
                   result.err.c_str());
      return 1;
    }
    const auto& last = f["rounds"].empty() ? nlohmann::json::object() : f["rounds"].back();
    std::printf("%8d %7.2f %8.0f %8.0f %10.0f %10.0f %10.0f %10.0f %8.3f %8.3f %8.1f %8.1f\n", f["actors"].get<int>(),
                f["build_s"].get<double>(), f["idle_heap_per_actor"].get<double>(), f["idle_rss_per_actor"].get<double>(),
                f["routing"][0]["deliveries_per_s"].get<double>(), f["routing"][1]["deliveries_per_s"].get<double>(),
                f["routing"][0]["deliveries_per_cpu_s"].get<double>(), f["routing"][1]["deliveries_per_cpu_s"].get<double>(),
                last.value("seconds", 0.0), last.value("cpu_s", 0.0), f["peak_rss_mb"].get<double>(),
                f["trace_mb"].get<double>());
    std::fprintf(stderr, "%s\n", f.dump().c_str());
  }
  std::printf("\nroute/s: deliveries (one message into one actor's inbox, the actor woken, the message observed)\n"
              "per second of wall time and of CPU time; 'traced' writes one run.jsonl record per message as a run does.\n"
              "round: the mayor's question -> every citizen calls the model and answers its district -> idle.\n");
  return 0;
}
