// TeamSpread: a team whose roles live in several processes (a population split over the
// workers of a cluster; cluster/population_*.hpp implements it over NATS). This process
// builds only the instances it hosts; its bus meets the other processes' buses through the
// spread; the run is idle when the whole team is, which only the spread can tell.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "sop/sop.hpp"

namespace agentco {

class RunContext;

class TeamSpread {
 public:
  virtual ~TeamSpread() = default;
  // Whether this process builds instance `index` of `role` (-1: a role that is not a
  // population).
  virtual bool hosts(const RoleSpec& role, int index) const = 0;
  // Whether this process publishes the user's idea (one process does).
  virtual bool publishes_idea() const = 0;
  // Once the roles here are subscribed, before the idea: meets the other processes (waits
  // until they are all there, or says why not with request_stop). `end` is called once
  // when the whole team is idle or the run must end for another reason.
  virtual boost::asio::awaitable<void> join(RunContext& run, std::function<void()> end) = 0;
  // The roles here have stopped: the last words to the others (the run's reason).
  virtual boost::asio::awaitable<void> leave(RunContext& run) = 0;
  // What meta.json says about the other processes (null: nothing).
  virtual nlohmann::json meta() const = 0;
};

}  // namespace agentco
