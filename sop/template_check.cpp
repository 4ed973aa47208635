#include "sop/template_check.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/text.hpp"
#include "sop/action_catalog.hpp"
#include "sop/prompt_library.hpp"
#include "sop/sop.hpp"

namespace agentco {
namespace {

// "built-in actions/prompts/x.txt" -> "actions/prompts/x.txt": a file:line a reader can open.
std::string template_file(const PromptLibrary& prompts, const std::string& name) {
  std::string origin = prompts.origin(name);
  constexpr std::string_view kBuiltIn = "built-in ";
  if (origin.starts_with(kBuiltIn)) origin.erase(0, kBuiltIn.size());
  return origin;
}

std::string slot_words(const ActionSpec& action, const TemplateSlot& slot) {
  std::string words = fmt::format("action {}'s {}", action.name, slot.key == "prompt" ? "prompt" : slot.key);
  if (!slot.purpose.empty()) words += " (" + slot.purpose + ")";
  return words;
}

}  // namespace

std::vector<std::string> check_templates(const Sop& sop, const ActionCatalog& catalog, const PromptLibrary& prompts) {
  std::vector<std::string> problems;
  const auto written = sop.documents();
  // Every name a template could mean: typed inputs and the SOP's documents.
  std::vector<std::string> vocabulary;
  for (const auto& info : known_inputs()) vocabulary.emplace_back(info.name);
  for (const auto& [document, writer] : written) vocabulary.push_back(document);

  // Two actions writing one document would make {{document}} ambiguous.
  std::map<std::string, const ActionSpec*> first_writer;
  for (const auto& [name, action] : sop.actions) {
    if (action.writes.empty()) continue;
    auto [it, fresh] = first_writer.emplace(action.writes, &action);
    if (!fresh) {
      problems.push_back(fmt::format("{}:{}: document '{}' is provided twice: by action {} (line {}) and by action {}; "
                                     "give one of them another `document:` name",
                                     sop.source, action.line, action.writes, it->second->name, it->second->line,
                                     action.name));
    }
  }

  for (const auto& [name, action] : sop.actions) {
    const ActionTypeInfo* type = catalog.find_type(action.type);
    if (!type) continue;  // reported by the loader
    std::set<std::string> reads;
    for (const auto& document : action.reads) {
      if (!written.count(document)) {
        std::vector<std::string> documents;
        for (const auto& [d, _] : written) documents.push_back(d);
        std::string hint = closest_name(document, documents);
        problems.push_back(fmt::format("{}:{}: action {} reads '{}', which no action of this SOP writes{} (documents: {})",
                                       sop.source, action.line, action.name, document,
                                       hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint),
                                       documents.empty() ? "none" : fmt::format("{}", fmt::join(documents, ", "))));
      } else if (!reads.insert(document).second && action.reads_given) {
        problems.push_back(fmt::format("{}:{}: action {} lists '{}' twice under reads:", sop.source, action.line,
                                       action.name, document));
      }
    }
    for (const auto& slot : type->slots) {
      auto chosen = action.templates.find(slot.key);
      if (chosen == action.templates.end()) continue;  // no template: the loader said so if one is needed
      const std::string& template_name = chosen->second;
      std::optional<std::string> text = prompts.find(template_name);
      if (!text) continue;  // reported by the loader
      // A document named like one of the slot's own inputs: which one would {{name}} be?
      std::set<std::string> typed;
      for (Input input : slot.inputs) typed.emplace(input_name(input));
      std::set<std::string> available = typed;
      if (slot.documents) {
        for (const auto& document : reads) {
          if (typed.count(document)) {
            const ActionSpec* writer = written.at(document);
            problems.push_back(fmt::format(
                "{}:{}: {}: input '{}' is provided twice: by the {} type ({}) and by the document '{}' that action "
                "{} writes (line {}); rename that document (its `document:` key) or leave it out of `reads:`",
                sop.source, action.line, slot_words(action, slot), document, action.type,
                [&] {
                  auto input = input_named(document);
                  for (const auto& info : known_inputs()) {
                    if (input && info.input == *input) return std::string(info.meaning);
                  }
                  return std::string();
                }(),
                document, writer->name, writer->line));
            continue;
          }
          available.insert(document);
        }
      }
      const std::string file = template_file(prompts, template_name);
      std::set<std::string> reported;
      for (const auto& variable : template_variables(*text)) {
        if (available.count(variable.name) || !reported.insert(variable.name).second) continue;
        const bool known = input_named(variable.name).has_value() || written.count(variable.name) > 0;
        std::vector<std::string> given(available.begin(), available.end());
        if (known) {
          std::string how = written.count(variable.name)
                                ? fmt::format("; it is a document: add it to the action's `reads:` in {}:{}",
                                              sop.source, action.line)
                                : "";
          problems.push_back(fmt::format("{}:{}: {{{{{}}}}} is not provided to template '{}', used as {}; it is "
                                         "given: {}{}",
                                         file, variable.line, variable.name, template_name, slot_words(action, slot),
                                         fmt::join(given, ", "), how));
        } else {
          std::string hint = closest_name(variable.name, vocabulary);
          problems.push_back(fmt::format("{}:{}: unknown variable {{{{{}}}}} in template '{}' (used as {}){}; it is "
                                         "given: {}",
                                         file, variable.line, variable.name, template_name, slot_words(action, slot),
                                         hint.empty() ? "" : fmt::format("; did you mean {{{{{}}}}}?", hint),
                                         fmt::join(given, ", ")));
        }
      }
    }
  }
  return problems;
}

}  // namespace agentco
