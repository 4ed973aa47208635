// The design as the reading model reads it (file list + mermaid classDiagram) and the
// designs it makes itself: main.py plus N-1 modules, one class per module (the CamelCase
// of its stem), each with describe() and two typed methods, the classes forming a layered
// DAG (module k uses modules 2k+1 and 2k+2) so that each layer can be written in parallel.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentco::testing::reading {

struct Method {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;  // (name, type)
  std::string returns;
};

struct ClassSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;  // (name, type)
  std::vector<Method> methods;                              // __init__ excluded
  std::vector<std::string> uses;                            // classes this one uses ("A --> B")
};

struct Design {
  std::vector<std::string> files;  // main.py first
  std::vector<ClassSpec> classes;

  const ClassSpec* class_named(std::string_view name) const;
  // The class the design gives `file`: the one named as the CamelCase of its stem.
  const ClassSpec* class_of(std::string_view file) const;
  // The file that holds `class_name`, or "" when the file list has none.
  std::string file_of(std::string_view class_name) const;
};

// "habit_store.py" -> "HabitStore".
std::string camel(std::string_view file);

// The classes of a mermaid classDiagram (members and relations); tolerant of the usual
// spellings ("+m(a: int) int", "+m(a: int): int", "-f: T", "A --> B", "A ..> B", "A *-- B").
std::vector<ClassSpec> parse_class_diagram(std::string_view mermaid);

// The design a prompt shows: its "File list" and "Data structures and interfaces" fields,
// in Markdown or JSON. Empty when the prompt shows no design.
Design shown_design(std::string_view prompt);

// The number of files a requirement asks for ("... with 12 files"), 4 when it names none;
// between 2 and 40.
int requested_files(std::string_view requirement);

// The design the reading model makes for a requirement.
Design plan_project(std::string_view requirement);

std::string class_diagram(const Design& design);
std::string call_flow(const Design& design);
// "Engine from engine.py, Timer from timer.py" for the classes `spec` uses.
std::string imports_text(const Design& design, const ClassSpec& spec);

}  // namespace agentco::testing::reading
