#include "actions/chat_action.hpp"

#include <algorithm>
#include <map>

#include <fmt/ranges.h>

#include <fmt/format.h>

#include "actions/action_params.hpp"
#include "actions/ask.hpp"
#include "actions/project_facts.hpp"
#include "actions/prompt.hpp"
#include "actions/reply_files.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"
#include "sop/model_choice.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace {

const TemplateSlot kChatSlot{"prompt", "", "the phase prompt: the instructor's first message",
                             {Input::kIdea, Input::kMessages, Input::kCodeListing}, true};

constexpr int kDefaultTurns = 3;
constexpr const char* kDefaultMarker = "<INFO>";

// What a phase is shown of the messages that started it, each under the name of whoever said
// it: a chat phase's conclusion is its answering role's words, though its leading role
// published it.
std::string heard(const std::vector<MessagePtr>& news) {
  std::string out;
  for (const auto& m : news) {
    const bool chat = m->payload.is_object() && m->payload.contains("with") && m->payload.contains("concluded") &&
                      m->payload["with"].is_string();
    out += (chat ? m->payload["with"].get<std::string>() : m->sent_from) + ": " + m->content + "\n";
  }
  return out;
}

// The text after the marker when the reply starts with it (after blanks), else nullopt.
std::optional<std::string> concluded(const std::string& reply, const std::string& marker) {
  const std::string_view text = trim_view(reply);
  if (!text.starts_with(marker)) return std::nullopt;
  return std::string(trim_view(text.substr(marker.size())));
}

// A file that still holds a placeholder: TODO, NotImplementedError, or a line that is only
// `pass` or `...` (ChatDev's completion phase looks for the same).
bool incomplete(const std::string& code) {
  if (code.find("TODO") != std::string::npos || code.find("NotImplementedError") != std::string::npos) return true;
  for (const auto& line : split_lines(code)) {
    const auto t = trim_view(line);
    if (t == "pass" || t == "...") return true;
  }
  return false;
}

// The files the assistant's answers give (a later answer's version wins), written into the
// project and committed as the assistant's; their paths and the incomplete ones go into the
// payload, for a fan-out over them.
void write_files(ActionContext& ctx, const std::string& author, const std::vector<ChatMessage>& said,
                 nlohmann::json& payload) {
  std::map<std::string, std::string> files;
  for (const auto& m : said)
    if (m.role == "assistant")
      for (auto& [path, code] : files_in_reply(m.content, true)) files[path] = code + "\n";
  std::vector<std::string> written, unfinished;
  for (const auto& [path, code] : files) {
    auto w = ctx.run.write_file(author, path, code);
    if (!w) continue;  // refused (outside the project): traced and warned by write_file
    written.push_back(w->path);
    if (!w->path.starts_with("tests/") && (w->path.ends_with(".py") || w->path.ends_with(".js") ||
                                           w->path.ends_with(".cpp") || w->path.ends_with(".hpp")))
      ctx.run.project.sources[w->path] = code;
    if (incomplete(code)) unfinished.push_back(w->path);
  }
  if (!written.empty()) (void)ctx.run.commit(author, fmt::format("{}: {}", ctx.spec.name, fmt::join(written, ", ")), written);
  else ctx.run.warn(ctx.role.name, ctx.spec.name + ": the answers named no file in a fenced block; nothing was written");
  payload["files"] = written;
  payload["incomplete"] = unfinished;
}

class ChatAction : public Action {
 public:
  explicit ChatAction(const ActionSpec& spec)
      : with_(spec.params.value("with", std::string())),
        max_turns_(positive_int_param(spec, "max_turns", kDefaultTurns, 50)),
        marker_(spec.params.value("end_marker", std::string(kDefaultMarker))),
        writes_files_(yes_param(spec, "writes_files")),
        review_(yes_param(spec, "review")) {}

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
    std::vector<std::pair<std::string, std::string>> code(run.project.sources.begin(), run.project.sources.end());
    values.set_sizes(Input::kCodeListing, files_in_sizes(code, "(no source file has been written yet)"));
    nlohmann::json hints = {{"kind", "chat"}};
    if (writes_files_) hints["writes_files"] = true;
    Result<ChatRequest> built = build_request(ctx, values, std::move(hints));
    if (!built) co_return built.error();
    const std::string phase = built->messages.back().content;
    std::string marker_rule = fmt::format(
        "\nYou are in a discussion with {} ({}), who leads it. When the discussion has reached its conclusion, "
        "start your reply with {} followed by the conclusion alone, as it should be kept.",
        ctx.role.name, ctx.role.profile, marker_);
    if (writes_files_)
      marker_rule += " Give every file you write whole, as its name on a line of its own followed by its code in "
                     "a fenced block:\nmain.py\n```python\n...\n```";

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
    if (!ended && max_turns_ > 1)  // a one-answer phase (ChatDev's coding) has no conclusion marker to wait for
      run.warn(ctx.role.name, fmt::format("{}: {} did not conclude with {} within max_turns {}; its last answer "
                                          "stands as the conclusion",
                                          ctx.spec.name, partner->name, marker_, max_turns_));
    ActionOutput out;
    out.content = conclusion;
    out.payload = {{"with", partner->name}, {"turns", turns}, {"concluded", ended}};
    if (writes_files_) write_files(ctx, partner->name, assistant.messages, out.payload);
    // `document: NAME` keeps the conclusion as a document later templates show as {{NAME}}
    // (ChatDev keeps the modality and the language so).
    if (!ctx.spec.writes.empty()) run.documents[ctx.spec.writes] = conclusion;
    // `review: yes`: the phase is a code review, recorded as one (stats counts the rounds, as
    // for QA's reviews and ChatDev's): LGTM when the reviewer concluded "Finished".
    if (review_) {
      const bool finished = ended && to_lower(conclusion).starts_with("finished");
      run.trace.append("review", {{"role", partner->name}, {"file", "*"}, {"round", ++rounds_},
                                  {"verdict", finished ? "LGTM" : "LBTM"}, {"comment", conclusion}});
      ++run.project.review_rounds;
    }
    co_return out;
  }

 private:
  std::string with_;
  int max_turns_;
  std::string marker_;
  bool writes_files_;
  bool review_;
  int rounds_ = 0;
};

}  // namespace

ActionType chat_action_type() {
  return {{.name = "chat",
           .summary = "a two-agent chat phase: the role instructs, the role `with:` names answers, in turns, until "
                      "the answer starts with end_marker or max_turns",
           .needs_prompt = true,
           .param_keys = {"with", "max_turns", "end_marker", "writes_files", "document", "review"},
           .required_keys = {"with"},
           .role_keys = {"with"},
           .answerer_key = "with",
           .slots = {kChatSlot}},
          [](const ActionSpec& spec) { return std::make_unique<ChatAction>(spec); }};
}

}  // namespace agentco
