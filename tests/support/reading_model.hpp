// The reading model: a deterministic stand-in for a language model that answers every chat
// request only from the text of its messages (system, user, and the assistant/user turns of
// a re-ask). It never looks at a request's hints, headers, model name or anything else, so a
// prompt that lacks a fact, or shows the wrong one, gets a reply that is visibly wrong: a
// review that cannot pass, a method that raises NotImplementedError("reading model: the
// prompt does not show ..."), a test file that fails, a fix that changes nothing.
//
// It recognizes the step from the instruction under the prompt's last "## Task" heading (one
// table of phrases, reading_step_phrases(): PRD, design, tasks, code, review, rewrite,
// summary, manual, tests, triage, fix code, fix test) and answers like a careful but literal model: JSON between
// [CONTENT] and [/CONTENT] with exactly the keys the prompt's format section lists, code in
// one ```python fence, reviews ending in "## Code Review Result" and LGTM or LBTM.
// Documents may be shown as JSON objects or as Markdown (a heading per field, lists, tables,
// ```mermaid fences); both are read.
//
// The projects it designs are small Python programs: main.py plus N-1 modules, one class per
// module (CamelCase of the file stem) with 2-3 typed methods, the classes forming a layered
// DAG through "A --> B" (A uses B) relations. The code it writes for them runs.
//
// Deliberate defects (ReadingOptions, both on by default), deterministic per project: the
// first version of one file (chosen from the file names of the design's file list, never
// main.py) lacks one design method; the first version of another has a slip (a misspelled
// local name, a NameError that only running reveals). A rewrite or fix, which shows the
// current code, repairs what the prompt shows: the review's missing method, or the failure
// its traceback shows.
//
// Chat phases (SOP type chat) are read from the system prompt: the side told to start its
// reply with a marker once the discussion concludes answers the task, then, having heard
// back, concludes with that marker; the side told it leads agrees and asks to conclude.
// What it answers comes from the phase text of its first message (ChatDev's chain,
// sop/chatdev.yaml): the product's form and the language (from the requirement, concluded
// alone); a code review of the files listed (the first problem it can see, or at once the
// marker and "Finished"); and, when its system prompt tells it to give files as a name on a
// line then a fenced block, files in exactly that format: the program for the requirement
// (its own design; with `slip`, the module main.py uses has a misspelled local name), a
// change to the files listed (the renames a review asks for, the NameError a run printed,
// placeholders completed), requirements.txt, or manual.md from the code and the
// requirements.txt the prompt shows.
//
// A ballot ("Answer with exactly one of: A, B. Put it first, ...", SOP type vote) is
// answered with the option the prompt names most often (the first on a tie or when it names
// none), then one sentence on why.
//
// Pure and thread-safe: the same messages and options always give the same reply.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/provider.hpp"

namespace agentco::testing {

struct ReadingOptions {
  bool drop_method = true;  // the first version of one file lacks one design method
  bool slip = true;         // the first version of another file has a misspelled local name
};

// The reply to a conversation (system + user [+ assistant/user re-asks]).
std::string reading_reply(const std::vector<ChatMessage>& messages, const ReadingOptions& options = {});

// The step the reading model recognizes in a conversation: "prd", "design", "tasks", "code",
// "review", "rewrite", "summary", "manual", "tests", "triage", "fix_code", "fix_test", or
// "unknown".
std::string reading_step(const std::vector<ChatMessage>& messages);

// One row of the table of instruction phrases (a std::regex, ECMAScript) that name a step;
// the first row whose pattern matches the prompt's task section (else the whole prompt) wins.
struct ReadingStepPhrase {
  std::string_view step;
  std::string_view pattern;
};
std::vector<ReadingStepPhrase> reading_step_phrases();

// The text of an OpenAI chat message: its content string, or its text parts joined.
std::string message_text(const nlohmann::json& message);

// A role working with tools (SOP tool_loop): the reading model reads the requirement under
// the prompt's "## The requirement" heading and the test command in backticks
// (`python3 -m unittest ...`), and needs write_file, run, read_file and edit_file among the
// tools offered; lacking any, it answers with text saying what the prompt does not show. Then,
// one turn per request, from its earlier calls and the results it is shown for them:
// list_files (when offered); three files and their tests written in one turn of parallel
// calls (stats.py's total() returns a misspelled name); the tests run; on a failure, the file
// the traceback points at read, and the NameError fixed with edit_file from the text it was
// shown; the tests run again; the program run; a report quoting what the program printed.
// A refused edit, a failure it cannot place or six runs end the loop with a text saying so.
struct ReadingToolTurn {
  std::string text;
  nlohmann::json tool_calls = nlohmann::json::array();  // [{id, name, arguments (JSON text)}]
};
// `messages`: the request's OpenAI messages; `tools`: the names of the functions offered.
ReadingToolTurn reading_tool_turn(const nlohmann::json& messages, const std::vector<std::string>& tools);

}  // namespace agentco::testing
