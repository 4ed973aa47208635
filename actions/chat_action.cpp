#include "actions/chat_action.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"
#include "sop/model_choice.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace {

const TemplateSlot kChatSlot{"prompt", "", "the phase prompt: the instructor's first message",
                             {Input::kIdea, Input::kMessages}, true};

constexpr int kDefaultTurns = 3;
constexpr const char* kDefaultMarker = "<INFO>";

std::string heard(const std::vector<MessagePtr>& news) {
  std::string out;
  for (const auto& m : news) out += m->sent_from + ": " + m->content + "\n";
  return out;
}

// The text after the marker when the reply starts with it (after blanks), else nullopt.
std::optional<std::string> concluded(const std::string& reply, const std::string& marker) {
  const std::string_view text = trim_view(reply);
  if (!text.starts_with(marker)) return std::nullopt;
  return std::string(trim_view(text.substr(marker.size())));
}

class ChatAction : public Action {
 public:
  explicit ChatAction(const ActionSpec& spec)
      : with_(spec.params.value("with", std::string())),
        max_turns_(positive_int_param(spec, "max_turns", kDefaultTurns, 50)),
        marker_(spec.params.value("end_marker", std::string(kDefaultMarker))) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    RunContext& run = ctx.run;
    const RoleSpec* partner = nullptr;
    if (run.sop)
      for (const auto& r : run.sop->roles)
        if (r.name == with_) partner = &r;
    if (!partner)
      co_return make_error("sop", fmt::format("{} of {}: with '{}' is not a role of the SOP", ctx.spec.name,
                                              ctx.role.name, with_));

    PromptValues values(kChatSlot);
    values.set(Input::kIdea, run.idea);
    values.set(Input::kMessages, heard(ctx.news));
    Result<ChatRequest> built = build_request(ctx, values, {{"kind", "chat"}});
    if (!built) co_return built.error();
    const std::string phase = built->messages.back().content;
    const std::string marker_rule = fmt::format(
        "\nYou are in a discussion with {} ({}), who leads it. When the discussion has reached its conclusion, "
        "start your reply with {} followed by the conclusion alone, as it should be kept.",
        ctx.role.name, ctx.role.profile, marker_);

    // The assistant's side: its own system prompt, the instructor's words as the user's.
    ChatRequest assistant = *built;
    assistant.messages = {{"system", system_prompt(*partner) + marker_rule}, {"user", phase}};
    assistant.model = model_for(run.config.llm, *partner, ctx.spec);
    assistant.hints["role"] = partner->name;
    assistant.hints["profile"] = partner->profile;
    assistant.hints["chat_with"] = ctx.role.name;
    assistant.hints["side"] = "assistant";
    assistant.hints["end_marker"] = marker_;
    // The instructor's side.
    ChatRequest instructor = *built;
    instructor.messages = {{"system", system_prompt(ctx.role) +
                                          fmt::format("\nYou lead a discussion with {} ({}) about the task below. "
                                                      "Answer {}'s last message: correct it, add what it lacks, or "
                                                      "agree and ask {} to conclude.",
                                                      partner->name, partner->profile, partner->name, partner->name)}};
    instructor.hints["chat_with"] = partner->name;
    instructor.hints["side"] = "instructor";

    std::string conclusion;
    bool ended = false;
    int turn = 1;
    for (; turn <= max_turns_; ++turn) {
      assistant.hints["turn"] = turn;
      CallSite as_partner{partner->name, ctx.spec.name};
      Result<ChatResult> answer = co_await run.llm.chat(assistant, std::move(as_partner));
      if (!answer) co_return answer.error();
      const std::string said = strip_think(answer->text);
      assistant.messages.push_back({"assistant", said});
      if (auto end = concluded(said, marker_)) {
        conclusion = *end;
        ended = true;
        break;
      }
      conclusion = said;
      if (turn == max_turns_) break;
      instructor.messages.push_back(
          {"user", turn == 1 ? fmt::format("The task:\n{}\n\n{} answered:\n{}", phase, partner->name, said) : said});
      instructor.hints["turn"] = turn;
      Result<ChatResult> reply = co_await ask_text(ctx, instructor);
      if (!reply) co_return reply.error();
      const std::string instructed = strip_think(reply->text);
      instructor.messages.push_back({"assistant", instructed});
      assistant.messages.push_back({"user", instructed});
    }
    const int turns = std::min(turn, max_turns_);
    if (!ended)
      run.warn(ctx.role.name, fmt::format("{}: {} did not conclude with {} within max_turns {}; its last answer "
                                          "stands as the conclusion",
                                          ctx.spec.name, partner->name, marker_, max_turns_));
    ActionOutput out;
    out.content = conclusion;
    out.payload = {{"with", partner->name}, {"turns", turns}, {"concluded", ended}};
    co_return out;
  }

 private:
  std::string with_;
  int max_turns_;
  std::string marker_;
};

}  // namespace

ActionType chat_action_type() {
  return {{.name = "chat",
           .summary = "a two-agent chat phase: the role instructs, the role `with:` names answers, in turns, until "
                      "the answer starts with end_marker or max_turns",
           .needs_prompt = true,
           .param_keys = {"with", "max_turns", "end_marker"},
           .slots = {kChatSlot}},
          [](const ActionSpec& spec) { return std::make_unique<ChatAction>(spec); }};
}

}  // namespace agentco
