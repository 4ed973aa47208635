// Pins sop/topology.hpp (the MacNet graphs agentco sop topology writes) and sop/graph.hpp (a
// SOP's graph: section, expanded into a role per node and per edge): the edge counts of every
// kind, a random graph connected and fixed by its seed, every malformed graph: rejected with
// its line, and a generated graph run end to end by the binary, each role acting once and
// every node after all its predecessors.
#include "sop/topology.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "sop/graph.hpp"
#include "sop/prompt_library.hpp"
#include "sop/sop.hpp"
#include "tests/support/child_process.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Successors = std::vector<std::vector<std::uint32_t>>;

std::size_t edge_total(const Successors& successors) {
  std::size_t total = 0;
  for (const auto& list : successors) total += list.size();
  return total;
}

Successors edges_of(const std::string& kind, long long nodes, std::uint64_t seed = 1) {
  auto edges = topology_edges(kind, nodes, seed);
  EXPECT_TRUE(edges.ok()) << edges.error().message;
  return edges.ok() ? *edges : Successors{};
}

// Every node reached from node 0 along edges taken either way.
bool connected(const Successors& successors) {
  const std::size_t n = successors.size();
  std::vector<std::vector<std::uint32_t>> both(n);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j : successors[i]) {
      both[i].push_back(j);
      both[j].push_back(i);
    }
  std::vector<bool> seen(n, false);
  std::vector<std::uint32_t> todo{0};
  seen[0] = true;
  std::size_t reached = 1;
  while (!todo.empty()) {
    const std::uint32_t at = todo.back();
    todo.pop_back();
    for (std::uint32_t next : both[at])
      if (!seen[next]) {
        seen[next] = true;
        ++reached;
        todo.push_back(next);
      }
  }
  return reached == n;
}

// ---- The generator ---------------------------------------------------------------------

TEST(TopologyTest, ChainStarAndTreeHaveOneEdgeFewerThanNodes) {
  for (long long n : {1, 2, 7, 100}) {
    for (const char* kind : {"chain", "star", "tree"}) {
      EXPECT_EQ(edge_total(edges_of(kind, n)), static_cast<std::size_t>(n - 1)) << kind << " " << n;
      EXPECT_TRUE(connected(edges_of(kind, n))) << kind << " " << n;
    }
  }
  EXPECT_EQ(edges_of("chain", 4), (Successors{{1}, {2}, {3}, {}}));
  EXPECT_EQ(edges_of("star", 4), (Successors{{1, 2, 3}, {}, {}, {}}));
  EXPECT_EQ(edges_of("tree", 6), (Successors{{1, 2}, {3, 4}, {5}, {}, {}, {}}));
}

TEST(TopologyTest, AMeshJoinsEveryPairOnce) {
  for (long long n : {1, 2, 5, 40}) EXPECT_EQ(edge_total(edges_of("mesh", n)), static_cast<std::size_t>(n * (n - 1) / 2));
  EXPECT_EQ(edges_of("mesh", 3), (Successors{{1, 2}, {2}, {}}));
}

TEST(TopologyTest, LayeredJoinsEveryNodeOfALayerToEveryNodeOfTheNext) {
  // 10 nodes: width ceil(sqrt(10)) = 4, layers {0..3}, {4..7}, {8, 9}: 4*4 + 4*2 edges.
  Successors ten = edges_of("layered", 10);
  EXPECT_EQ(edge_total(ten), 24u);
  EXPECT_EQ(ten[0], (std::vector<std::uint32_t>{4, 5, 6, 7}));
  EXPECT_EQ(ten[5], (std::vector<std::uint32_t>{8, 9}));
  EXPECT_TRUE(ten[9].empty());
  // 9 nodes: three full layers of 3.
  EXPECT_EQ(edge_total(edges_of("layered", 9)), 18u);
  EXPECT_EQ(edge_total(edges_of("layered", 1)), 0u);
  EXPECT_TRUE(connected(edges_of("layered", 1000)));
}

TEST(TopologyTest, ARandomGraphIsConnectedAcyclicAndFixedByItsSeed) {
  for (std::uint64_t seed : {1, 2, 3, 99}) {
    Successors g = edges_of("random", 200, seed);
    EXPECT_TRUE(connected(g)) << seed;
    std::vector<int> predecessors(200, 0);
    for (std::uint32_t i = 0; i < g.size(); ++i) {
      std::set<std::uint32_t> distinct(g[i].begin(), g[i].end());
      EXPECT_EQ(distinct.size(), g[i].size()) << "a repeated edge from " << i;
      for (std::uint32_t j : g[i]) {
        EXPECT_GT(j, i);  // every edge runs forward: acyclic
        ++predecessors[j];
      }
    }
    EXPECT_EQ(predecessors[0], 0);
    for (std::size_t j = 1; j < 200; ++j) {
      EXPECT_GE(predecessors[j], 1) << j;
      EXPECT_LE(predecessors[j], 3) << j;
    }
  }
  EXPECT_EQ(edges_of("random", 50, 7), edges_of("random", 50, 7));
  EXPECT_NE(edges_of("random", 50, 7), edges_of("random", 50, 8));
  EXPECT_EQ(*topology_yaml("random", 50, 7), *topology_yaml("random", 50, 7));
  EXPECT_NE(*topology_yaml("random", 50, 7), *topology_yaml("random", 50, 8));
}

TEST(TopologyTest, UnknownKindsAndImpossibleSizesAreRefusedInWords) {
  auto unknown = topology_yaml("ring", 5);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "topology");
  EXPECT_NE(unknown.error().message.find("unknown topology 'ring'"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("chain, star, tree, mesh, layered, random"), std::string::npos);
  for (long long n : {0LL, -3LL, kMaxGraphNodes + 1}) {
    auto bad = topology_edges("chain", n);
    ASSERT_FALSE(bad.ok()) << n;
    EXPECT_NE(bad.error().message.find("--nodes must be from 1 to 100000"), std::string::npos) << bad.error().message;
  }
  EXPECT_TRUE(topology_edges("chain", kMaxGraphNodes).ok());
  EXPECT_TRUE(topology_edges("mesh", 1414).ok());
  auto big = topology_edges("mesh", 1415);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("1000405 edges"), std::string::npos) << big.error().message;
}

// ---- The graph: section, through parse_sop ---------------------------------------------

class GraphSopTest : public ::testing::Test {
 protected:
  void SetUp() override { register_builtin_actions(registry_); }

  Result<Sop> parse(const std::string& yaml) { return parse_sop(yaml, "g.yaml", registry_, prompts_); }

  std::string rejection(const std::string& yaml) {
    Result<Sop> sop = parse(yaml);
    EXPECT_FALSE(sop.ok()) << "accepted:\n" << yaml;
    return sop.ok() ? std::string() : sop.error().message;
  }

  // Asserts that `message` has a problem at g.yaml:`line` holding `fragment`.
  static void expect_problem(const std::string& message, int line, const std::string& fragment) {
    const std::string prefix = "g.yaml:" + std::to_string(line) + ": ";
    std::istringstream in(message);
    for (std::string problem; std::getline(in, problem);)
      if (problem.starts_with(prefix) && problem.find(fragment) != std::string::npos) return;
    ADD_FAILURE() << "no problem at " << prefix << "holding [" << fragment << "]\nmessage:\n" << message;
  }

  ActionRegistry registry_;
  PromptLibrary prompts_;
};

// `graph` replaces lines 2-8 (the graph: section; more or fewer lines shift the roles below).
//  1 name: g
//  2 graph:
//  3   kind: tree
//  4   nodes: 4
//  5   actor: Worker
//  6   critic: Checker
//  7   edges: |
//  8     0: 1 2
//  9     1: 3
// 10     2: 3
// 11 roles:
// 12   - name: Worker       (13 profile, 14 actions, 15 memory)
// 16   - name: Checker      (17 profile, 18 actions)
std::string graph_sop(const std::string& graph = "graph:\n"
                                                 "  kind: tree\n"
                                                 "  nodes: 4\n"
                                                 "  actor: Worker\n"
                                                 "  critic: Checker\n"
                                                 "  edges: |\n"
                                                 "    0: 1 2\n"
                                                 "    1: 3\n"
                                                 "    2: 3\n",
                      const std::string& worker_extra = "") {
  return "name: g\n" + graph +
         "roles:\n"
         "  - name: Worker\n"
         "    profile: Engineer\n"
         "    actions: [Act]\n"
         "    memory: 1\n" +
         worker_extra +
         "  - name: Checker\n"
         "    profile: Reviewer\n"
         "    actions: [Critique]\n"
         "actions:\n"
         "  Act: {type: speak, prompt: topology_actor, max_context: 1000}\n"
         "  Critique: {type: speak, prompt: topology_critic, max_context: 1}\n";
}

// The graph: section with `nodes` and these edge lines (each indented as the block needs).
std::string graph_with(const std::string& nodes, const std::vector<std::string>& lines) {
  std::string out = "graph:\n  nodes: " + nodes + "\n  actor: Worker\n  critic: Checker\n  edges: |\n";
  for (const auto& line : lines) out += "    " + line + "\n";
  return out;
}

const RoleSpec* find_role(const Sop& sop, const std::string& name) {
  for (const auto& role : sop.roles)
    if (role.name == name) return &role;
  return nullptr;
}

TEST_F(GraphSopTest, ADiamondExpandsIntoARolePerNodeAndPerEdge) {
  Result<Sop> sop = parse(graph_sop());
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  std::vector<std::string> names;
  for (const auto& role : sop->roles) names.push_back(role.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Worker-0", "Worker-1", "Worker-2", "Worker-3", "Checker-0-1",
                                             "Checker-0-2", "Checker-1-3", "Checker-2-3"}));
  const RoleSpec* source = find_role(*sop, "Worker-0");
  EXPECT_EQ(source->watch, std::vector<std::string>{"UserRequirement"});
  EXPECT_EQ(source->topics, std::vector<std::string>{"in-0"});
  EXPECT_EQ(source->publish_topic, "out-0");
  EXPECT_EQ(source->join, 0);
  EXPECT_EQ(source->profile, "Engineer");
  EXPECT_EQ(source->actions, std::vector<std::string>{"Act"});
  EXPECT_EQ(source->memory_limit, 1u);
  EXPECT_EQ(source->instance, 0);
  const RoleSpec* sink = find_role(*sop, "Worker-3");
  EXPECT_TRUE(sink->watch.empty());
  EXPECT_EQ(sink->topics, std::vector<std::string>{"in-3"});
  EXPECT_EQ(sink->join, 2);
  EXPECT_EQ(find_role(*sop, "Worker-1")->join, 1);
  const RoleSpec* critic = find_role(*sop, "Checker-2-3");
  EXPECT_EQ(critic->topics, std::vector<std::string>{"out-2"});
  EXPECT_EQ(critic->publish_topic, "in-3");
  EXPECT_TRUE(critic->watch.empty());
  EXPECT_EQ(critic->profile, "Reviewer");
  EXPECT_EQ(critic->join, 0);
}

TEST_F(GraphSopTest, IsolatedNodesBlankLinesAndCommentsAreAccepted) {
  Result<Sop> sop = parse(graph_sop(graph_with("4", {"# the only edge", "", "2: 3   # and a comment"})));
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->roles.size(), 5u);
  // Nodes 0 and 1 have no edges: each is a source and a sink.
  EXPECT_EQ(find_role(*sop, "Worker-0")->watch, std::vector<std::string>{"UserRequirement"});
  EXPECT_EQ(find_role(*sop, "Worker-1")->watch, std::vector<std::string>{"UserRequirement"});
  ASSERT_TRUE(find_role(*sop, "Checker-2-3"));
  Result<Sop> single = parse(graph_sop("graph:\n  nodes: 1\n  actor: Worker\n  critic: Checker\n  edges: \"\"\n"));
  ASSERT_TRUE(single.ok()) << single.error().message;
  EXPECT_EQ(single->roles.size(), 1u);
}

TEST_F(GraphSopTest, RolesTheGraphDoesNotNameStay) {
  std::string yaml = graph_sop();
  yaml.replace(yaml.find("actions:\n  Act"), 0,
               "  - name: Observer\n    actions: [Act]\n    watch: [UserRequirement]\n");
  Result<Sop> sop = parse(yaml);
  ASSERT_TRUE(sop.ok()) << sop.error().message;
  EXPECT_EQ(sop->roles.size(), 9u);
  EXPECT_EQ(sop->roles.front().name, "Observer");
}

TEST_F(GraphSopTest, EveryGeneratedKindLoadsWithARolePerNodeAndEdge) {
  for (const auto& kind : topology_kinds()) {
    for (long long n : {1, 2, 12}) {
      auto yaml = topology_yaml(kind, n, 3);
      ASSERT_TRUE(yaml.ok()) << yaml.error().message;
      Result<Sop> sop = parse_sop(*yaml, kind + ".yaml", registry_, prompts_);
      ASSERT_TRUE(sop.ok()) << kind << " " << n << ":\n" << sop.error().message << "\n" << *yaml;
      EXPECT_EQ(sop->roles.size(), static_cast<std::size_t>(n) + edge_total(edges_of(kind, n, 3))) << kind << " " << n;
      EXPECT_EQ(sop->name, kind + "_" + std::to_string(n));
    }
  }
}

TEST_F(GraphSopTest, UnknownAndMissingKeysAreNamedWithTheirLine) {
  std::string message = rejection(graph_sop("graph:\n  nodes: 2\n  actor: Worker\n  critic: Checker\n  edge: |\n"
                                            "    0: 1\n"));
  expect_problem(message, 6, "unknown key 'edge' in graph (allowed: kind, nodes, actor, critic, edges)");
  // What is missing is reported at the section's first line.
  expect_problem(message, 3, "graph: needs 'edges:'");
  expect_problem(rejection(graph_sop("graph:\n  actor: Worker\n  critic: Checker\n  edges: \"\"\n")), 3,
                 "graph: needs 'nodes:'");
  expect_problem(rejection(graph_sop("graph:\n  nodes: 1\n  critic: Checker\n  edges: \"\"\n")), 3,
                 "graph: needs 'actor:'");
  expect_problem(rejection(graph_sop("graph: [1, 2]\n")), 2, "graph: must be a map");
}

TEST_F(GraphSopTest, NodesMustBeAWholeNumberFromOneToTheCap) {
  for (const char* bad : {"0", "-2", "many", "2.5", "100001", "[3]"}) {
    expect_problem(rejection(graph_sop(graph_with(bad, {}))), 3, "graph: nodes must be a whole number from 1 to 100000");
  }
}

TEST_F(GraphSopTest, TemplatesMustNameRolesWithoutRoutingOfTheirOwn) {
  expect_problem(rejection(graph_sop("graph:\n  nodes: 2\n  actor: Builder\n  critic: Checker\n  edges: \"0: 1\"\n")),
                 4, "graph: actor 'Builder' is not a role of roles: (roles: Worker, Checker)");
  expect_problem(rejection(graph_sop("graph:\n  nodes: 2\n  actor: Worker\n  critic: [Checker]\n  edges: \"0: 1\"\n")),
                 5, "graph: critic must name a role");
  // The Worker role starts at line 12 of graph_sop().
  std::string message = rejection(graph_sop(graph_with("4", {"0: 1"}),
                                            "    watch: [UserRequirement]\n    publish_topic: x\n"));
  expect_problem(message, 9, "role Worker is the graph's actor");
  expect_problem(message, 9, "remove 'watch:', 'publish_topic:'");
}

TEST_F(GraphSopTest, AMalformedEdgesLineIsReportedAtItsOwnLine) {
  // graph_with: the edges' first line is line 7.
  std::string message = rejection(graph_sop(graph_with("4", {"0: 1", "1 2", "2: x", "y: 3", "3: 4", "1: 1"})));
  expect_problem(message, 8, "graph: edges line '1 2' must read FROM: TO TO ...");
  expect_problem(message, 9, "'x' is not a node number");
  expect_problem(message, 10, "'y' is not a node number");
  expect_problem(message, 11, "graph: edge 3 -> 4: node 4 is out of range: nodes: 4 numbers them 0 to 3");
  expect_problem(message, 12, "graph: edge 1 -> 1 is a self-edge");
}

TEST_F(GraphSopTest, RepeatedEdgesAndRepeatedLinesAreRefused) {
  std::string message = rejection(graph_sop(graph_with("4", {"0: 1 2 1", "1: 2", "0: 3", "9: 1"})));
  expect_problem(message, 7, "graph: edge 0 -> 1 is listed twice");
  expect_problem(message, 9, "graph: node 0 has a second edges line (the first is line 7)");
  expect_problem(message, 10, "graph: node 9 is out of range");
  // A one-line value is reported on the key's line.
  expect_problem(rejection(graph_sop("graph:\n  nodes: 2\n  actor: Worker\n  critic: Checker\n  edges: \"0: 0\"\n")),
                 6, "self-edge");
}

TEST_F(GraphSopTest, ACycleIsNamedNodeByNode) {
  std::string message = rejection(graph_sop(graph_with("5", {"0: 1", "1: 2", "2: 3 4", "3: 1"})));
  expect_problem(message, 8, "graph: edges form a cycle: 1 -> 2 -> 3 -> 1");
  // Nodes after a cycle (4, reached from it) are not named in it.
  EXPECT_EQ(message.find("4 ->"), std::string::npos) << message;
}

TEST_F(GraphSopTest, AGeneratedRoleMayNotShadowAnotherRole) {
  std::string yaml = graph_sop();
  yaml.replace(yaml.find("actions:\n  Act"), 0, "  - name: Worker-2\n    actions: [Act]\n    watch: [UserRequirement]\n");
  expect_problem(rejection(yaml), 19, "graph: role Worker-2 would be made for the graph");
}

// ---- The binary: generate, check, run ---------------------------------------------------

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TopologyBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("agentco_topology_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "home");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  testing::ProcessResult agentco(const std::vector<std::string>& args) {
    testing::ProcessOptions options;
    options.argv.push_back(AGENTCO_BINARY);
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    const char* path = std::getenv("PATH");
    options.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + (dir_ / "home").string(),
                   "LANG=C.UTF-8"};
    options.cwd = dir_;
    options.timeout = std::chrono::milliseconds(60000);
    return testing::run_process(options);
  }

  fs::path dir_;
};

std::string describe(const testing::ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out.substr(0, 2000) + "--- stderr:\n" + r.err;
}

TEST_F(TopologyBinaryTest, AGeneratedRandomGraphChecksAndRunsEachRoleOnceInDependencyOrder) {
  auto generated = agentco({"sop", "topology", "random", "--nodes", "12", "--seed", "3"});
  ASSERT_EQ(generated.exit_code, 0) << describe(generated);
  EXPECT_EQ(generated.out, *topology_yaml("random", 12, 3));
  const fs::path team = dir_ / "team.yaml";
  std::ofstream(team, std::ios::binary) << generated.out;

  auto checked = agentco({"check-sop", "--no-user-config", team.string()});
  ASSERT_EQ(checked.exit_code, 0) << describe(checked);
  const Successors graph = edges_of("random", 12, 3);
  const std::size_t edges = edge_total(graph);
  EXPECT_NE(checked.out.find(std::to_string(12 + edges) + " roles, 2 actions: OK"), std::string::npos) << checked.out;

  auto ran = agentco({"run", "--no-user-config", "--llm", "mock", "--warehouse", (dir_ / "warehouse").string(), "--sop",
                      team.string(), "--max-rounds", "5", "write a haiku"});  // a graph's roles each get their turn
  ASSERT_EQ(ran.exit_code, 0) << describe(ran);
  std::istringstream out(ran.out);
  std::string folder;
  for (std::string line; std::getline(out, line);)
    if (!line.empty()) folder = line;
  ASSERT_TRUE(fs::is_directory(folder)) << describe(ran);

  // When (trace seq) each role started and ended its action.
  std::map<std::string, std::vector<std::int64_t>> starts, ends;
  std::string end_reason;
  std::istringstream trace(read_text(fs::path(folder) / "run.jsonl"));
  for (std::string line; std::getline(trace, line);) {
    Result<json> record = open_trace_record(line);
    ASSERT_TRUE(record.ok()) << record.error().message;
    const std::string type = record->value("type", "");
    if (type == "action_start") starts[record->value("role", "")].push_back(record->value("seq", 0));
    if (type == "action_end") {
      EXPECT_TRUE(record->value("ok", false)) << record->dump();
      ends[record->value("role", "")].push_back(record->value("seq", 0));
    }
    if (type == "run_end") end_reason = record->value("reason", "");
  }
  EXPECT_EQ(end_reason, "idle");
  EXPECT_EQ(starts.size(), 12 + edges);
  for (const auto& [role, seqs] : starts) EXPECT_EQ(seqs.size(), 1u) << role << " acted more than once";
  auto start = [&](const std::string& role) {
    EXPECT_EQ(starts[role].size(), 1u) << role << " did not act once";
    return starts[role].empty() ? 0 : starts[role].front();
  };
  auto end = [&](const std::string& role) { return ends[role].empty() ? INT64_MAX : ends[role].front(); };
  std::vector<std::vector<std::uint32_t>> predecessors(12);
  for (std::uint32_t i = 0; i < 12; ++i) {
    for (std::uint32_t j : graph[i]) {
      predecessors[j].push_back(i);
      const std::string critic = "Critic-" + std::to_string(i) + "-" + std::to_string(j);
      EXPECT_GT(start(critic), end("Actor-" + std::to_string(i))) << critic;
    }
  }
  int sinks = 0;
  for (std::uint32_t j = 0; j < 12; ++j) {
    const std::string actor = "Actor-" + std::to_string(j);
    sinks += graph[j].empty();
    for (std::uint32_t i : predecessors[j]) {
      EXPECT_GT(start(actor), end("Actor-" + std::to_string(i))) << actor << " before its predecessor " << i;
      EXPECT_GT(start(actor), end("Critic-" + std::to_string(i) + "-" + std::to_string(j))) << actor;
    }
  }
  EXPECT_GT(sinks, 0);
}

// The issue's own case: a generated 1,000-node random graph validates and runs (about 3,000
// roles, one mock call each; well under a second here).
TEST_F(TopologyBinaryTest, AThousandNodeRandomGraphValidatesAndRunsEveryRoleOnce) {
  auto generated = agentco({"sop", "topology", "random", "--nodes", "1000", "--seed", "1"});
  ASSERT_EQ(generated.exit_code, 0) << describe(generated);
  const fs::path team = dir_ / "random_1000.yaml";
  std::ofstream(team, std::ios::binary) << generated.out;
  const std::size_t roles = 1000 + edge_total(edges_of("random", 1000, 1));

  auto checked = agentco({"check-sop", "--no-user-config", team.string()});
  ASSERT_EQ(checked.exit_code, 0) << describe(checked);
  EXPECT_NE(checked.out.find(std::to_string(roles) + " roles, 2 actions: OK"), std::string::npos) << checked.out;

  auto ran = agentco({"run", "--no-user-config", "--llm", "mock", "--warehouse", (dir_ / "warehouse").string(), "--sop",
                      team.string(), "write a haiku"});
  ASSERT_EQ(ran.exit_code, 0) << describe(ran);
  std::istringstream out(ran.out);
  std::string folder;
  for (std::string line; std::getline(out, line);)
    if (!line.empty()) folder = line;
  const json meta = json::parse(read_text(fs::path(folder) / "meta.json"));
  EXPECT_EQ(meta["outcome"]["reason"], "idle");
  EXPECT_EQ(meta["turns"], roles);
  EXPECT_EQ(meta["total"]["calls"], roles);
}

TEST_F(TopologyBinaryTest, AnUnknownKindOrNoNodesIsOneMessageAndAUsageExit) {
  auto unknown = agentco({"sop", "topology", "ring", "--nodes", "5"});
  EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_EQ(unknown.err,
            "agentco sop topology: unknown topology 'ring' (kinds: chain, star, tree, mesh, layered, random)\n");
  auto none = agentco({"sop", "topology", "mesh", "--nodes", "0"});
  EXPECT_EQ(none.exit_code, 2) << describe(none);
  EXPECT_EQ(none.err, "agentco sop topology: --nodes must be from 1 to 100000, got 0\n");
}

}  // namespace
}  // namespace agentco
