#include "cluster/partition_plan.hpp"

#include <algorithm>
#include <charconv>

namespace agentco {

PartitionPlan::PartitionPlan(const Sop& sop, int partitions)
    : partitions_(std::max(1, partitions)), instances_(static_cast<std::size_t>(partitions_) + 1, 0) {
  for (const RoleSpec& role : sop.roles) {
    const std::vector<std::string>& watched = role.watch;  // as Role::subscribe (conditions included)
    if (role.count <= 1) {
      singles_[role.name] = 0;
      ++instances_[0];
      for (const auto& action : watched) add(watchers_, action, 0);
      for (const auto& topic : role.topics) add(listeners_, topic, 0);
      if (!role.publish_topic.empty()) add(publishers_, role.publish_topic, 0);
      continue;
    }
    counts_[role.name] = role.count;
    const int group_size = std::max(1, role.group_size);
    for (int process = 1; process <= partitions_; ++process) {
      const auto [first, last] = range(role.count, process);
      if (first >= last) continue;
      instances_[static_cast<std::size_t>(process)] += last - first;
      for (const auto& action : watched) add(watchers_, action, process);
      for (int i = first; i < last; ++i) {
        for (const auto& topic : role.topics)
          add(listeners_, fill_instance(topic, i, i / group_size), process);
        if (!role.publish_topic.empty())
          add(publishers_, fill_instance(role.publish_topic, i, i / group_size), process);
      }
    }
  }
}

void PartitionPlan::add(Index& index, const std::string& key, int process) {
  auto& list = index[key];
  // Instances arrive process by process: checking the last entry keeps each once.
  if (std::find(list.begin(), list.end(), process) == list.end()) list.push_back(process);
}

const std::vector<int>& PartitionPlan::find(const Index& index, const std::string& key) {
  static const std::vector<int> none;
  auto it = index.find(key);
  return it == index.end() ? none : it->second;
}

std::pair<int, int> PartitionPlan::range(int count, int process) const {
  if (process < 1 || process > partitions_) return {0, 0};
  const long long n = count, k = process - 1;
  return {static_cast<int>(k * n / partitions_), static_cast<int>((k + 1) * n / partitions_)};
}

int PartitionPlan::process_of(const RoleSpec& role, int index) const {
  if (index < 0 || role.count <= 1) return 0;
  // The process whose range holds the instance (ranges are floor(k*n/N) bounds).
  for (int process = 1; process <= partitions_; ++process) {
    const auto [first, last] = range(role.count, process);
    if (index >= first && index < last) return process;
  }
  return 0;
}

int PartitionPlan::process_of(const RoleSpec& instance) const {
  if (instance.instance < 0) return 0;
  auto it = counts_.find(instance.name.substr(0, instance.name.rfind('-')));
  if (it == counts_.end()) return 0;
  RoleSpec population;
  population.count = it->second;
  return process_of(population, instance.instance);
}

int PartitionPlan::process_of(const std::string& address) const {
  if (auto it = singles_.find(address); it != singles_.end()) return it->second;
  const auto dash = address.rfind('-');
  if (dash == std::string::npos) return -1;
  auto it = counts_.find(address.substr(0, dash));
  if (it == counts_.end()) return -1;
  int instance = -1;
  const char* begin = address.data() + dash + 1;
  const char* end = address.data() + address.size();
  if (auto [ptr, ec] = std::from_chars(begin, end, instance); ec != std::errc() || ptr != end) return -1;
  if (instance < 0 || instance >= it->second) return -1;
  RoleSpec population;
  population.count = it->second;
  return process_of(population, instance);
}

std::vector<std::string> PartitionPlan::remote_topics(int process) const {
  std::vector<std::string> out;
  for (const auto& [topic, listeners] : listeners_) {
    if (std::find(listeners.begin(), listeners.end(), process) == listeners.end()) continue;
    const auto& publishers = topic_publishers(topic);
    if (std::any_of(publishers.begin(), publishers.end(), [&](int p) { return p != process; }))
      out.push_back(topic);
  }
  std::sort(out.begin(), out.end());
  return out;
}

long PartitionPlan::instances(int process) const {
  if (process < 0 || process >= processes()) return 0;
  return instances_[static_cast<std::size_t>(process)];
}

}  // namespace agentco
