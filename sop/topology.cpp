#include "sop/topology.hpp"

#include <algorithm>
#include <charconv>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sop/graph.hpp"

namespace agentco {
namespace {

using Successors = std::vector<std::vector<std::uint32_t>>;

// ceil(sqrt(n)) without floating point.
std::uint64_t layer_width(std::uint64_t n) {
  std::uint64_t w = 1;
  while (w * w < n) ++w;
  return w;
}

// The edges a kind has at n nodes, computed before any is made (a mesh grows as n^2).
std::uint64_t edge_count(const std::string& kind, std::uint64_t n) {
  if (kind == "mesh") return n * (n - 1) / 2;
  if (kind == "layered") {
    const std::uint64_t w = layer_width(n);
    std::uint64_t total = 0;
    for (std::uint64_t start = 0; start + w < n; start += w) total += w * std::min(w, n - start - w);
    return total;
  }
  if (kind == "random") return 3 * n;  // at most
  return n - 1;
}

// The random DAG, deterministic for a seed on every platform: only the raw output of
// std::mt19937_64 is used, which the standard fixes, never std::uniform_int_distribution,
// whose algorithm is implementation-defined (we build with libstdc++ only, but the file a
// seed gives should not depend on that). A draw below m is rng() % m; its bias, m / 2^64,
// is nil for these m. For j = 1, 2, ..., n-1 in turn: k = 1 + rng() % min(3, j)
// predecessors, each p = rng() % j, drawn again while it repeats one already chosen.
void random_dag(Successors& out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto n = static_cast<std::uint32_t>(out.size());
  for (std::uint32_t j = 1; j < n; ++j) {
    const std::uint64_t k = 1 + rng() % std::min<std::uint64_t>(3, j);
    std::uint32_t chosen[3];
    for (std::uint64_t c = 0; c < k; ++c) {
      std::uint32_t p = 0;
      do p = static_cast<std::uint32_t>(rng() % j);
      while (std::find(chosen, chosen + c, p) != chosen + c);
      chosen[c] = p;
    }
    for (std::uint64_t c = 0; c < k; ++c) out[chosen[c]].push_back(j);  // j ascending: lists stay sorted
  }
}

}  // namespace

const std::vector<std::string>& topology_kinds() {
  static const std::vector<std::string> kinds{"chain", "star", "tree", "mesh", "layered", "random"};
  return kinds;
}

Result<Successors> topology_edges(const std::string& kind, long long nodes, std::uint64_t seed) {
  const auto& kinds = topology_kinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    return make_error("topology", fmt::format("unknown topology '{}' (kinds: {})", kind, fmt::join(kinds, ", ")));
  if (nodes < 1 || nodes > kMaxGraphNodes)
    return make_error("topology", fmt::format("--nodes must be from 1 to {}, got {}", kMaxGraphNodes, nodes));
  const auto n = static_cast<std::uint64_t>(nodes);
  if (const std::uint64_t edges = edge_count(kind, n); edges > static_cast<std::uint64_t>(kMaxGraphEdges))
    return make_error("topology", fmt::format("a {} of {} nodes has {} edges, more than a SOP may hold ({}): "
                                              "each edge becomes a role",
                                              kind, nodes, edges, kMaxGraphEdges));
  Successors out(n);
  const auto last = static_cast<std::uint32_t>(n);
  if (kind == "chain") {
    for (std::uint32_t i = 0; i + 1 < last; ++i) out[i].push_back(i + 1);
  } else if (kind == "star") {
    out[0].reserve(last - 1);
    for (std::uint32_t j = 1; j < last; ++j) out[0].push_back(j);
  } else if (kind == "tree") {
    for (std::uint64_t i = 0; i < n; ++i)
      for (std::uint64_t child : {2 * i + 1, 2 * i + 2})
        if (child < n) out[i].push_back(static_cast<std::uint32_t>(child));
  } else if (kind == "mesh") {
    for (std::uint32_t i = 0; i < last; ++i) {
      out[i].reserve(last - i - 1);
      for (std::uint32_t j = i + 1; j < last; ++j) out[i].push_back(j);
    }
  } else if (kind == "layered") {
    const auto w = static_cast<std::uint32_t>(layer_width(n));
    for (std::uint32_t i = 0; i < last; ++i) {
      const std::uint32_t next = (i / w + 1) * w;  // first node of the next layer
      for (std::uint32_t j = next; j < last && j < next + w; ++j) out[i].push_back(j);
    }
  } else {
    random_dag(out, seed);
  }
  return out;
}

Result<std::string> topology_yaml(const std::string& kind, long long nodes, std::uint64_t seed) {
  auto successors = topology_edges(kind, nodes, seed);
  if (!successors) return successors.error();
  std::size_t edges = 0;
  for (const auto& list : *successors) edges += list.size();
  const std::string name = fmt::format("{}_{}", kind, nodes);
  const std::string seed_text = kind == "random" ? fmt::format(" --seed {}", seed) : std::string();
  std::string out;
  out.reserve(2048 + edges * 7 + successors->size() * 8);
  out += fmt::format(
      "# A MacNet-style actor/critic graph: {kind}, {n} nodes, {e} edges ({roles} roles), written by\n"
      "#   agentco sop topology {kind} --nodes {n}{seed} > {name}.yaml\n"
      "# Every node is a copy of the role Actor, every edge a copy of the role Critic (sop/README.md,\n"
      "# \"Graphs\"). A node acts once it holds the artifacts of all its predecessors (nodes\n"
      "# without one: the user's requirement); the critic of an edge reviews what its node made\n"
      "# and passes the improved artifact on. Only artifacts travel along edges, so what a role\n"
      "# is shown grows with its in-degree, not with the graph.\n"
      "# Check: agentco check-sop {name}.yaml\n"
      "# Run:   agentco run --sop {name}.yaml --llm mock \"write a haiku\"\n"
      "#        (every role takes one turn; the run allows at least {roles} turns, whatever --max-rounds says)\n"
      "name: {name}\n"
      "description: A MacNet {kind} graph of {n} actors, a critic on each of its {e} edges.\n"
      "graph:\n"
      "  kind: {kind}\n"
      "  nodes: {n}\n"
      "  actor: Actor\n"
      "  critic: Critic\n",
      fmt::arg("kind", kind), fmt::arg("n", nodes), fmt::arg("e", edges), fmt::arg("roles", nodes + edges),
      fmt::arg("seed", seed_text), fmt::arg("name", name));
  if (edges == 0) {
    out += "  edges: \"\"\n";
  } else {
    out += "  edges: |  # each node's successors: \"FROM: TO TO ...\"\n";
    char number[16];
    for (std::size_t i = 0; i < successors->size(); ++i) {
      const auto& list = (*successors)[i];
      if (list.empty()) continue;
      out += "    ";
      out.append(number, std::to_chars(number, number + sizeof number, i).ptr);
      out += ':';
      for (std::uint32_t j : list) {
        out += ' ';
        out.append(number, std::to_chars(number, number + sizeof number, j).ptr);
      }
      out += '\n';
    }
  }
  out +=
      "roles:\n"
      "  - name: Actor\n"
      "    profile: Actor\n"
      "    goal: Turn what you receive into a better solution to the user's requirement.\n"
      "    actions: [Act]\n"
      "    memory: 1\n"
      "  - name: Critic\n"
      "    profile: Critic\n"
      "    goal: Review the solution you receive and pass it on improved.\n"
      "    actions: [Critique]\n"
      "    memory: 1\n"
      "actions:\n"
      "  Act: {type: speak, prompt: topology_actor, max_context: 1000}\n"
      "  Critique: {type: speak, prompt: topology_critic, max_context: 1}\n";
  return out;
}

}  // namespace agentco
