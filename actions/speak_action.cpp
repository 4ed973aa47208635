#include "actions/speak_action.hpp"

#include <charconv>

#include <fmt/format.h>

#include "actions/ask.hpp"
#include "actions/prompt.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

const TemplateSlot kSpeakSlot{"prompt", "", "one thing a simulated agent says", {Input::kMessages, Input::kTopic}, false};

// The SOP's max_context (messages shown), 8 when absent or not a whole number.
std::size_t max_context_of(const ActionSpec& spec) {
  std::size_t value = 8;
  if (spec.params.contains("max_context") && spec.params["max_context"].is_string()) {
    const std::string& text = spec.params["max_context"].get_ref<const std::string&>();
    std::size_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && parsed > 0) value = parsed;
  }
  return value;
}

class SpeakAction : public Action {
 public:
  explicit SpeakAction(const ActionSpec& spec) : max_context_(max_context_of(spec)) {}

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
