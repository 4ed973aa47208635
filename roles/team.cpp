#include "roles/team.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/secrets.hpp"
#include "actions/action.hpp"
#include "core/text.hpp"
#include "roles/role.hpp"
#include "roles/team_spread.hpp"
#include "environment/project_summary.hpp"
#include "tools/tool_hub.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace asio = boost::asio;

int exit_code_for(const std::string& reason) {
  if (reason == "idle") return 0;
  if (reason == "budget") return 3;
  if (reason == "max_rounds") return 4;
  if (reason == "interrupted") return 130;
  return 1;
}

namespace {

// meta.json appears whole or not at all: written beside, then renamed over. On a full disk
// the old one (if any) stays and the error is logged; the trace is what a resume needs.
void write_meta(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path temp = file.string() + ".part";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (out) {
      out.close();
      std::error_code ec;
      std::filesystem::rename(temp, file, ec);
      if (!ec) return;
      spdlog::error("cannot write {}: {}", file.string(), ec.message());
    } else {
      spdlog::error("cannot write {}: {}", file.string(), std::strerror(errno));
    }
  }
  std::error_code ignored;
  std::filesystem::remove(temp, ignored);
}

struct TeamState {
  std::vector<std::unique_ptr<Role>> roles;
  std::size_t running = 0;
  bool idle = false;
};

asio::awaitable<void> supervise(RunContext& run, TeamState& team, asio::steady_timer& wake, TeamSpread* spread) {
  for (auto& role : team.roles) {
    ++team.running;
    asio::co_spawn(run.executor, role->run(), [&team, &wake, &run, name = role->spec().name](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const TraceWriteError& ex) {
          run.request_stop("failed", fmt::format("the trace could not be written: {}", ex.what()));
        } catch (const std::exception& ex) {
          run.request_stop("failed", fmt::format("role {} crashed: {}", name, ex.what()));
        }
      }
      --team.running;
      wake.cancel();
    });
  }

  if (spread) {
    co_await spread->join(run, [&team, &wake] {
      team.idle = true;
      wake.cancel();
    });
  }
  if ((!spread || spread->publishes_idea()) && !run.stop.requested()) {
    Message idea;
    idea.content = run.idea;
    idea.payload = nlohmann::json::object({{"idea", run.idea}});
    idea.role = "User";
    idea.cause_by = kUserRequirement;
    idea.sent_from = "User";
    co_await run.bus.publish(std::move(idea));
    if (!spread && run.bus.pending() == 0) team.idle = true;
  }

  while (!team.idle && !run.stop.requested()) {
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  if (!run.stop.requested()) run.request_stop("idle", "the team has nothing left to do");
  for (auto& role : team.roles) role->stop();
  while (team.running > 0) {
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  if (spread) co_await spread->leave(run);
  // The MCP servers the roles started end with the team (their pipes would keep the
  // io_context running).
  if (run.tools) co_await run.tools->close();
}

}  // namespace

RunOutcome run_team(asio::io_context& io, RunContext& run, const Sop& sop, const ActionRegistry& registry,
                    const std::string& started_at, TeamSpread* spread) {
  auto clock_start = std::chrono::steady_clock::now();
  TeamState team;
  // One maker of action objects: each role's own, and more for its fan-out branches.
  auto make_action = [&registry](const ActionSpec& action) { return registry.find(action.type)->make(action); };
  for (const auto& base : sop.roles) {
    // `count:` makes a population; spread over processes, this one builds its part only.
    for (int i = 0; i < std::max(1, base.count); ++i) {
      if (spread && !spread->hosts(base, base.count > 1 ? i : -1)) continue;
      RoleSpec spec = role_instance(base, i);
      std::vector<std::pair<const ActionSpec*, std::unique_ptr<Action>>> actions;
      for (const auto& name : spec.actions) {
        const ActionSpec* action = sop.action(name);
        actions.emplace_back(action, make_action(*action));
      }
      team.roles.push_back(std::make_unique<Role>(std::move(spec), run, std::move(actions)));
      team.roles.back()->set_action_factory(make_action);
      team.roles.back()->subscribe(run.bus);
    }
  }

  asio::steady_timer wake(io, asio::steady_timer::time_point::max());
  run.wake = [&wake] { wake.cancel(); };
  // Spread over processes, this bus going idle is not the team's: the spread tells.
  if (!spread)
    run.bus.set_idle_callback([&team, &wake] {
      team.idle = true;
      wake.cancel();
    });
  run.bus.set_observer([&run](const MessagePtr& m, const std::vector<std::string>& recipients) {
    auto record = m->to_json();
    record["recipients"] = recipients;
    run.trace.append("message", std::move(record));
  });

  asio::signal_set signals(io, SIGINT, SIGTERM);
  int signal_count = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int number) {
        if (ec) return;
        if (++signal_count > 1) {
          run.trace.append("run_end", {{"reason", "interrupted"}, {"detail", "second interrupt: stopped at once"}});
          std::fprintf(stderr, "\nstopped at once; finished work is kept in %s\n", run.workspace.root().c_str());
          std::_Exit(130);
        }
        spdlog::warn("{} received: cancelling the model calls in flight, then stopping (again to stop at once)",
                     number == SIGINT ? "Ctrl-C" : "SIGTERM");
        run.request_stop("interrupted", number == SIGINT ? "stopped by Ctrl-C" : "stopped by SIGTERM");
        run.llm.provider().cancel_calls();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  std::exception_ptr failure;
  asio::co_spawn(io, supervise(run, team, wake, spread), [&](std::exception_ptr e) {
    failure = e;
    signals.cancel();
  });
  io.run();
  io.restart();
  // The callbacks point at this frame's locals: none may outlive it.
  run.wake = nullptr;
  run.bus.set_idle_callback(nullptr);
  run.bus.set_observer(nullptr);
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const TraceWriteError& e) {
      run.stop.request("failed", std::string("the trace could not be written: ") + e.what());
    } catch (const std::exception& e) {
      run.stop.request("failed", std::string("internal error: ") + e.what());
    }
  }

  RunOutcome outcome;
  outcome.reason = run.stop.reason;
  outcome.detail = run.stop.detail;
  outcome.exit_code = exit_code_for(outcome.reason);
  double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();

  nlohmann::json roles = nlohmann::json::object();
  for (const auto& role : team.roles) {
    const auto& usage = run.llm.ledger().by_role();
    auto it = usage.find(role->spec().name);
    nlohmann::json r = it == usage.end() ? UsageTotals{}.to_json() : it->second.to_json();
    r["profile"] = role->spec().profile;
    r["turns"] = role->turns();
    roles[role->spec().name] = r;
  }
  ProjectSummary summary = summarize_project(run.workspace.root());
  outcome.meta = {
      {"idea", run.idea},
      {"sop", sop.name},
      {"sop_source", sop.source},
      {"provider", run.llm.provider().name()},
      {"model", run.config.llm.model},
      {"started_at", started_at},
      {"ended_at", iso_timestamp_now()},
      {"duration_s", duration},
      {"outcome", {{"status", outcome.reason == "idle" ? "finished" : (outcome.reason == "failed" ? "failed" : "stopped")},
                   {"reason", outcome.reason},
                   {"detail", outcome.detail}}},
      {"turns", run.turns()},
      {"messages", run.bus.published()},
      {"deliveries", run.bus.delivered()},
      {"roles", roles},
      {"total", run.llm.ledger().total().to_json()},
      {"investment_usd", run.llm.ledger().investment()},
      {"files", summary.files},
      {"lines_of_code", summary.lines_of_code},
      {"commits", run.workspace.log().size()},
      {"test_lines", summary.test_lines},
      {"review_rounds", run.project.review_rounds},
      {"verdict", run.project.qa_verdict},
  };
  if (spread)
    if (nlohmann::json more = spread->meta(); !more.is_null()) outcome.meta["distributed"] = std::move(more);
  try {
    run.trace.append("run_end", {{"reason", outcome.reason},
                                 {"detail", outcome.detail},
                                 {"duration_s", duration},
                                 {"total", run.llm.ledger().total().to_json()}});
  } catch (const TraceWriteError& e) {
    // The trace keeps every record before this one: the run can be resumed from it.
    spdlog::error("{}", e.what());
  }
  write_meta(run.workspace.root() / "meta.json",
             scrub_secrets(outcome.meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n");
  return outcome;
}

}  // namespace agentco
