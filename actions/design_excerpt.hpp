// The system design as it concerns one file: what the writer, reviewer or test writer of that
// file needs, without the classes of every other file. The whole design grows with the
// project, so showing it for every file makes the run's prompts grow with the square of the
// file count; this excerpt stays about the same size however large the project is. Where a
// provider serves repeated prefixes from its cache at a quarter of the price or less, the
// whole design, sent as the same prefix of every file's prompt, costs less: run.file_design
// chooses (whole_design_for below).
//
// The excerpt is the design's brief fields (the SOP's `brief:` for system_design, all fields
// when it gives none) with the classDiagram cut down to the file's own classes, the classes
// its task row names, and the classes its own classes are related to, with those relations.
// A file's own classes are those whose name is the CamelCase of its stem ("habit_store.py"
// holds HabitStore) or that its task row names. When none of the diagram's classes can be
// tied to the file, or every class is kept anyway, the excerpt is the brief design whole:
// never less than the file needs because a name was spelled unexpectedly.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actions/prompt.hpp"

namespace agentco {

class RunContext;

// A mermaid classDiagram reduced to the classes named in `keep` and the relations among them;
// the other lines that are not about one class (the header, `direction`, notes) stay. Returns
// "" when the text is no class diagram.
std::string class_diagram_excerpt(const std::string& diagram, const std::vector<std::string>& keep);

// The classes of a classDiagram, in order of first appearance.
std::vector<std::string> class_diagram_classes(const std::string& diagram);

// The classes that concern `path` (see above): "" in the result means "all of them".
std::vector<std::string> classes_for_file(const std::string& diagram, const std::string& path,
                                          const std::string& task_row);

// Whether the prompts about one file sent to `model` show the whole design (run.file_design:
// "whole", or "auto" and the model's pricing: entry prices cached prompt tokens at 30% of
// the prompt price or less), with the reason in words. The first answer for a model is
// traced ("file_design" record) and logged.
bool whole_design_for(RunContext& run, const std::string& model);

// The design as a prompt about `path` shows it, richest first: the whole design then the
// excerpt when whole_design_for(model), else the excerpt only (a prompt that does not fit the
// model's context window gives up the whole design first: actions/prompt.hpp).
std::vector<SizedText> file_design_sizes(RunContext& run, const std::string& path, const std::string& task_row,
                                         const std::string& model);

}  // namespace agentco
