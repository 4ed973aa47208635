// The vocabulary of prompt inputs: every {{name}} a prompt template may use, each with what
// it holds. An action type declares, per template it fills (a "slot"), which of these it
// provides; the documents a SOP writes (prd, system_design, tasks, ...) are inputs too, read
// by the actions that list them under `reads:`. Templates are checked against these
// declarations when a SOP loads (sop/template_check.hpp), so a missing, unknown or
// doubly-provided variable is an error before any model call, not a wrong prompt later.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentco {

enum class Input {
  kIdea,             // the user's requirement, as typed
  kFormat,           // what a structured reply must hold, with a concrete example
  kLanguage,         // the project's programming language
  kFile,             // the path of the source file this step is about
  kCode,             // that file's current text, as last written
  kTask,             // that file's row of the task list (what it holds, what it imports)
  kFileDesign,       // the design as it concerns that file: its classes, those they relate to
  kDependencies,     // the files it imports: their full code when it fits, else their interfaces
  kSharedKnowledge,  // conventions the task list says several files share
  kPackages,         // the third-party packages the project may use
  kRunInstructions,  // how QA will run the code (offline, commands, what is installed)
  kStaticCheck,      // what the syntax and import checks found in the file
  kFeedback,         // what must change (review findings, a summary TODO, QA's reason)
  kCodeListing,      // every source file of the project (whole, or interfaces when long)
  kTestFile,         // the path of a test file
  kTestCode,         // that test file's current text
  kTestOutput,       // what running the tests and the program printed (failures first)
  kSourceFiles,      // the names of the project's source files
  kTestFiles,        // the names of the project's test files
  kRound,            // this QA round
  kMaxRounds,        // the last QA round
  kMessages,         // what a simulated agent heard (speak)
  kTopic,            // where a simulated agent's words go (speak)
};

struct InputInfo {
  Input input;
  std::string_view name;     // as written in templates: {{name}}
  std::string_view meaning;  // one line, shown in check-sop messages
};

// Every input, in declaration order.
const std::vector<InputInfo>& known_inputs();
std::string_view input_name(Input input);
std::optional<Input> input_named(std::string_view name);

}  // namespace agentco
