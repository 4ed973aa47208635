#include "actions/vote_action.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const TemplateSlot kVoteSlot{"prompt", "", "the question put to every voter", {Input::kIdea, Input::kMessages}, true};

constexpr int kDefaultVoters = 3;

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::vector<std::string> options_of(const ActionSpec& spec) {
  std::vector<std::string> out;
  const auto it = spec.params.find("options");
  if (it == spec.params.end()) return out;
  if (it->is_array())
    for (const auto& o : *it)
      if (o.is_string() && !o.get<std::string>().empty()) out.push_back(o.get<std::string>());
  return out;
}

class VoteAction : public Action {
 public:
  explicit VoteAction(const ActionSpec& spec)
      : voters_(positive_int_param(spec, "voters", kDefaultVoters, 101)), options_(options_of(spec)) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    if (options_.size() < 2)
      co_return make_error("sop", fmt::format("{}: a vote needs at least two options", ctx.spec.name));
    std::string heard;
    for (const auto& m : ctx.news) heard += m->sent_from + ": " + m->content + "\n";
    PromptValues values(kVoteSlot);
    values.set(Input::kIdea, ctx.run.idea);
    values.set(Input::kMessages, heard);
    nlohmann::json hints = {{"kind", "vote"}, {"options", options_}, {"voters", voters_}};
    Result<ChatRequest> built = build_request(ctx, values, std::move(hints));
    if (!built) co_return built.error();
    built->messages.back().content += fmt::format(
        "\n\nAnswer with exactly one of: {}. Put it first, then one sentence on why.", fmt::join(options_, ", "));

    std::map<std::string, int> votes;
    for (const auto& o : options_) votes[o] = 0;
    nlohmann::json ballots = nlohmann::json::array();
    for (int voter = 1; voter <= voters_; ++voter) {
      // Each voter is its own agent: a system prompt of its own and a call of its own.
      ChatRequest request = *built;
      if (!request.messages.empty() && request.messages.front().role == "system")
        request.messages.front().content += fmt::format("\nYou are voter {} of {}; decide on your own.", voter, voters_);
      request.hints["voter"] = voter;
      Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
      if (!reply) co_return reply.error();
      const std::string said = strip_think(reply->text);
      const std::string ballot = ballot_of(said, options_);
      if (!ballot.empty()) ++votes[ballot];
      ballots.push_back({{"voter", voter}, {"ballot", ballot.empty() ? nlohmann::json(nullptr) : nlohmann::json(ballot)},
                         {"answer", said.substr(0, 400)}});
    }
    std::string decision = options_.front();
    for (const auto& o : options_)
      if (votes[o] > votes[decision]) decision = o;  // strictly more: a tie keeps the earlier option
    int cast = 0;
    for (const auto& [o, n] : votes) cast += n;
    if (cast == 0)
      ctx.run.warn(ctx.role.name, fmt::format("{}: no voter named an option ({}); the first, {}, stands", ctx.spec.name,
                                              fmt::join(options_, ", "), decision));
    ActionOutput out;
    out.content = decision;
    out.payload = {{"decision", decision}, {"votes", votes}, {"ballots", std::move(ballots)}, {"voters", voters_}};
    co_return out;
  }

 private:
  int voters_;
  std::vector<std::string> options_;
};

}  // namespace

std::string ballot_of(const std::string& answer, const std::vector<std::string>& options) {
  const std::string text = to_lower(answer);
  std::size_t best_at = std::string::npos;
  std::string best;
  for (const auto& option : options) {
    const std::string o = to_lower(option);
    for (std::size_t at = text.find(o); at != std::string::npos; at = text.find(o, at + 1)) {
      const bool starts = at == 0 || !word_char(text[at - 1]);
      const bool ends = at + o.size() >= text.size() || !word_char(text[at + o.size()]);
      if (!starts || !ends) continue;
      if (at < best_at) {
        best_at = at;
        best = option;
      }
      break;
    }
  }
  return best;
}

ActionType vote_action_type() {
  return {{.name = "vote",
           .summary = "a majority vote: the role's model asked as `voters:` separate voters to pick one of `options:`; "
                      "the winner is published (payload.decision)",
           .needs_prompt = true,
           .param_keys = {"voters", "options"},
           .required_keys = {"options"},
           .slots = {kVoteSlot}},
          [](const ActionSpec& spec) { return std::make_unique<VoteAction>(spec); }};
}

}  // namespace agentco
