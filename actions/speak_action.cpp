#include "actions/speak_action.hpp"


#include <fmt/format.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/prompt.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const TemplateSlot kSpeakSlot{"prompt", "", "one thing a simulated agent says", {Input::kMessages, Input::kTopic}, false};

class SpeakAction : public Action {
 public:
  explicit SpeakAction(const ActionSpec& spec) : max_context_(static_cast<std::size_t>(positive_int_param(spec, "max_context", 8, 1000000))) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    std::string messages;
    std::size_t from = ctx.news.size() > max_context_ ? ctx.news.size() - max_context_ : 0;
    for (std::size_t i = from; i < ctx.news.size(); ++i) {
      messages += ctx.news[i]->sent_from;
      messages += ": ";
      messages += ctx.news[i]->content;
      messages += '\n';
    }
    PromptValues values(kSpeakSlot);
    values.set(Input::kMessages, std::move(messages));
    values.set(Input::kTopic, ctx.role.publish_topic);
    Result<ChatRequest> request = build_request(ctx, values, {{"kind", "speak"}});
    if (!request) co_return request.error();
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(*request));
    if (!reply) co_return reply.error();
    ActionOutput out;
    out.content = strip_think(reply->text);
    co_return out;
  }

 private:
  std::size_t max_context_;
};

}  // namespace

ActionType speak_action_type() {
  return {{.name = "speak",
           .summary = "one plain model call on the turn's messages, published to the role's topic (simulations)",
           .needs_prompt = true,
           .param_keys = {"max_context"},
           .slots = {kSpeakSlot}},
          [](const ActionSpec& spec) { return std::make_unique<SpeakAction>(spec); }};
}

}  // namespace agentco
