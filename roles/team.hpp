// Team: runs one SOP to its end. Builds the roles, starts their actor loops on one
// io_context, publishes the user's idea, waits until the run is idle or stopped
// (--max-rounds, budget, failure, Ctrl-C), stops the roles after their current turn, and
// writes meta.json and the trace's run_end. Everything finished stays written and committed.
#pragma once
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "actions/run_context.hpp"
#include "sop/sop.hpp"

namespace agentco {

class ActionRegistry;
class TeamSpread;

struct RunOutcome {
  std::string reason;  // idle | max_rounds | budget | interrupted | failed
  std::string detail;
  int exit_code = 0;   // 0 idle, 1 failed, 3 budget, 4 max_rounds, 130 interrupted
  nlohmann::json meta;
};

// Runs the SOP in `run` to completion on `io`. `started_at` is the run's ISO start time.
// With a spread, only the instances it hosts are built here, and the spread says when the
// team (all its processes) is idle.
RunOutcome run_team(boost::asio::io_context& io, RunContext& run, const Sop& sop,
                    const ActionRegistry& registry, const std::string& started_at,
                    TeamSpread* spread = nullptr);

// Exit code for a stop reason.
int exit_code_for(const std::string& reason);

}  // namespace agentco
