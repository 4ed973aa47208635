// PrefixShareCounter (stats/prefix_share.hpp): the share of a run's prompt text that repeats
// the start of an earlier request, and its place in `agentco stats` per role and per run.
#include "stats/prefix_share.hpp"

#include <gtest/gtest.h>

#include "stats/run_stats.hpp"
#include "stats/stats_report.hpp"

namespace agentco {
namespace {

using json = nlohmann::json;

json messages(const std::string& system, const std::string& user) {
  return json::array({{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", user}}});
}

TEST(PrefixShare, TheFirstRequestHasNoPrefix) {
  PrefixShareCounter counter;
  const auto figures = counter.add(messages("You are Alice.", "Write the PRD."));
  EXPECT_EQ(figures.prefix_tokens, 0);
  EXPECT_EQ(figures.prompt_tokens, estimated_prompt_tokens(serialize_messages(messages("You are Alice.", "Write the PRD.")).size()));
}

TEST(PrefixShare, ARequestThatRepeatsAnEarlierStartCountsThatStartAsPrefix) {
  PrefixShareCounter counter;
  const std::string system(400, 's');
  counter.add(messages(system, "Write a.py"));
  const auto second = counter.add(messages(system, "Write b.py"));
  // "system\n" + 400 s + "\n\nuser\nWrite " is shared: 420 bytes, 105 tokens.
  const std::size_t shared = std::string("system\n").size() + 400 + std::string("\n\nuser\nWrite ").size();
  EXPECT_EQ(second.prefix_tokens, static_cast<long>(shared / 4));
  EXPECT_LT(second.prefix_tokens, second.prompt_tokens);
  // An identical request is prefix all through (whole tokens).
  const auto again = counter.add(messages(system, "Write b.py"));
  EXPECT_EQ(again.prefix_tokens, static_cast<long>(serialize_messages(messages(system, "Write b.py")).size() / 4));
}

TEST(PrefixShare, TheLongestPrefixIsFoundAmongAllEarlierRequestsNotJustTheLast) {
  PrefixShareCounter counter;
  counter.add(messages("alpha alpha alpha alpha alpha alpha", "one"));
  counter.add(messages("beta", "two"));
  counter.add(messages("gamma", "three"));
  const auto late = counter.add(messages("alpha alpha alpha alpha alpha alpha", "four"));
  EXPECT_GE(late.prefix_tokens, 10);
}

TEST(PrefixShare, OddShapesCountAsEmptyRatherThanThrow) {
  PrefixShareCounter counter;
  EXPECT_NO_THROW(counter.add(json::array({1, nullptr, {{"role", 3}, {"content", {{"x", 1}}}}})));
  EXPECT_NO_THROW(counter.add(json("not a list")));
  EXPECT_EQ(prefix_share(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(prefix_share(3, 4), 0.75);
}

json record(const std::string& type, json fields) {
  fields["type"] = type;
  fields["ts"] = "2026-11-27T10:00:00.000Z";
  return fields;
}

TEST(PrefixShare, StatsShowItPerRoleAndPerRunBesideTheCachedTokens) {
  const std::string system(800, 'p');
  std::vector<json> trace = {
      record("run_start", {{"idea", "x"}}),
      record("llm_request", {{"role", "Alice"}, {"call_id", 1}, {"request", {{"messages", messages(system, "PRD")}}}}),
      record("llm_response", {{"role", "Alice"}, {"call_id", 1}, {"usage", {{"prompt_tokens", 210}, {"completion_tokens", 5}}}}),
      record("llm_request", {{"role", "Bob"}, {"call_id", 2}, {"request", {{"messages", messages(system, "Design")}}}}),
      record("llm_response", {{"role", "Bob"}, {"call_id", 2},
                              {"usage", {{"prompt_tokens", 210}, {"completion_tokens", 5}, {"cached_tokens", 192}}}}),
      record("run_end", {{"reason", "idle"}}),
  };
  RunStats run = compute_run_stats(trace, nullptr);
  ASSERT_EQ(run.roles.size(), 2u);
  EXPECT_EQ(run.roles[0].prefix_tokens, 0);
  EXPECT_GT(run.roles[1].prefix_share(), 0.9);
  EXPECT_EQ(run.roles[1].cached_tokens, 192);
  EXPECT_EQ(run.total.cached_tokens, 192);
  EXPECT_NEAR(run.total.prefix_share(), 0.5, 0.02);  // one of two equal prompts repeats the other

  const json j = to_json(run);
  EXPECT_EQ(j["total"]["cached_tokens"], 192);
  EXPECT_NEAR(j["roles"][1]["prefix_share"].get<double>(), run.roles[1].prefix_share(), 1e-12);
  const std::string csv = render_stats_csv({run});
  EXPECT_NE(csv.find("completion_tokens,cached_tokens,prefix_share,cost_usd"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",Bob,1,0,210,5,192,0.9"), std::string::npos) << csv;
  const std::string table = render_stats_table({run}, TableStyle{false, true});
  EXPECT_NE(table.find("cached tok"), std::string::npos) << table;
  EXPECT_NE(table.find("prefix %"), std::string::npos) << table;
  EXPECT_EQ(render_stats_json({run})["total"]["cached_tokens"], 192);
}

}  // namespace
}  // namespace agentco
