// From typed inputs to the request a model is sent.
//
// An action fills a PromptValues for one slot of its type (sop/action_catalog.hpp): only the
// inputs that slot declares can be set, so the template variables come from the declaration
// and nothing else. Some inputs come in several sizes, richest first (a dependency's full code,
// then its interface, then its name); the documents the action reads come whole or brief
// (the fields their SOP action lists under `brief:`).
//
// build_request() renders the template the SOP names for the slot and assembles the request
// to fit the model's context window (llm/context_window.hpp), leaving room for the reply
// (max_tokens, at most a quarter of the window). While it does not fit, inputs are made
// leaner in this order, each step that leaves something out a `context_drop` trace record
// (a step whose input the template does not use, or whose leaner size shows the same, is
// passed over):
//   1. the design of a file's prompt: whole -> as it concerns the file (design_excerpt.hpp)
//   2. dependencies: full code -> interfaces      3. the code listing: full code -> interfaces
//   4. the documents read: whole -> brief         5. dependencies: interfaces -> names
//   6. test output: every failure -> the first    7. the code listing: interfaces -> names
// A prompt that still does not fit is an error ("context") naming the role, action, file,
// the estimate and the window, never a silent cut. The request asks for at most what the
// window leaves the reply (max_tokens, and max_tokens_limit for a re-ask after a cut-off). No unfilled {{variable}} ever leaves: a
// variable without a value is a broken invariant, reported as an error naming the template.
//
// The request keeps a stable prefix for providers' prompt caching: the role's system prompt,
// then the template's own text in order; templates put the documents first and the
// file-specific part last.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "actions/action.hpp"
#include "llm/provider.hpp"
#include "sop/action_catalog.hpp"

namespace agentco {

// One size of an input's value: its text and what it is ("full code", "interfaces").
struct SizedText {
  std::string label;
  std::string text;
};

class PromptValues {
 public:
  explicit PromptValues(const TemplateSlot& slot) : slot_(&slot) {}

  // The value of a declared input. Setting an input the slot does not declare is a bug in the
  // action (std::logic_error), caught by the tests of every action type.
  PromptValues& set(Input input, std::string value);
  // Sizes from richest to leanest.
  PromptValues& set_sizes(Input input, std::vector<SizedText> sizes);

  const TemplateSlot& slot() const { return *slot_; }
  const std::vector<SizedText>* find(Input input) const;

 private:
  const TemplateSlot* slot_;
  std::map<Input, std::vector<SizedText>> values_;
};

// The documents of a run as models are shown them: one "#### Field" section per field in
// the schema's order, lists as "- " lines, rows as "- a: b", diagrams in ```mermaid fences,
// empty fields left out. `brief` keeps only the named fields (all when empty).
std::string document_prompt_text(const nlohmann::json& document, const std::vector<std::string>& field_order,
                                 const std::vector<std::string>& brief = {});

// Rough but safe token count of prompt text (bytes/3: code and non-English text run
// denser than the usual 4 bytes a token).
long prompt_tokens_estimate(std::string_view text);

// The request for this slot: system prompt, rendered and fitted user prompt, the call's model
// and sampling settings, hints {role, action, ...extra}. Errors: "sop" (no template),
// "context" (does not fit), "internal" (an input the template uses has no value).
Result<ChatRequest> build_request(ActionContext& ctx, const PromptValues& values, nlohmann::json hints);

}  // namespace agentco
