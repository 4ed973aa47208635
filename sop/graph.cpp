#include "sop/graph.hpp"

namespace agentco {

void expand_graph(const YAML::Node& graph, Sop&, const std::function<void(int, const std::string&)>& problem) {
  problem(graph.Mark().line + 1, "graph: is not supported by this build yet");
}

}  // namespace agentco
