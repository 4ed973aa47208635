// A SOP's `graph:` section: an actor/critic DAG as MacNet describes it, written as data
// (agentco sop topology writes one). One role of `roles:` is the actor placed on every node,
// another the critic placed on every edge; `edges:` lists each node's successors, a line
// per node ("FROM: TO TO ..."). Expansion makes role Actor-<i> per node and Critic-<i>-<j>
// per edge: node i publishes on topic out-<i>, which the critics of its out-edges hear; a
// critic publishes on in-<j>; node j joins (waits for) all its in-edges before it acts.
// Nodes without predecessors watch the user's requirement. Only artifacts travel along
// edges, so what each role is shown grows with its in-degree, not with the graph.
#pragma once
#include <functional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "sop/sop.hpp"

namespace agentco {

// The largest graph a SOP may hold: nodes 1..kMaxGraphNodes, at most kMaxGraphEdges edges
// (a 1,000-node mesh has 499,500; each node and each edge becomes a role).
inline constexpr long long kMaxGraphNodes = 100000;
inline constexpr long long kMaxGraphEdges = 1000000;

// Replaces the template roles named by `graph` (already parsed into sop.roles) with one
// role per node and per edge. Problems (a cycle, a node out of range, an unknown template
// role, ...) go to `problem` with the YAML line they concern.
void expand_graph(const YAML::Node& graph, Sop& sop, const std::function<void(int line, const std::string&)>& problem);

}  // namespace agentco
