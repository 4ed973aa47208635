// How a simulation SOP's roles are spread over processes (`agentco run --nats URL
// --partitions N`). Process 0, the coordinator, hosts every role that is not a population;
// each population's instances are split into N contiguous ranges, range k going to process
// k (1..N). Contiguous ranges keep a district (group_size consecutive instances) in one
// process, so most district talk never leaves it.
//
// Every process computes the same plan from the same SOP, so each knows, without asking,
// which processes have a subscriber for a topic or an action, who publishes on a topic, and
// where a name lives: what the bus bridge (population_link) needs to send a message once to
// each process that has a recipient for it, and to no other.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "sop/sop.hpp"

namespace agentco {

class PartitionPlan {
 public:
  PartitionPlan(const Sop& sop, int partitions);

  int partitions() const { return partitions_; }
  int processes() const { return partitions_ + 1; }
  // The process that hosts instance `index` of `role` (-1: a role that is not a population),
  // or an instance as role_instances made it.
  int process_of(const RoleSpec& role, int index) const;
  int process_of(const RoleSpec& instance) const;
  // The process of an address ("Mayor", "Citizen-17"); -1 when no role has it.
  int process_of(const std::string& address) const;
  // The instances of a population that `process` hosts: [first, last).
  std::pair<int, int> range(int count, int process) const;

  // Processes with a subscriber for a topic / an action (conditional edges included), and
  // the processes whose roles publish on a topic. Empty when none.
  const std::vector<int>& topic_listeners(const std::string& topic) const { return find(listeners_, topic); }
  const std::vector<int>& action_watchers(const std::string& action) const { return find(watchers_, action); }
  const std::vector<int>& topic_publishers(const std::string& topic) const {
    return find(publishers_, topic);
  }
  // The topics that `process` listens to and that another process publishes on: the ones it
  // subscribes to across processes.
  std::vector<std::string> remote_topics(int process) const;
  // Instances hosted by `process`, over all roles.
  long instances(int process) const;

 private:
  using Index = std::unordered_map<std::string, std::vector<int>>;
  static const std::vector<int>& find(const Index& index, const std::string& key);
  static void add(Index& index, const std::string& key, int process);

  int partitions_;
  std::unordered_map<std::string, int> counts_;   // population name -> count
  std::unordered_map<std::string, int> singles_;  // role name -> process (0)
  Index listeners_, watchers_, publishers_;
  std::vector<long> instances_;
};

}  // namespace agentco
