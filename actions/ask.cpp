#include "actions/ask.hpp"

#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "actions/run_context.hpp"
#include "llm/gateway.hpp"
#include "sop/model_choice.hpp"

namespace agentco {

std::string system_prompt(const RoleSpec& role) {
  // "an Architect", "a Product Manager": the article follows the profile's first letter.
  const bool vowel = !role.profile.empty() && std::string_view("AEIOUaeiou").find(role.profile.front()) != std::string_view::npos;
  std::string text = fmt::format("You are {}, {} {}.", role.name, vowel ? "an" : "a", role.profile);
  if (!role.goal.empty()) text += " Your goal is: " + role.goal;
  if (!role.constraints.empty()) text += "\nConstraints: " + role.constraints;
  return text;
}

ChatRequest make_request(const ActionContext& ctx, std::string user_prompt, nlohmann::json hints) {
  ChatRequest request;
  // The config's llm.models, else the SOP's action and role models, else the run's.
  request.model = model_for(ctx.run.config.llm, ctx.role, ctx.spec);
  request.temperature = ctx.run.config.llm.temperature;
  request.max_tokens = ctx.run.config.llm.max_tokens;
  request.stream = ctx.run.config.llm.stream;
  request.messages.push_back({"system", system_prompt(ctx.role)});
  request.messages.push_back({"user", std::move(user_prompt)});
  if (!hints.is_object()) hints = nlohmann::json::object();
  hints["role"] = ctx.role.name;
  hints["profile"] = ctx.role.profile;
  hints["action"] = ctx.spec.name;
  hints["idea"] = ctx.run.idea;
  request.hints = std::move(hints);
  return request;
}

boost::asio::awaitable<Result<ChatResult>> ask_text(ActionContext& ctx, ChatRequest request) {
  CallSite site{ctx.role.name, ctx.spec.name};
  co_return co_await ctx.run.llm.chat(std::move(request), std::move(site));
}

boost::asio::awaitable<Result<StructuredReply>> ask_structured(ActionContext& ctx,
                                                               ChatRequest request,
                                                               const OutputSchema& schema) {
  const int attempts = 1 + std::max(0, ctx.run.config.llm.repair_attempts);
  request.hints["schema"] = schema_hint(schema);
  std::string last_problem;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    request.hints["attempt"] = attempt;
    Result<ChatResult> reply = co_await ask_text(ctx, request);
    if (!reply) co_return reply.error();
    auto parsed = extract_structured(reply->text, schema);
    if (parsed) {
      if (!parsed->repairs.empty()) {
        ctx.run.trace.append("repair", {{"role", ctx.role.name},
                                        {"action", ctx.spec.name},
                                        {"repairs", parsed->repairs}});
      }
      co_return parsed;
    }
    last_problem = parsed.error().message;
    ctx.run.trace.append("parse_error", {{"role", ctx.role.name},
                                         {"action", ctx.spec.name},
                                         {"attempt", attempt},
                                         {"error", last_problem}});
    spdlog::warn("{} {}: reply {} of {} unusable: {}", ctx.role.name, ctx.spec.name, attempt,
                 attempts, last_problem);
    request.messages.push_back({"assistant", reply->text});
    request.messages.push_back(
        {"user", "Your reply could not be used: " + last_problem +
                     "\nReply again with the complete JSON object between [CONTENT] and "
                     "[/CONTENT], fixing exactly these problems."});
  }
  co_return make_error("parse", fmt::format("{} of {}: the model's reply could not be used after {} "
                                            "tries; last problem: {}",
                                            ctx.spec.name, ctx.role.name, attempts, last_problem));
}

nlohmann::json schema_hint(const OutputSchema& schema) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : schema.fields) fields.push_back({{"name", f.name}, {"type", f.type}});
  return fields;
}

}  // namespace agentco
