#include "sop/prompt_inputs.hpp"

namespace agentco {

const std::vector<InputInfo>& known_inputs() {
  static const std::vector<InputInfo> kInputs = {
      {Input::kIdea, "idea", "the user's requirement, as typed"},
      {Input::kFormat, "format", "what the structured reply must hold, with an example"},
      {Input::kLanguage, "language", "the project's programming language"},
      {Input::kFile, "file", "the path of the source file this step is about"},
      {Input::kCode, "code", "that file's current text, as last written"},
      {Input::kTask, "task", "that file's row of the task list"},
      {Input::kFileDesign, "file_design", "the system design as it concerns that file: its classes and their neighbours"},
      {Input::kDependencies, "dependencies", "the files it imports: full code when it fits, else interfaces"},
      {Input::kSharedKnowledge, "shared_knowledge", "conventions several files share"},
      {Input::kPackages, "packages", "the third-party packages the project may use"},
      {Input::kRunInstructions, "run_instructions", "how QA will run the code"},
      {Input::kStaticCheck, "static_check", "what the syntax and import checks found"},
      {Input::kFeedback, "feedback", "what must change"},
      {Input::kCodeListing, "code_listing", "every source file of the project"},
      {Input::kTestFile, "test_file", "the path of a test file"},
      {Input::kTestCode, "test_code", "that test file's current text"},
      {Input::kTestOutput, "test_output", "what running the tests and the program printed"},
      {Input::kSourceFiles, "source_files", "the names of the project's source files"},
      {Input::kTestFiles, "test_files", "the names of the project's test files"},
      {Input::kRound, "round", "this QA round"},
      {Input::kMaxRounds, "max_rounds", "the last QA round"},
      {Input::kMessages, "messages", "what a simulated agent heard"},
      {Input::kTopic, "topic", "where a simulated agent's words go"},
  };
  return kInputs;
}

std::string_view input_name(Input input) {
  for (const auto& info : known_inputs()) {
    if (info.input == input) return info.name;
  }
  return "?";
}

std::optional<Input> input_named(std::string_view name) {
  for (const auto& info : known_inputs()) {
    if (info.name == name) return info.input;
  }
  return std::nullopt;
}

}  // namespace agentco
