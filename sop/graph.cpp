#include "sop/graph.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "environment/message.hpp"

namespace agentco {
namespace {

using Report = std::function<void(int, const std::string&)>;

// A malformed 500,000-edge list should not produce 500,000 messages.
constexpr int kMaxEdgeProblems = 20;
constexpr std::size_t kMaxCycleShown = 12;

int line_of(const YAML::Node& node) { return node.IsDefined() ? node.Mark().line + 1 : 0; }

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// A node number: digits only. nullopt when the token is not one; `nodes` (out of range)
// when it is too large, overflow included.
std::optional<std::uint32_t> node_number(std::string_view token, std::uint32_t nodes) {
  if (token.empty() || token.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || value >= nodes) return nodes;
  return static_cast<std::uint32_t>(value);
}

// The successor lists, read from the `edges:` text. The successors of node i are
// targets[first[i] .. first[i] + count[i]); a node has at most one line.
struct Edges {
  std::vector<std::uint32_t> targets;
  std::vector<std::uint32_t> first, count, in_degree;
  std::vector<int> line;  // file line of node i's edges line (0: none)
};

// The edges text is a compact adjacency list ("FROM: TO TO ...", one line per node), not a
// YAML map of lists: a 1,000-node mesh has 499,500 edges, which this keeps to a ~2 MB file
// read by hand in one pass, where a YAML node per edge would cost far more to load.
// `text_line(k)` is the file line of the text's line k (0-based).
std::optional<Edges> read_edges(std::string_view text, std::uint32_t nodes, const std::function<int(int)>& text_line,
                                const Report& problem) {
  Edges edges;
  edges.first.assign(nodes, 0);
  edges.count.assign(nodes, 0);
  edges.in_degree.assign(nodes, 0);
  edges.line.assign(nodes, 0);
  // seen[j] == i + 1 while reading node i's line: finds a repeated successor in O(1).
  std::vector<std::uint32_t> seen(nodes, 0);
  int problems = 0;
  auto report = [&](int line, const std::string& message) {
    if (++problems <= kMaxEdgeProblems) problem(line, message);
    else if (problems == kMaxEdgeProblems + 1) problem(line, "graph: more problems in edges: not listed");
  };
  // A target takes at least two characters ("1 "): this bounds the edges without a count pass.
  edges.targets.reserve(std::min(text.size() / 2, static_cast<std::size_t>(kMaxGraphEdges)));
  int k = 0;
  for (std::size_t at = 0; at < text.size(); ++k) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(at, end - at);
    at = end + 1;
    const int line = text_line(k);
    std::string_view body = trim(raw.substr(0, raw.find('#')));
    if (body.empty()) continue;
    const auto colon = body.find(':');
    if (colon == std::string_view::npos) {
      report(line, fmt::format("graph: edges line '{}' must read FROM: TO TO ... (node numbers, e.g. 0: 1 2)", body));
      continue;
    }
    const std::string_view from_text = trim(body.substr(0, colon));
    const auto from = node_number(from_text, nodes);
    if (!from) {
      report(line, fmt::format("graph: edges line '{}': '{}' is not a node number (FROM: TO TO ..., e.g. 0: 1 2)",
                               body, from_text));
      continue;
    }
    if (*from == nodes) {
      report(line, fmt::format("graph: node {} is out of range: nodes: {} numbers them 0 to {}", from_text, nodes,
                               nodes - 1));
      continue;
    }
    if (edges.line[*from] != 0) {
      report(line, fmt::format("graph: node {} has a second edges line (the first is line {}); list all its "
                               "successors on one line",
                               *from, edges.line[*from]));
      continue;
    }
    edges.line[*from] = line;
    edges.first[*from] = static_cast<std::uint32_t>(edges.targets.size());
    std::string_view rest = body.substr(colon + 1);
    while (!rest.empty()) {
      const auto begin = rest.find_first_not_of(" \t");
      if (begin == std::string_view::npos) break;
      rest.remove_prefix(begin);
      const auto stop = std::min(rest.find_first_of(" \t"), rest.size());
      const std::string_view token = rest.substr(0, stop);
      rest.remove_prefix(stop);
      const auto to = node_number(token, nodes);
      if (!to) {
        report(line, fmt::format("graph: edges line '{}': '{}' is not a node number (FROM: TO TO ..., e.g. 0: 1 2)",
                                 body, token));
      } else if (*to == nodes) {
        report(line, fmt::format("graph: edge {} -> {}: node {} is out of range: nodes: {} numbers them 0 to {}",
                                 *from, token, token, nodes, nodes - 1));
      } else if (*to == *from) {
        report(line, fmt::format("graph: edge {} -> {} is a self-edge (a node cannot be its own successor)", *from, *to));
      } else if (seen[*to] == *from + 1) {
        report(line, fmt::format("graph: edge {} -> {} is listed twice", *from, *to));
      } else if (edges.targets.size() >= static_cast<std::size_t>(kMaxGraphEdges)) {
        report(line, fmt::format("graph: more than {} edges (each becomes a role)", kMaxGraphEdges));
        return std::nullopt;
      } else {
        seen[*to] = *from + 1;
        edges.targets.push_back(*to);
        ++edges.in_degree[*to];
      }
    }
    edges.count[*from] = static_cast<std::uint32_t>(edges.targets.size()) - edges.first[*from];
  }
  if (problems > 0) return std::nullopt;
  return edges;
}

// Kahn's algorithm; on a cycle, names one: every node left over has a predecessor left over,
// so walking back along such predecessors must come round.
bool check_acyclic(const Edges& edges, std::uint32_t nodes, const Report& problem) {
  std::vector<std::uint32_t> in = edges.in_degree;
  std::vector<std::uint32_t> ready;
  ready.reserve(nodes);
  for (std::uint32_t i = 0; i < nodes; ++i)
    if (in[i] == 0) ready.push_back(i);
  for (std::size_t next = 0; next < ready.size(); ++next) {
    const std::uint32_t i = ready[next];
    for (std::uint32_t e = edges.first[i]; e < edges.first[i] + edges.count[i]; ++e)
      if (--in[edges.targets[e]] == 0) ready.push_back(edges.targets[e]);
  }
  if (ready.size() == nodes) return true;
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::vector<std::uint32_t> back(nodes, kNone);  // a left-over predecessor of each left-over node
  std::uint32_t start = kNone;
  for (std::uint32_t i = 0; i < nodes; ++i) {
    if (in[i] == 0) continue;
    for (std::uint32_t e = edges.first[i]; e < edges.first[i] + edges.count[i]; ++e) {
      if (in[edges.targets[e]] > 0) back[edges.targets[e]] = i;
    }
    if (start == kNone) start = i;
  }
  std::vector<std::uint32_t> order(nodes, kNone);  // position on the walk
  std::vector<std::uint32_t> walk;
  std::uint32_t at = start;
  while (order[at] == kNone) {
    order[at] = static_cast<std::uint32_t>(walk.size());
    walk.push_back(at);
    at = back[at];
  }
  // walk[order[at]..] is the cycle, backwards.
  std::vector<std::uint32_t> cycle(walk.begin() + order[at], walk.end());
  std::reverse(cycle.begin(), cycle.end());
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());  // from its lowest node
  std::string names;
  for (std::size_t i = 0; i < cycle.size() && i < kMaxCycleShown; ++i) names += fmt::format("{} -> ", cycle[i]);
  if (cycle.size() > kMaxCycleShown) names += fmt::format("... ({} nodes) -> ", cycle.size());
  names += std::to_string(cycle.front());
  problem(edges.line[cycle.front()], fmt::format("graph: edges form a cycle: {} (the graph must be acyclic)", names));
  return false;
}

// The index in sop.roles of the role `node` names, after checking it may be a template.
std::optional<std::size_t> template_role(const YAML::Node& node, const char* key, const Sop& sop,
                                         int graph_line, const Report& problem) {
  if (!node.IsDefined() || node.IsNull()) {
    problem(graph_line, fmt::format("graph: needs '{}:', the role of roles: placed on every {}", key,
                                    std::string_view(key) == "actor" ? "node" : "edge"));
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    problem(line_of(node), fmt::format("graph: {} must name a role of roles:", key));
    return std::nullopt;
  }
  const std::string& name = node.Scalar();
  auto it = std::find_if(sop.roles.begin(), sop.roles.end(), [&](const RoleSpec& r) { return r.name == name; });
  if (it == sop.roles.end()) {
    std::string names;
    for (const auto& r : sop.roles) names += (names.empty() ? "" : ", ") + r.name;
    problem(line_of(node), fmt::format("graph: {} '{}' is not a role of roles: (roles: {})", key, name, names));
    return std::nullopt;
  }
  const RoleSpec& role = *it;
  std::vector<std::string> own;
  if (!role.watch.empty()) own.push_back("watch");
  if (!role.topics.empty()) own.push_back("topics");
  if (!role.publish_topic.empty()) own.push_back("publish_topic");
  if (role.count != 1) own.push_back("count");
  if (role.join != 0) own.push_back("join");
  if (!own.empty()) {
    std::string list;
    for (const auto& k : own) list += (list.empty() ? "'" : ", '") + k + ":'";
    problem(role.line, fmt::format("role {} is the graph's {}: the graph sets its watch, topics, publish_topic, "
                                   "count and join; remove {}",
                                   role.name, key, list));
    return std::nullopt;
  }
  return static_cast<std::size_t>(it - sop.roles.begin());
}

}  // namespace

void expand_graph(const YAML::Node& graph, Sop& sop, const std::function<void(int, const std::string&)>& problem) {
  const int graph_line = line_of(graph);
  if (!graph.IsMap()) {
    problem(graph_line, "graph: must be a map with nodes, actor, critic and edges");
    return;
  }
  bool ok = true;
  for (const auto& kv : graph) {
    const std::string key = kv.first.Scalar();
    if (key != "kind" && key != "nodes" && key != "actor" && key != "critic" && key != "edges") {
      problem(line_of(kv.first), fmt::format("unknown key '{}' in graph (allowed: kind, nodes, actor, critic, edges)", key));
      ok = false;
    }
  }
  if (graph["kind"].IsDefined() && !graph["kind"].IsScalar()) {
    problem(line_of(graph["kind"]), "graph: kind must be a word (chain, star, tree, mesh, layered, random)");
    ok = false;
  }

  std::uint32_t nodes = 0;
  const YAML::Node count = graph["nodes"];
  if (!count.IsDefined() || count.IsNull()) {
    problem(graph_line, "graph: needs 'nodes:', the number of nodes (numbered 0 to nodes-1)");
    ok = false;
  } else {
    const std::string text = count.IsScalar() ? count.Scalar() : std::string();
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!count.IsScalar() || text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > kMaxGraphNodes) {
      problem(line_of(count),
              fmt::format("graph: nodes must be a whole number from 1 to {}, got '{}'", kMaxGraphNodes, text));
      ok = false;
    } else {
      nodes = static_cast<std::uint32_t>(value);
    }
  }

  const auto actor = template_role(graph["actor"], "actor", sop, graph_line, problem);
  const auto critic = template_role(graph["critic"], "critic", sop, graph_line, problem);
  ok = ok && actor && critic;

  const YAML::Node edges_node = graph["edges"];
  if (!edges_node.IsDefined()) {
    problem(graph_line, "graph: needs 'edges:', each node's successors, a line per node (\"FROM: TO TO ...\"); "
                        "edges: \"\" for none");
    return;
  }
  if (!edges_node.IsNull() && !edges_node.IsScalar()) {
    problem(line_of(edges_node), "graph: edges must be text, a line per node (\"FROM: TO TO ...\"), e.g. edges: |");
    return;
  }
  if (!ok) return;

  // A block scalar (edges: |) starts on the line after its indicator; a one-line value is on
  // its own line. (yaml-cpp does not say a node's style: a quoted value holding line breaks
  // is taken for a block, so its lines are reported one too low.)
  const std::string_view text = edges_node.IsNull() ? std::string_view() : std::string_view(edges_node.Scalar());
  const int mark = line_of(edges_node);
  const bool block = text.find('\n') != std::string_view::npos;
  auto text_line = [mark, block](int k) { return block ? mark + 1 + k : mark; };
  std::optional<Edges> edges = read_edges(text, nodes, text_line, problem);
  if (!edges || !check_acyclic(*edges, nodes, problem)) return;

  // The expansion: templates out, a role per node and per edge in. Roles not named by the
  // graph stay first, in their order.
  std::vector<RoleSpec> roles;
  roles.reserve(sop.roles.size() - (*actor == *critic ? 1 : 2) + nodes + edges->targets.size());
  std::unordered_map<std::string, int> others;  // name -> line
  for (std::size_t i = 0; i < sop.roles.size(); ++i) {
    if (i == *actor || i == *critic) continue;
    others.emplace(sop.roles[i].name, sop.roles[i].line);
    roles.push_back(std::move(sop.roles[i]));
  }
  const RoleSpec actor_role = std::move(sop.roles[*actor]);
  const RoleSpec critic_role = *critic == *actor ? actor_role : std::move(sop.roles[*critic]);
  auto clashes = [&](const RoleSpec& role) {
    if (others.empty()) return false;
    auto other = others.find(role.name);
    if (other == others.end()) return false;
    problem(other->second, fmt::format("graph: role {} would be made for the graph, but roles: already has a role of "
                                   "that name; rename it",
                                   role.name));
    return true;
  };
  for (std::uint32_t i = 0; i < nodes; ++i) {
    RoleSpec role = actor_role;
    role.name = fmt::format("{}-{}", actor_role.name, i);
    role.instance = static_cast<int>(i);  // llm.models: "Actor" names every node's role
    role.topics = {fmt::format("in-{}", i)};
    role.publish_topic = fmt::format("out-{}", i);
    if (edges->in_degree[i] == 0) role.watch = {kUserRequirement};
    role.join = static_cast<int>(edges->in_degree[i]);
    if (clashes(role)) return;
    roles.push_back(std::move(role));
  }
  for (std::uint32_t i = 0; i < nodes; ++i) {
    for (std::uint32_t e = edges->first[i]; e < edges->first[i] + edges->count[i]; ++e) {
      const std::uint32_t j = edges->targets[e];
      RoleSpec role = critic_role;
      role.name = fmt::format("{}-{}-{}", critic_role.name, i, j);
      role.topics = {fmt::format("out-{}", i)};
      role.publish_topic = fmt::format("in-{}", j);
      if (clashes(role)) return;
      roles.push_back(std::move(role));
    }
  }
  sop.roles = std::move(roles);
  sop.min_turns = static_cast<int>(sop.roles.size());  // one turn each: a graph is bounded by itself
}

}  // namespace agentco
