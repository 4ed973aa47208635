#include "actions/speak_action.hpp"

#include <fmt/format.h>

#include "actions/ask.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

class SpeakAction : public Action {
 public:
  explicit SpeakAction(const ActionSpec& spec)
      : max_context_(spec.params.contains("max_context") ? std::stoul(spec.params["max_context"].get<std::string>()) : 8) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    std::string messages;
    std::size_t from = ctx.news.size() > max_context_ ? ctx.news.size() - max_context_ : 0;
    for (std::size_t i = from; i < ctx.news.size(); ++i) {
      messages += ctx.news[i]->sent_from;
      messages += ": ";
      messages += ctx.news[i]->content;
      messages += '\n';
    }
    TemplateVars vars{{"messages", std::move(messages)}, {"topic", ctx.role.publish_topic}};
    auto prompt = render_action_prompt(ctx, vars);
    if (!prompt) co_return prompt.error();
    nlohmann::json hints = {{"kind", "speak"}};
    ChatRequest request = make_request(ctx, std::move(*prompt), std::move(hints));
    Result<ChatResult> reply = co_await ask_text(ctx, std::move(request));
    if (!reply) co_return reply.error();
    ActionOutput out;
    out.content = strip_think(reply->text);
    co_return out;
  }

 private:
  std::size_t max_context_;
};

}  // namespace

std::unique_ptr<Action> make_speak_action(const ActionSpec& spec) { return std::make_unique<SpeakAction>(spec); }

}  // namespace agentco
