// What a SOP may say about action types: their names, their own SOP keys, and the prompt
// templates each fills with which inputs. Data only: the behaviour (actions/registry.cpp)
// registers one ActionTypeInfo per type, and the SOP loader checks a SOP against them.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "sop/prompt_inputs.hpp"

namespace agentco {

// One prompt template an action type fills. `key` is the SOP key that names the template:
// "prompt" for the main one, or one of the type's own keys such as "review_prompt".
struct TemplateSlot {
  std::string key;
  std::string default_template;  // used when the SOP does not name one; "" = the SOP must
  std::string purpose;           // e.g. "the review of one file", for messages
  std::vector<Input> inputs;     // what the type provides to this template
  bool documents = true;         // the documents the action reads ({{prd}}, ...) are available too
};

struct ActionTypeInfo {
  std::string name;
  std::string summary;
  bool needs_prompt = true;           // SOP must give `prompt:`
  bool needs_schema = false;          // SOP must give `schema:`
  std::set<std::string> param_keys;   // the type's own SOP keys
  std::set<std::string> required_keys;  // those of them the SOP must give (e.g. chat's `with`)
  std::set<std::string> role_keys;      // those of them that name a role of the SOP (`with`, `fixer`)
  // The role key whose role speaks in this action (a chat's `with`): that role needs no
  // actions of its own. "" = none.
  std::string answerer_key;
  bool writes_document = false;       // writes the document its `document:` key names (default: the action's name)
  std::vector<TemplateSlot> slots;    // every template it fills

  const TemplateSlot* slot(const std::string& key) const {
    for (const auto& s : slots) {
      if (s.key == key) return &s;
    }
    return nullptr;
  }
};

// The action types a SOP may name (implemented by actions/ActionRegistry).
class ActionCatalog {
 public:
  virtual ~ActionCatalog() = default;
  virtual const ActionTypeInfo* find_type(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
};

}  // namespace agentco
