#include "actions/tool_loop.hpp"

#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "tools/tool_hub.hpp"

namespace agentco {
namespace {

using json = nlohmann::json;
using namespace boost::asio::experimental::awaitable_operators;

const TemplateSlot kToolLoopSlot{"prompt", "", "the task a role works on with its tools",
                                 {Input::kIdea, Input::kMessages}, true};

constexpr int kDefaultMaxSteps = 20;
constexpr const char* kDropped = "[this result was dropped to fit the model's context window; call the tool again if you need it]";

std::string heard(const std::vector<MessagePtr>& news) {
  std::string out;
  for (const auto& message : news) {
    if (message->cause_by == "UserRequirement") continue;  // shown as the idea
    out += fmt::format("{} ({}): {}\n", message->sent_from, message->cause_by, message->content);
  }
  return out.empty() ? std::string("(nothing yet)") : out;
}

// The conversation fitted to `limit` tokens: the oldest tool results (never those of the
// last step) are replaced by a short note until it fits. False when it cannot fit.
bool fit_conversation(ChatRequest& request, long limit, ActionContext& ctx, int step) {
  auto tokens = [&request] { return count_prompt_tokens(request, &prompt_tokens_estimate); };
  if (limit <= 0 || tokens() <= limit) return true;
  // The last assistant message with calls starts the newest step: keep what follows it.
  std::size_t newest = request.messages.size();
  for (std::size_t i = request.messages.size(); i-- > 0;)
    if (request.messages[i].role == "assistant" && !request.messages[i].tool_calls.empty()) {
      newest = i;
      break;
    }
  for (std::size_t i = 0; i < newest && tokens() > limit; ++i) {
    ChatMessage& message = request.messages[i];
    if (message.role != "tool" || message.content == kDropped) continue;
    ctx.run.trace.append("context_drop", {{"role", ctx.role.name},
                                          {"action", ctx.spec.name},
                                          {"step", step},
                                          {"dropped", "tool result " + message.tool_call_id},
                                          {"bytes", message.content.size()}});
    message.content = kDropped;
  }
  return tokens() <= limit;
}

// Returns once the run is asked to stop (Ctrl-C, the budget, a failure elsewhere). A tool's
// call races it, so that a command or server call in progress is stopped then (cancelling
// run_process_async kills the command), not when its own deadline comes.
boost::asio::awaitable<void> stop_requested(const StopState& stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop.requested()) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

class ToolLoopAction : public Action {
 public:
  explicit ToolLoopAction(const ActionSpec& spec)
      : max_steps_(positive_int_param(spec, "max_steps", kDefaultMaxSteps, 1000)),
        tool_choice_(spec.params.value("tool_choice", std::string())) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    RunContext& run = ctx.run;
    if (!run.tools) co_return make_error("internal", "the run has no tool hub");
    std::vector<std::string> entries = ctx.role.tools;
    if (!run.ask_human && std::erase(entries, "ask_human") > 0)
      spdlog::info("{}: ask_human is left out of its tools: nobody answers at the terminal (run --ask-human)",
                   ctx.role.name);
    Result<ToolBox> box = co_await run.tools->box_for(ctx.role.name, entries);
    if (!box) co_return box.error();

    PromptValues values(kToolLoopSlot);
    values.set(Input::kIdea, run.idea);
    values.set(Input::kMessages, heard(ctx.news));
    Result<ChatRequest> built = build_request(ctx, values, {{"kind", "tool_loop"}});
    if (!built) co_return built.error();
    ChatRequest request = std::move(*built);
    request.tools = box->specs();
    request.tool_choice = tool_choice_;
    std::vector<std::string> names;
    for (const auto& tool : request.tools) names.push_back(tool.name);
    request.hints["tools"] = names;
    request.hints["max_steps"] = max_steps_;
    const long window = run.context_windows.lookup(request.model).first;
    const long limit = window > 0 ? window - request.max_tokens : 0;

    ToolContext tools{run.workspace, ctx.role.name,
                      [&run, role = ctx.role.name](std::string_view path, std::string_view content) {
                        return run.write_file(role, path, content);
                      }};
    tools.run_deadline = std::chrono::milliseconds(static_cast<long long>(run.config.tools.run_timeout_s * 1000));
    tools.run_output_cap = static_cast<std::size_t>(run.config.tools.run_output_cap);
    if (run.ask_human) {
      // Through the gateway, so that the question and the answer are a traced call that a
      // replay answers from the trace (the person is llm/human_provider.hpp).
      tools.ask = [&ctx](std::string question) -> boost::asio::awaitable<Result<std::string>> {
        ChatRequest asked = make_request(ctx, std::move(question), {{"kind", "ask_human"}});
        Result<ChatResult> answer = co_await ask_text(ctx, std::move(asked));
        if (!answer) co_return answer.error();
        co_return answer->text;
      };
    }

    std::vector<std::string> written;
    int calls = 0;
    int errors = 0;
    std::string final_text;
    bool finished = false;
    int step = 1;
    for (; step <= max_steps_; ++step) {
      request.hints["step"] = step;
      if (!fit_conversation(request, limit, ctx, step))
        co_return make_error("context", fmt::format("{} of {}: the conversation no longer fits the context window of "
                                                    "{} ({} tokens) after {} steps, even without old tool results",
                                                    ctx.spec.name, ctx.role.name, request.model, window, step - 1));
      Result<ChatResult> reply = co_await ask_text(ctx, request);
      if (!reply) co_return reply.error();
      if (reply->tool_calls.empty()) {
        final_text = strip_think(reply->text);
        finished = true;
        break;
      }
      ChatMessage said{"assistant", reply->text, reply->tool_calls, ""};
      request.messages.push_back(said);
      for (const ToolCall& call : reply->tool_calls) {
        ++calls;
        spdlog::info("{} calls {} {}", ctx.role.name, call.name, cut_utf8(call.arguments, 160));
        std::variant<ToolResult, std::monostate> outcome =
            co_await (box->call(tools, call, &run.trace) || stop_requested(run.stop));
        if (outcome.index() == 1)
          co_return make_error("interrupted", fmt::format("{} of {}: {} was stopped: the run is stopping ({})",
                                                          ctx.spec.name, ctx.role.name, call.name, run.stop.detail));
        ToolResult result = std::move(std::get<0>(outcome));
        if (result.is_error) ++errors;
        std::string content = result.is_error ? "error: " + result.text : result.text;
        request.messages.push_back({"tool", std::move(content), {}, call.id});
        if (!result.written.empty()) {
          (void)run.commit(ctx.role.name + " (" + ctx.role.profile + ")", fmt::format("{}: {} {}", ctx.spec.name, call.name, fmt::join(result.written, ", ")),
                           result.written);
          for (const auto& path : result.written)
            if (std::find(written.begin(), written.end(), path) == written.end()) written.push_back(path);
        }
      }
    }
    const int steps = finished ? step : max_steps_;
    ActionOutput out;
    if (finished) {
      out.content = final_text.empty() ? fmt::format("Done after {} steps.", steps) : final_text;
    } else {
      run.warn(ctx.role.name, fmt::format("{}: stopped after max_steps {} model calls without a final answer "
                                          "({} tool calls; files written: {})",
                                          ctx.spec.name, max_steps_, calls,
                                          written.empty() ? std::string("none") : fmt::format("{}", fmt::join(written, ", "))));
      out.content = fmt::format("Stopped after {} steps without a final answer. Files written: {}.", max_steps_,
                                written.empty() ? std::string("none") : fmt::format("{}", fmt::join(written, ", ")));
    }
    out.payload = {{"steps", steps}, {"tool_calls", calls}, {"tool_errors", errors}, {"files", written},
                   {"finished", finished}};
    co_return out;
  }

 private:
  int max_steps_;
  std::string tool_choice_;
};

}  // namespace

ActionType tool_loop_action_type() {
  return {{.name = "tool_loop",
           .summary = "the role works with its SOP tools (think, call, observe) until it answers without a call or "
                      "has made max_steps model calls",
           .needs_prompt = true,
           .param_keys = {"max_steps", "tool_choice"},
           .slots = {kToolLoopSlot}},
          [](const ActionSpec& spec) { return std::make_unique<ToolLoopAction>(spec); }};
}

}  // namespace agentco
