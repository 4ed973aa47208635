// MacNet's topologies (ChatDev, "Scaling Large-Language-Model-based Multi-Agent
// Collaboration") as SOP text: an actor on every node, a critic on every edge, only
// artifacts passed along edges (sop/graph.hpp reads the `graph:` section this writes).
// `agentco sop topology KIND --nodes N [--seed S]` prints one.
//
// Kinds (nodes are numbered 0..N-1; every edge runs from a lower number to a higher one, so
// every graph is acyclic):
//   chain    i -> i+1                                     N-1 edges
//   star     0 -> every other node                        N-1 edges
//   tree     binary: i -> 2i+1, 2i+2                      N-1 edges
//   mesh     i -> every j > i                             N(N-1)/2 edges
//   layered  layers of w = ceil(sqrt(N)) nodes (the last may be smaller); every node of
//            layer k -> every node of layer k+1
//   random   node 0 is the source; every j > 0 gets 1..min(3, j) distinct predecessors among
//            0..j-1, drawn from std::mt19937_64(seed) as described in topology.cpp: connected,
//            and the same seed gives the same graph on every platform
//
// Pure functions, no I/O; safe to call from any thread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentco {

// The kinds above, in that order.
const std::vector<std::string>& topology_kinds();

// Each node's successors, ascending. Errors (code "topology"): an unknown kind, nodes outside
// 1..kMaxGraphNodes, more edges than kMaxGraphEdges (a mesh of more than 1,414 nodes).
Result<std::vector<std::vector<std::uint32_t>>> topology_edges(const std::string& kind, long long nodes,
                                                               std::uint64_t seed = 1);

// The whole SOP file: a comment header saying what it is and how to check and run it, the
// graph: section, an Actor and a Critic role and their speak actions (prompts topology_actor
// and topology_critic). Same errors as topology_edges.
Result<std::string> topology_yaml(const std::string& kind, long long nodes, std::uint64_t seed = 1);

}  // namespace agentco
