#include "actions/prompt.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actions/ask.hpp"
#include "actions/run_context.hpp"
#include "core/text.hpp"
#include "sop/model_choice.hpp"
#include "sop/prompt_library.hpp"

namespace agentco {
namespace {

bool is_mermaid(const std::string& text) {
  std::string_view body = trim_view(text);
  for (std::string_view kind : {"classDiagram", "sequenceDiagram", "quadrantChart", "flowchart", "graph ", "graph\n",
                                "erDiagram", "stateDiagram", "gantt", "pie", "journey", "mindmap"}) {
    if (body.starts_with(kind)) return true;
  }
  return false;
}

std::string cell(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void render_field(std::string& out, const nlohmann::json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (is_mermaid(text)) {
      out += "```mermaid\n" + std::string(trim_view(text)) + "\n```\n";
    } else {
      out += std::string(trim_view(text)) + "\n";
    }
    return;
  }
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_array()) {
        std::string row;
        for (std::size_t i = 0; i < item.size(); ++i) row += (i == 0 ? "" : i == 1 ? ": " : "; ") + cell(item[i]);
        out += "- " + row + "\n";
      } else {
        out += "- " + cell(item) + "\n";
      }
    }
    return;
  }
  out += value.dump(2) + "\n";
}

bool empty_value(const nlohmann::json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return trim_view(v.get_ref<const std::string&>()).empty();
  if (v.is_array() || v.is_object()) return v.empty();
  return false;
}

// The slot's inputs in the order their sizes are given up (see the header).
enum class Step { kFileDesignToExcerpt, kDependenciesToInterfaces, kListingToInterfaces, kDocumentsBrief,
                  kDependenciesToNames, kTestOutputShorter, kListingToNames };

struct Fit {
  std::map<Input, std::size_t> level;  // index into the input's sizes
  bool brief = false;                   // documents shown brief
};

}  // namespace

PromptValues& PromptValues::set(Input input, std::string value) {
  return set_sizes(input, {SizedText{"", std::move(value)}});
}

PromptValues& PromptValues::set_sizes(Input input, std::vector<SizedText> sizes) {
  if (std::find(slot_->inputs.begin(), slot_->inputs.end(), input) == slot_->inputs.end()) {
    throw std::logic_error(fmt::format("input '{}' is not declared for the '{}' slot", input_name(input), slot_->key));
  }
  if (sizes.empty()) sizes.push_back({"", ""});
  values_[input] = std::move(sizes);
  return *this;
}

const std::vector<SizedText>* PromptValues::find(Input input) const {
  auto it = values_.find(input);
  return it == values_.end() ? nullptr : &it->second;
}

std::string document_prompt_text(const nlohmann::json& document, const std::vector<std::string>& field_order,
                                 const std::vector<std::string>& brief) {
  if (!document.is_object()) return document.is_string() ? document.get<std::string>() : document.dump(2);
  std::string out;
  std::set<std::string> done;
  auto section = [&](const std::string& key) {
    if (!document.contains(key) || !done.insert(key).second) return;
    if (!brief.empty() && std::find(brief.begin(), brief.end(), key) == brief.end()) return;
    if (empty_value(document.at(key))) return;
    out += "#### " + key + "\n";
    render_field(out, document.at(key));
  };
  for (const auto& key : field_order) section(key);
  for (const auto& [key, _] : document.items()) section(key);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

long prompt_tokens_estimate(std::string_view text) { return static_cast<long>((text.size() + 2) / 3); }

Result<ChatRequest> build_request(ActionContext& ctx, const PromptValues& values, nlohmann::json hints) {
  const TemplateSlot& slot = values.slot();
  auto chosen = ctx.spec.templates.find(slot.key);
  if (chosen == ctx.spec.templates.end()) {
    return make_error("sop", fmt::format("action {}: no template for its {}", ctx.spec.name, slot.key));
  }
  const std::string& template_name = chosen->second;
  std::optional<std::string> text = ctx.run.prompts.find(template_name);
  if (!text) return make_error("sop", fmt::format("action {}: prompt template '{}' not found", ctx.spec.name, template_name));

  std::set<std::string> used;
  for (const auto& v : template_variables(*text)) used.insert(v.name);
  auto uses = [&](Input input) { return used.count(std::string(input_name(input))) > 0; };
  std::vector<std::string> documents_used;
  if (slot.documents) {
    for (const auto& d : ctx.spec.reads) {
      if (used.count(d)) documents_used.push_back(d);
    }
  }

  Fit fit;
  std::string missing;
  auto render = [&]() {
    std::map<std::string, std::string> filled;
    for (const auto& name : used) {
      if (auto input = input_named(name);
          input && std::find(slot.inputs.begin(), slot.inputs.end(), *input) != slot.inputs.end()) {
        const std::vector<SizedText>* sizes = values.find(*input);
        if (!sizes) {
          if (missing.empty()) missing = name;
          continue;
        }
        std::size_t level = std::min(fit.level[*input], sizes->size() - 1);
        filled[name] = (*sizes)[level].text;
      } else if (std::find(documents_used.begin(), documents_used.end(), name) != documents_used.end()) {
        auto doc = ctx.run.documents.find(name);
        if (doc == ctx.run.documents.end()) {
          filled[name] = "(not written yet)";
          continue;
        }
        const DocumentLayout* layout = nullptr;
        if (auto it = ctx.run.document_layouts.find(name); it != ctx.run.document_layouts.end()) layout = &it->second;
        static const std::vector<std::string> kNone;
        filled[name] = document_prompt_text(doc->second, layout ? layout->fields : kNone,
                                            fit.brief && layout ? layout->brief : kNone);
      } else if (missing.empty()) {
        missing = name;
      }
    }
    return fill_template(*text, [&](std::string_view name) -> const std::string* {
      auto it = filled.find(std::string(name));
      return it == filled.end() ? nullptr : &it->second;
    });
  };

  ChatRequest request;
  request.model = model_for(ctx.run.config.llm, ctx.role, ctx.spec);
  request.temperature = ctx.run.config.llm.temperature;
  request.max_tokens = ctx.run.config.llm.max_tokens;
  request.stream = ctx.run.config.llm.stream;
  const std::string system = system_prompt(ctx.role);
  std::string user = render();
  if (!missing.empty()) {
    return make_error("internal", fmt::format("action {} gave no value for {{{{{}}}}}, which template '{}' uses",
                                              ctx.spec.name, missing, template_name));
  }

  auto [window, source] = ctx.run.context_windows.lookup(request.model);
  if (ctx.run.context_windows_said.insert(request.model).second) {
    ctx.run.trace.append("context_window", {{"model", request.model}, {"tokens", window}, {"source", source}});
    if (window == 0) {
      spdlog::info("the context window of model '{}' is not known: prompts are sent whole (set llm.context_window "
                   "to have them fitted)",
                   request.model);
    }
  }
  auto estimate = [&] { return prompt_tokens_estimate(system) + prompt_tokens_estimate(user) + 8; };
  if (window > 0) {
    const long reply_room = std::min<long>(request.max_tokens, window / 4);
    const long room = window - reply_room;
    const std::vector<std::pair<Step, std::string>> steps = {
        {Step::kFileDesignToExcerpt, "design: whole -> as it concerns the file"},
        {Step::kDependenciesToInterfaces, "dependencies: full code -> interfaces"},
        {Step::kListingToInterfaces, "code listing: full code -> interfaces"},
        {Step::kDocumentsBrief, "documents: whole -> brief"},
        {Step::kDependenciesToNames, "dependencies: interfaces -> names"},
        {Step::kTestOutputShorter, "test output: every failure -> the first"},
        {Step::kListingToNames, "code listing: interfaces -> names"},
    };
    // A step applies when the template uses that input and it has a leaner size.
    auto step_down = [&](Input input, std::size_t to) {
      const std::vector<SizedText>* sizes = values.find(input);
      if (!uses(input) || !sizes || sizes->size() <= to || fit.level[input] >= to) return false;
      fit.level[input] = to;
      return true;
    };
    std::size_t next = 0;
    long tokens = estimate();
    while (tokens > room) {
      bool applied = false;
      std::string what;
      for (; next < steps.size() && !applied; ++next) {
        switch (steps[next].first) {
          case Step::kFileDesignToExcerpt: applied = step_down(Input::kFileDesign, 1); break;
          case Step::kDependenciesToInterfaces: applied = step_down(Input::kDependencies, 1); break;
          case Step::kListingToInterfaces: applied = step_down(Input::kCodeListing, 1); break;
          case Step::kDocumentsBrief:
            applied = !fit.brief && !documents_used.empty();
            fit.brief = true;
            break;
          case Step::kDependenciesToNames: applied = step_down(Input::kDependencies, 2); break;
          case Step::kTestOutputShorter: applied = step_down(Input::kTestOutput, 1); break;
          case Step::kListingToNames: applied = step_down(Input::kCodeListing, 2); break;
        }
        if (applied) what = steps[next].second;
      }
      if (!applied) {
        return make_error(
            "context",
            fmt::format("{} {}{}: the prompt needs about {} tokens, but model '{}' has a context window of {} tokens "
                        "({}) and {} are kept for the reply; nothing more can be left out. Use a model with a larger "
                        "window, lower llm.max_tokens, or set llm.context_window if the server allows more",
                        ctx.role.name, ctx.spec.name,
                        hints.contains("file") ? " for " + hints["file"].get<std::string>() : std::string(), tokens,
                        request.model, window, source, reply_room));
      }
      user = render();
      const long after = estimate();
      // A leaner size that shows the same (one failure only, documents without a brief) left
      // nothing out: not a drop.
      if (after >= tokens) continue;
      nlohmann::json record = {{"role", ctx.role.name}, {"action", ctx.spec.name}, {"template", template_name},
                               {"dropped", what},       {"tokens_before", tokens}, {"tokens_after", after},
                               {"window", window}};
      if (hints.contains("file")) record["file"] = hints["file"];
      ctx.run.trace.append("context_drop", std::move(record));
      tokens = after;
    }
    // A server refuses prompt + max_tokens beyond the window: ask for no more than is left,
    // now and when a cut-off reply is asked for again.
    request.max_tokens = static_cast<int>(std::max<long>(reply_room, std::min<long>(request.max_tokens, window - tokens)));
    request.max_tokens_limit = static_cast<int>(std::min<long>(window - tokens, std::numeric_limits<int>::max()));
  }

  request.messages.push_back({"system", system});
  request.messages.push_back({"user", std::move(user)});
  if (!hints.is_object()) hints = nlohmann::json::object();
  hints["role"] = ctx.role.name;
  hints["profile"] = ctx.role.profile;
  hints["action"] = ctx.spec.name;
  hints["idea"] = ctx.run.idea;
  hints["template"] = template_name;
  request.hints = std::move(hints);
  return request;
}

}  // namespace agentco
