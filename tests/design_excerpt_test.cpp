// Pins actions/design_excerpt.hpp: which classes of a design concern one file, and the class
// diagram cut down to them, on the diagram forms real models write (blocks, "A : member"
// lines, annotations, relations with cardinalities and labels), and the cases where the
// whole design must be shown because nothing ties a class to the file.
#include "actions/design_excerpt.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentco {
namespace {

using Names = std::vector<std::string>;

// The shape of MetaGPT's snake design, with the forms it and other models use.
const std::string kSnake =
    "classDiagram\n"
    "    direction LR\n"
    "    class Game {\n"
    "        -snake: Snake\n"
    "        -food: Food\n"
    "        +run() None\n"
    "    }\n"
    "    class Snake {\n"
    "        +move() None\n"
    "    }\n"
    "    class Food\n"
    "    Food : +position tuple\n"
    "    Food : +respawn() None\n"
    "    <<dataclass>> Food\n"
    "    class Score {\n"
    "        +value: int\n"
    "    }\n"
    "    Game \"1\" --> \"1\" Snake : moves\n"
    "    Game *-- Food\n"
    "    Game o-- Score\n"
    "    Score <|-- HighScore\n";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(DesignExcerpt, ReadsEveryClassOfTheDiagramInOrder) {
  EXPECT_EQ(class_diagram_classes(kSnake), (Names{"Game", "Snake", "Food", "Score", "HighScore"}));
  EXPECT_TRUE(class_diagram_classes("sequenceDiagram\n    A->>B: hi\n").empty());
}

TEST(DesignExcerpt, AFileGetsItsOwnClassesAndTheClassesTheyAreRelatedTo) {
  // snake.py holds Snake (its stem); Game uses it: the reviewer sees how it is called.
  EXPECT_EQ(classes_for_file(kSnake, "snake.py", "Snake: move()"), (Names{"Game", "Snake"}));
  // score.py holds Score: Game holds one, HighScore extends it.
  EXPECT_EQ(classes_for_file(kSnake, "src/score.py", ""), (Names{"Game", "Score", "HighScore"}));
  // A stem with underscores matches a CamelCase class.
  EXPECT_EQ(classes_for_file("classDiagram\n  class HighScore\n  class Other\n", "high_score.py", ""),
            (Names{"HighScore"}));
}

TEST(DesignExcerpt, AFileWithoutAClassOfItsOwnGetsTheClassesItsTaskNames) {
  // main.py imports Game: Game alone, not everything Game uses.
  EXPECT_EQ(classes_for_file(kSnake, "main.py", "main(): builds a Game and runs it; imports Game from game.py"),
            (Names{"Game"}));
}

TEST(DesignExcerpt, TheWholeDesignWhenNothingTiesAClassToTheFileOrEveryClassIsKept) {
  EXPECT_TRUE(classes_for_file(kSnake, "utils.py", "helpers for the terminal").empty());
  EXPECT_TRUE(classes_for_file(kSnake, "game.py", "Game: run() drives Snake, Food, Score and a HighScore").empty())
      << "every class concerns game.py: nothing to leave out";
  EXPECT_TRUE(classes_for_file("not a diagram", "game.py", "Game").empty());
  // Namespaces are a form this reader does not follow: never guess.
  EXPECT_TRUE(classes_for_file("classDiagram\nnamespace Shapes {\n  class Game\n  class Other\n}\n", "game.py", "")
                  .empty());
}

TEST(DesignExcerpt, TheExcerptKeepsTheClassesBlocksMembersAndRelationsAmongThem) {
  const std::string excerpt = class_diagram_excerpt(kSnake, {"Game", "Food"});
  EXPECT_TRUE(excerpt.starts_with("classDiagram\n    direction LR\n")) << excerpt;
  EXPECT_TRUE(has(excerpt, "    class Game {\n        -snake: Snake\n        -food: Food\n        +run() None\n    }\n"))
      << excerpt;
  EXPECT_TRUE(has(excerpt, "    class Food\n    Food : +position tuple\n    Food : +respawn() None\n"
                           "    <<dataclass>> Food\n"))
      << excerpt;
  EXPECT_TRUE(has(excerpt, "    Game *-- Food")) << excerpt;
  for (const char* gone : {"class Snake", "+move()", "class Score", "+value: int", "--> \"1\" Snake", "o-- Score",
                           "HighScore"})
    EXPECT_FALSE(has(excerpt, gone)) << gone << " in\n" << excerpt;
  EXPECT_EQ(class_diagram_excerpt("flowchart LR\n  A --> B\n", {"A"}), "");
}

TEST(DesignExcerpt, RelationArrowsAreNotMistakenForClassNames) {
  // "--o" is an aggregation head only before a blank: "-- oven" relates to oven.
  const std::string diagram = "classDiagram\n  class Stove\n  class oven\n  class ven\n  Stove -- oven\n";
  EXPECT_EQ(classes_for_file(diagram, "stove.py", ""), (Names{"Stove", "oven"}));
  EXPECT_EQ(classes_for_file("classDiagram\n  class A\n  class B\n  class C\n  A ..|> B : realizes\n", "a.py", ""),
            (Names{"A", "B"}));
}

}  // namespace
}  // namespace agentco
