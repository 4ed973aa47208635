// Checks every prompt template a SOP uses against what fills it, before any model call:
// each {{variable}} must be an input the action's type provides to that template (its
// slot, sop/action_catalog.hpp) or a document the action reads; a name the vocabulary does
// not know is reported as unknown (with the nearest known name); a name that two providers
// would fill (a document named like a typed input, a document listed twice) is reported
// as provided twice. Each message names the template's file and line, or the SOP's.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace agentco {

class ActionCatalog;
class PromptLibrary;
struct Sop;

// Every problem of every action's templates, as "file:line: message".
std::vector<std::string> check_templates(const Sop& sop, const ActionCatalog& catalog, const PromptLibrary& prompts);

}  // namespace agentco
