// OutputSchema: the keys of the JSON object a structured action asks the model for, as a
// SOP declares them (name, type, instruction). Data only; the structured-output layer
// (actions/structured_output.hpp) extracts and validates replies against it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentco {

// One key of the JSON object the model must produce.
struct FieldSpec {
  std::string name;         // the JSON key, e.g. "Project Name"
  std::string type;         // str | int | float | bool | list[str] | list[list[str]] | list | object
  std::string instruction;  // what to put there, shown to the model
  bool required = true;
  // A concrete value shown in the format example (null: one is made up from the type).
  nlohmann::json example;
};

struct OutputSchema {
  std::vector<FieldSpec> fields;
};

// True when `type` is one of the names above.
inline bool is_known_field_type(std::string_view type) {
  return type == "str" || type == "int" || type == "float" || type == "bool" || type == "list[str]" ||
         type == "list[list[str]]" || type == "list" || type == "object";
}

}  // namespace agentco
