#include "actions/structured_output.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/support/fixtures.hpp"

namespace agentco {
namespace {

// Like HasSubstr, without needing gmock.
::testing::AssertionResult contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

FieldSpec field(std::string name, std::string type, bool required = true) {
  return FieldSpec{std::move(name), std::move(type), "", required};
}

bool has_repair(const StructuredReply& reply, std::string_view fragment) {
  return std::any_of(reply.repairs.begin(), reply.repairs.end(),
                     [&](const std::string& r) { return r.find(fragment) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& repairs) {
  std::string out;
  for (const auto& r : repairs) out += (out.empty() ? "" : " | ") + r;
  return out;
}

const OutputSchema kProjectSchema{{
    field("Project Name", "str"),
    field("Product Goals", "list[str]"),
}};

// ---- strip_think ----------------------------------------------------------------------------

TEST(StripThink, RemovesEveryClosedThinkBlock) {
  EXPECT_EQ(strip_think("<think>plan {a}</think>\nanswer <think>more</think> here"), "answer  here");
}

TEST(StripThink, LeavesAReplyWithoutThinkingUnchangedApartFromOuterWhitespace) {
  EXPECT_EQ(strip_think("  [CONTENT]{}[/CONTENT]\n"), "[CONTENT]{}[/CONTENT]");
}

TEST(StripThink, CutsAnUnterminatedThinkUpToTheContentTag) {
  EXPECT_EQ(strip_think("<think>I should answer with JSON\n[CONTENT]{\"a\": 1}[/CONTENT]"),
            "[CONTENT]{\"a\": 1}[/CONTENT]");
}

TEST(StripThink, CutsAnUnterminatedThinkUpToTheFirstBrace) {
  EXPECT_EQ(strip_think("<think>so the answer is\n{\"a\": 1}"), "{\"a\": 1}");
}

TEST(StripThink, ReturnsNothingWhenTheReplyIsOnlyUnterminatedThinking) {
  EXPECT_EQ(strip_think("<think>still thinking when the tokens ran out"), "");
}

TEST(StripThink, DropsEverythingBeforeALoneClosingTag) {
  EXPECT_EQ(strip_think("the template opened the block\n</think>\nanswer"), "answer");
}

// ---- extract_structured: extraction and repairs ---------------------------------------------

TEST(ExtractStructured, ParsesACleanReplyWithoutRepairs) {
  auto r = extract_structured(
      "[CONTENT]\n{\"Project Name\": \"snake\", \"Product Goals\": [\"fun\"]}\n[/CONTENT]", kProjectSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["Project Name"], "snake");
  EXPECT_TRUE(r->repairs.empty()) << joined(r->repairs);
}

TEST(ExtractStructured, AcceptsLowerCaseTags) {
  auto r = extract_structured("[content]{\"a\": 1}[/content]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->repairs.empty()) << joined(r->repairs);
}

TEST(ExtractStructured, IgnoresAndRecordsChatterAroundTheTags) {
  auto r = extract_structured("Sure! Here it is:\n[CONTENT]{\"a\": 1}[/CONTENT]\nHope this helps.", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], 1);
  EXPECT_TRUE(has_repair(*r, "ignored text before the JSON object"));
  EXPECT_TRUE(has_repair(*r, "ignored text after the JSON object"));
}

TEST(ExtractStructured, IgnoresChatterInsideTheTags) {
  auto r = extract_structured("[CONTENT]\nThe output:\n{\"a\": 1}\nDone.\n[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(has_repair(*r, "ignored text before the JSON object"));
  EXPECT_TRUE(has_repair(*r, "ignored text after the JSON object"));
}

TEST(ExtractStructured, TakesTheRestOfTheReplyWhenTheClosingTagIsMissing) {
  auto r = extract_structured("[CONTENT]\n{\"a\": [1, 2]}\n", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"].size(), 2u);
  EXPECT_TRUE(has_repair(*r, "missing closing [/CONTENT]"));
}

TEST(ExtractStructured, TakesTheTextBeforeAClosingTagWhoseOpeningIsMissing) {
  auto r = extract_structured("{\"a\": 1}\n[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(has_repair(*r, "missing opening [CONTENT]"));
}

TEST(ExtractStructured, TakesTheOutermostObjectWhenThereAreNoTags) {
  auto r = extract_structured("Here you go: {\"a\": {\"b\": \"}\"}} and that is all", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"]["b"], "}");
  EXPECT_TRUE(has_repair(*r, "no [CONTENT] tags"));
  EXPECT_TRUE(has_repair(*r, "ignored text after the JSON object"));
}

TEST(ExtractStructured, UsesTheLastCompletePairOfTags) {
  auto r = extract_structured(
      "Format: [CONTENT]{\"example\": true}[/CONTENT]\nAnswer:\n[CONTENT]{\"real\": 1}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->value.contains("real"));
  EXPECT_FALSE(r->value.contains("example"));
}

TEST(ExtractStructured, StripsACodeFenceInsideTheTags) {
  auto r = extract_structured("[CONTENT]\n```json\n{\"a\": 1}\n```\n[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(has_repair(*r, "removed code fences"));
  EXPECT_FALSE(has_repair(*r, "ignored text"));
}

TEST(ExtractStructured, StripsACodeFenceAroundTheTags) {
  auto r = extract_structured("```json\n[CONTENT]\n{\"a\": 1}\n[/CONTENT]\n```", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(has_repair(*r, "removed code fences"));
  EXPECT_FALSE(has_repair(*r, "ignored text"));
}

TEST(ExtractStructured, PrefersAFencedObjectOverBracesInTheChatter) {
  auto r = extract_structured("Use the {name} placeholder.\n```json\n{\"a\": 1}\n```", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], 1);
}

TEST(ExtractStructured, IgnoresJsonInsideThinkBlocks) {
  auto r = extract_structured("<think>maybe {\"a\": 0}?</think>[CONTENT]{\"a\": 2}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], 2);
  EXPECT_TRUE(r->repairs.empty()) << joined(r->repairs);
}

TEST(ExtractStructured, RemovesTrailingCommasBeforeClosingBrackets) {
  auto r = extract_structured("[CONTENT]{\"a\": [1, 2, ], \"b\": \"x, ]\",\n}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"].size(), 2u);
  EXPECT_EQ(r->value["b"], "x, ]");
  EXPECT_TRUE(has_repair(*r, "removed 2 trailing commas")) << joined(r->repairs);
}

TEST(ExtractStructured, EscapesRawNewlinesAndTabsInsideStrings) {
  auto r = extract_structured("[CONTENT]{\"code\": \"line one\n\tline two\"}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["code"], "line one\n\tline two");
  EXPECT_TRUE(has_repair(*r, "escaped 2 raw control characters")) << joined(r->repairs);
}

TEST(ExtractStructured, EscapesOtherControlCharactersInsideStrings) {
  std::string reply = "[CONTENT]{\"a\": \"bell\x07 end\"}[/CONTENT]";
  auto r = extract_structured(reply, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], "bell\x07 end");
}

TEST(ExtractStructured, ClosesBracesAndBracketsOfATruncatedReply) {
  auto r = extract_structured("[CONTENT]\n{\"a\": {\"b\": [1, 2", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"]["b"], nlohmann::json::array({1, 2}));
  EXPECT_TRUE(has_repair(*r, "closed 3 unclosed brackets")) << joined(r->repairs);
  EXPECT_TRUE(has_repair(*r, "missing closing [/CONTENT]"));
}

TEST(ExtractStructured, KeepsTheTextOfAStringCutOffByTruncation) {
  auto r = extract_structured(
      "[CONTENT]{\"Project Name\": \"snake\", \"Product Goals\": [\"be fun\", \"be fa", kProjectSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["Product Goals"][1], "be fa");
  EXPECT_TRUE(has_repair(*r, "closed a string cut off"));
}

TEST(ExtractStructured, DropsAKeyCutOffByTruncation) {
  auto r = extract_structured("[CONTENT]{\"a\": 1, \"b\": [true], \"Produ", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value, nlohmann::json::parse(R"({"a": 1, "b": [true]})"));
  EXPECT_TRUE(has_repair(*r, "dropped an incomplete entry"));
}

TEST(ExtractStructured, DropsAKeyWithoutAValueCutOffByTruncation) {
  auto r = extract_structured("[CONTENT]{\"a\": 1, \"b\":  ", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value, nlohmann::json::parse(R"({"a": 1})"));
}

TEST(ExtractStructured, DropsATruncatedFenceAfterATruncatedObject) {
  auto r = extract_structured("```json\n{\"a\": [1,\n```", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], nlohmann::json::array({1}));
}

TEST(ExtractStructured, RecoversAnObjectFromEveryTruncationOfAReply) {
  const std::string full =
      "[CONTENT]\n{\n  \"name\": \"caf\xc3\xa9 \\\"quoted\\\" \\u00e9\",\n  \"n\": -12.5e3,\n"
      "  \"flags\": [true, false, null],\n  \"rows\": [[\"P0\", \"x\"], [\"P1\", \"y\"]],\n"
      "  \"nested\": {\"k\": {\"deep\": [1, {\"z\": \"w\"}]}}\n}\n[/CONTENT]";
  const std::size_t brace = full.find('{');
  for (std::size_t n = brace + 1; n <= full.size(); ++n) {
    auto r = extract_structured(std::string_view(full).substr(0, n), {});
    ASSERT_TRUE(r.ok()) << "prefix of " << n << " bytes: " << r.error().message;
    ASSERT_TRUE(r->value.is_object());
  }
}

TEST(ExtractStructured, ReplacesPythonLiteralsOutsideStrings) {
  auto r = extract_structured(
      "[CONTENT]{\"a\": None, \"b\": True, \"c\": False, \"d\": \"None True\"}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->value["a"].is_null());
  EXPECT_EQ(r->value["b"], true);
  EXPECT_EQ(r->value["c"], false);
  EXPECT_EQ(r->value["d"], "None True");
  EXPECT_TRUE(has_repair(*r, "replaced 3 Python literals")) << joined(r->repairs);
}

TEST(ExtractStructured, RemovesCommentsOutsideStrings) {
  auto r = extract_structured(
      "[CONTENT]{\n  \"url\": \"http://x.y/*z*/\", // the site\n  /* n */ \"n\": 1\n}[/CONTENT]", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["url"], "http://x.y/*z*/");
  EXPECT_TRUE(has_repair(*r, "removed 2 comments")) << joined(r->repairs);
}

TEST(ExtractStructured, CombinesSeveralRepairsOnOneReply) {
  auto r = extract_structured("Here:\n```json\n{\"a\": \"x\ny\", \"b\": [1, 2,],", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["a"], "x\ny");
  EXPECT_EQ(r->value["b"].size(), 2u);
  EXPECT_GE(r->repairs.size(), 4u) << joined(r->repairs);
}

TEST(ExtractStructured, ReportsAReplyWithoutJson) {
  auto r = extract_structured("I cannot help with that.", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "parse");
  EXPECT_TRUE(contains(r.error().message, "no JSON object"));
}

TEST(ExtractStructured, ReportsEmptyTags) {
  auto r = extract_structured("[CONTENT]\n[/CONTENT]", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "no JSON object between [CONTENT] and [/CONTENT]");
}

TEST(ExtractStructured, ReportsATopLevelArray) {
  auto r = extract_structured("[CONTENT]\n[\n  {\"a\": 1}\n]\n[/CONTENT]", {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "got an array"));
}

TEST(ExtractStructured, ReportsWhereUnrepairableJsonBreaks) {
  auto r = extract_structured("[CONTENT]{\"a\": 1 \"b\": 2}[/CONTENT]", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "parse");
  EXPECT_TRUE(contains(r.error().message, "the JSON is invalid"));
  EXPECT_TRUE(contains(r.error().message, "line 1, column"));
  EXPECT_TRUE(contains(r.error().message, "near \"{\"a\": 1 \"b\"\""));
}

TEST(ExtractStructured, QuotesBrokenUtf8InAnErrorAsValidUtf8) {
  auto r = extract_structured("[CONTENT]{\"a\": \xc3\x28 \xed\xa0\x80}[/CONTENT]", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NO_THROW((void)nlohmann::json(r.error().message).dump()) << r.error().message;
}

TEST(ExtractStructured, NeverThrowsOnRandomInput) {
  const std::string_view alphabet = "{}[]\",:\\ \n\tabcNoneTrue0123456789-./*`";
  const std::vector<std::string_view> pieces = {"[CONTENT]", "[/CONTENT]", "```json\n", "<think>",
                                                "</think>",  "\\u12",      "\xc3",      "\xe2\x82"};
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (int round = 0; round < 3000; ++round) {
    std::string reply;
    std::size_t length = next() % 120;
    for (std::size_t i = 0; i < length; ++i) {
      if (next() % 10 == 0) {
        reply += pieces[next() % pieces.size()];
      } else {
        reply += alphabet[next() % alphabet.size()];
      }
    }
    EXPECT_NO_THROW({
      auto r = extract_structured(reply, kProjectSchema);
      if (r.ok()) {
        EXPECT_TRUE(r->value.is_object());
      }
    }) << reply;
  }
}

TEST(ExtractStructured, SurvivesDeepNestingInATruncatedReply) {
  std::string reply = "[CONTENT]{\"a\": " + std::string(20000, '[');
  auto r = extract_structured(reply, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->value["a"].is_array());
}

// ---- extract_structured: validation ---------------------------------------------------------

TEST(StructuredValidation, ReportsAMissingRequiredKey) {
  auto r = extract_structured("[CONTENT]{\"Project Name\": \"x\"}[/CONTENT]", kProjectSchema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "parse");
  EXPECT_EQ(r.error().message, "missing key \"Product Goals\"");
}

TEST(StructuredValidation, ReportsEveryProblemInOneMessage) {
  OutputSchema schema{
      {field("File list", "list[str]"), field("Task list", "list[str]"), field("Anything UNCLEAR", "str")}};
  auto r =
      extract_structured("[CONTENT]{\"Task list\": \"main.py\", \"Anything UNCLEAR\": 3}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "missing key \"File list\"; key \"Task list\" must be list[str], got string; "
            "key \"Anything UNCLEAR\" must be str, got integer");
}

TEST(StructuredValidation, RejectsANonStringItemInAStringList) {
  auto r = extract_structured("[CONTENT]{\"Project Name\": \"x\", \"Product Goals\": [\"a\", 2]}[/CONTENT]",
                              kProjectSchema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"Product Goals\" must be list[str], but item [1] is integer");
}

TEST(StructuredValidation, ReportsANumberInsideAListOfLists) {
  OutputSchema schema{{field("Requirement Pool", "list[list[str]]")}};
  auto r =
      extract_structured("[CONTENT]{\"Requirement Pool\": [[\"P0\", \"a\"], [\"P1\", 2]]}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "key \"Requirement Pool\" must be list[list[str]], but item [1][1] is integer");
}

TEST(StructuredValidation, ReportsAStringWhereAListOfListsBelongs) {
  OutputSchema schema{{field("Logic Analysis", "list[list[str]]")}};
  auto r = extract_structured("[CONTENT]{\"Logic Analysis\": [\"game.py\"]}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"Logic Analysis\" must be list[list[str]], but item [0] is string");
}

TEST(StructuredValidation, AcceptsEmptyLists) {
  OutputSchema schema{{field("a", "list[str]"), field("b", "list[list[str]]"), field("c", "list")}};
  auto r = extract_structured("[CONTENT]{\"a\": [], \"b\": [[]], \"c\": []}[/CONTENT]", schema);
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(StructuredValidation, AcceptsIntegersAndIntegralNumbersAsInt) {
  OutputSchema schema{{field("a", "int"), field("b", "int")}};
  auto r = extract_structured("[CONTENT]{\"a\": -3, \"b\": 4.0}[/CONTENT]", schema);
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(StructuredValidation, RejectsFractionsAndStringsAsInt) {
  OutputSchema schema{{field("a", "int"), field("b", "int")}};
  auto r = extract_structured("[CONTENT]{\"a\": 2.5, \"b\": \"3\"}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "key \"a\" must be int, got a number with a fraction; key \"b\" must be int, got string");
}

TEST(StructuredValidation, AcceptsIntegersAsFloat) {
  OutputSchema schema{{field("a", "float"), field("b", "float")}};
  auto r = extract_structured("[CONTENT]{\"a\": 1, \"b\": 0.25}[/CONTENT]", schema);
  EXPECT_TRUE(r.ok()) << r.error().message;
  auto bad = extract_structured("[CONTENT]{\"a\": \"1\", \"b\": true}[/CONTENT]", schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "key \"a\" must be float, got string; key \"b\" must be float, got boolean");
}

TEST(StructuredValidation, AcceptsOnlyBooleansAsBool) {
  OutputSchema schema{{field("a", "bool")}};
  EXPECT_TRUE(extract_structured("[CONTENT]{\"a\": false}[/CONTENT]", schema).ok());
  auto r = extract_structured("[CONTENT]{\"a\": \"true\"}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"a\" must be bool, got string");
}

TEST(StructuredValidation, ChecksListAndObjectKinds) {
  OutputSchema schema{{field("l", "list"), field("o", "object")}};
  EXPECT_TRUE(
      extract_structured("[CONTENT]{\"l\": [1, \"a\", {}], \"o\": {\"k\": 1}}[/CONTENT]", schema).ok());
  auto r = extract_structured("[CONTENT]{\"l\": {}, \"o\": []}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"l\" must be list, got object; key \"o\" must be object, got array");
}

TEST(StructuredValidation, ReportsNullForARequiredKey) {
  OutputSchema schema{{field("a", "str")}};
  auto r = extract_structured("[CONTENT]{\"a\": null}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"a\" must be str, got null");
}

TEST(StructuredValidation, AllowsAnOptionalKeyToBeMissingOrNullButNotOfTheWrongType) {
  OutputSchema schema{{field("a", "str"), field("b", "list[str]", false)}};
  EXPECT_TRUE(extract_structured("[CONTENT]{\"a\": \"x\"}[/CONTENT]", schema).ok());
  EXPECT_TRUE(extract_structured("[CONTENT]{\"a\": \"x\", \"b\": null}[/CONTENT]", schema).ok());
  auto r = extract_structured("[CONTENT]{\"a\": \"x\", \"b\": \"y\"}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "key \"b\" must be list[str], got string");
}

TEST(StructuredValidation, KeepsUnknownExtraKeys) {
  auto r = extract_structured(
      "[CONTENT]{\"Project Name\": \"x\", \"Product Goals\": [], \"Extra\": {\"k\": 1}}[/CONTENT]",
      kProjectSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["Extra"]["k"], 1);
}

TEST(StructuredValidation, ReportsAnUnknownTypeInTheSchemaAsASchemaError) {
  OutputSchema schema{{field("a", "list[int]")}};
  auto r = extract_structured("[CONTENT]{\"a\": [1]}[/CONTENT]", schema);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "schema");
  EXPECT_TRUE(contains(r.error().message, "list[int]"));
}

TEST(StructuredValidation, KnowsExactlyTheDocumentedTypeNames) {
  for (auto type : {"str", "int", "float", "bool", "list[str]", "list[list[str]]", "list", "object"}) {
    EXPECT_TRUE(is_known_field_type(type)) << type;
  }
  for (auto type : {"", "string", "List[str]", "list[int]", "dict"})
    EXPECT_FALSE(is_known_field_type(type)) << type;
}

// ---- format_instructions --------------------------------------------------------------------

const OutputSchema kInstructedSchema{{
    {"Project Name", "str", "Name the project in snake case.", true},
    {"Product Goals", "list[str]", "Up to three\nclear goals.", true},
    {"Requirement Pool", "list[list[str]]", "Requirements with priority (P0, P1, P2).", true},
    {"Estimated Hours", "int", "", true},
    {"Confidence", "float", "Between 0 and 1.", true},
    {"Needs UI", "bool", "", true},
    {"Notes", "list", "Anything else.", false},
    {"Extra", "object", "", false},
}};

TEST(FormatInstructions, ListsEveryNodeWithItsTypeAndInstruction) {
  std::string text = format_instructions(kInstructedSchema);
  EXPECT_TRUE(contains(text, "- Project Name: str  # Name the project in snake case.\n"));
  EXPECT_TRUE(contains(text, "- Product Goals: list[str]  # Up to three clear goals.\n"));
  EXPECT_TRUE(contains(text, "- Estimated Hours: int\n"));
  EXPECT_TRUE(contains(text, "- Notes: list  # Anything else. (optional)\n"));
  EXPECT_TRUE(contains(text, "- Extra: object  # (optional)\n"));
  EXPECT_LT(text.find("## Nodes"), text.find("## Format example"));
}

TEST(FormatInstructions, ShowsAnExampleThatItsOwnSchemaAccepts) {
  std::string text = format_instructions(kInstructedSchema);
  auto example = text.substr(text.find("## Format example"));
  EXPECT_TRUE(contains(example, "[CONTENT]\n{\n    \"Project Name\": \"a short text: Project Name\",\n"));
  EXPECT_FALSE(contains(example, "...")) << "models copy \"...\" into their replies";
  auto r = extract_structured(example, kInstructedSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->repairs.size() == 1 && has_repair(*r, "ignored text before")) << joined(r->repairs);
  EXPECT_TRUE(r->value["Requirement Pool"][0].is_array());
  EXPECT_TRUE(r->value["Confidence"].is_number_float());
}

TEST(FormatInstructions, ShowsTheSchemasOwnExamplesWhereItGivesThem) {
  OutputSchema schema{{{"Decision", "str", "what to do", true, "fix_code"},
                       {"Files", "list[str]", "", true, nlohmann::json::array({"game.py", "board.py"})},
                       {"Score", "int", "", true, "3"}}};
  std::string text = format_instructions(schema);
  EXPECT_TRUE(contains(text, "\"Decision\": \"fix_code\"")) << text;
  EXPECT_TRUE(contains(text, "\"game.py\",\n        \"board.py\"")) << text;
  EXPECT_TRUE(contains(text, "\"Score\": 3")) << text;  // YAML's text "3" shown as the int it is
  ASSERT_TRUE(extract_structured(text.substr(text.find("## Format example")), schema).ok());
}

TEST(FormatInstructions, IsDeterministicAndKeepsTheSchemaOrder) {
  std::string text = format_instructions(kInstructedSchema);
  EXPECT_EQ(text, format_instructions(kInstructedSchema));
  EXPECT_LT(text.find("\"Project Name\""), text.find("\"Product Goals\""));
  EXPECT_LT(text.find("\"Needs UI\""), text.find("\"Notes\""));
}

TEST(FormatInstructions, ShowsAnEmptyObjectForAnEmptySchema) {
  EXPECT_TRUE(contains(format_instructions({}), "[CONTENT]\n{}\n[/CONTENT]"));
}

// ---- extract_code ---------------------------------------------------------------------------

TEST(ExtractCode, ReturnsTheBodyOfTheOnlyFencedBlockWithoutTheLanguageTag) {
  EXPECT_EQ(extract_code("Here:\n```python\nprint(1)\n```\nBye"), "print(1)\n");
}

TEST(ExtractCode, ChoosesTheLongestFencedBlock) {
  EXPECT_EQ(extract_code("```bash\npip install x\n```\n```python\ndef f():\n    return 1\n```\n```\nx\n```"),
            "def f():\n    return 1\n");
}

TEST(ExtractCode, ReturnsTheTrimmedReplyWhenThereIsNoFence) {
  EXPECT_EQ(extract_code("<think>hmm</think>\n\nint main() {}\n\n"), "int main() {}");
}

TEST(ExtractCode, TakesAnUnterminatedFinalFenceToTheEnd) {
  EXPECT_EQ(extract_code("```cpp\nint a;\n```\n```cpp\nint main() {\n  return 0;"),
            "int main() {\n  return 0;");
}

TEST(ExtractCode, IgnoresFencesInsideThinkBlocks) {
  EXPECT_EQ(
      extract_code("<think>```python\nlong draft that is not the answer\n```</think>\n```python\nx = 1\n```"),
      "x = 1\n");
}

TEST(ExtractCode, KeepsShorterFenceLinesInsideALongerFence) {
  EXPECT_EQ(extract_code("````markdown\n# Title\n```python\nx = 1\n```\n````"),
            "# Title\n```python\nx = 1\n```\n");
}

// ---- the real replies in MetaGPT's cache ----------------------------------------------------

const nlohmann::ordered_json& rsp_cache(const std::filesystem::path& dir) {
  static const nlohmann::ordered_json cache = [&] {
    std::ifstream in(dir / "metagpt" / "rsp_cache.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::ordered_json::parse(text.str(), nullptr, false);
  }();
  return cache;
}

// The reply at position `index` in file order, or "" when it is not a string.
std::string reply_at(const std::filesystem::path& dir, std::size_t index) {
  const auto& cache = rsp_cache(dir);
  if (!cache.is_object() || index >= cache.size()) return "";
  auto it = std::next(cache.begin(), static_cast<std::ptrdiff_t>(index));
  return it->is_string() ? it->get<std::string>() : "";
}

const OutputSchema kPrdSchema{{
    field("Language", "str"),
    field("Programming Language", "str"),
    field("Original Requirements", "str"),
    field("Project Name", "str"),
    field("Product Goals", "list[str]"),
    field("User Stories", "list[str]"),
    field("Competitive Analysis", "list[str]"),
    field("Competitive Quadrant Chart", "str"),
    field("Requirement Analysis", "str"),
    field("Requirement Pool", "list[list[str]]"),
    field("UI Design draft", "str"),
    field("Anything UNCLEAR", "str"),
}};

const OutputSchema kDesignSchema{{
    field("Implementation approach", "str"),
    field("File list", "list[str]"),
    field("Data structures and interfaces", "str"),
    field("Program call flow", "str"),
    field("Anything UNCLEAR", "str"),
}};

const OutputSchema kTasksSchema{{
    field("Required packages", "list[str]"),
    field("Required Other language third-party packages", "list[str]"),
    field("Logic Analysis", "list[list[str]]"),
    field("Task list", "list[str]"),
    field("Full API spec", "str"),
    field("Shared Knowledge", "str"),
    field("Anything UNCLEAR", "str"),
}};

TEST(StructuredOutputFixtures, TheCacheHoldsTheDocumentedNumberOfEntries) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  ASSERT_TRUE(rsp_cache(dir).is_object());
  EXPECT_EQ(rsp_cache(dir).size(), 425u);
}

TEST(StructuredOutputFixtures, TheSnakePrdValidatesAgainstThePrdSchema) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  auto r = extract_structured(reply_at(dir, 200), kPrdSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["Project Name"], "cli_snake_game");
  EXPECT_EQ(r->value["Original Requirements"], "Make a cli snake game");
  EXPECT_FALSE(r->value["Requirement Pool"].empty());
  EXPECT_TRUE(r->repairs.empty()) << joined(r->repairs);
}

TEST(StructuredOutputFixtures, BothSnakeDesignsValidateAgainstTheDesignSchema) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  for (std::size_t index : {201u, 390u}) {
    auto r = extract_structured(reply_at(dir, index), kDesignSchema);
    ASSERT_TRUE(r.ok()) << index << ": " << r.error().message;
    const auto& files = r->value["File list"];
    EXPECT_NE(std::find(files.begin(), files.end(), "main.py"), files.end()) << index;
    EXPECT_TRUE(contains(r->value["Program call flow"].get<std::string>(), "sequenceDiagram")) << index;
  }
}

TEST(StructuredOutputFixtures, BothSnakeTaskListsValidateAgainstTheTasksSchema) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  for (std::size_t index : {202u, 391u}) {
    auto r = extract_structured(reply_at(dir, index), kTasksSchema);
    ASSERT_TRUE(r.ok()) << index << ": " << r.error().message;
    EXPECT_EQ(r->value["Logic Analysis"][0][0], "game.py") << index;
  }
}

TEST(StructuredOutputFixtures, TheSplit2048PrdRepliesValidateNodeByNode) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  const std::vector<std::pair<std::size_t, OutputSchema>> cases = {
      {421, OutputSchema{{field("issue_type", "str")}}},
      {422, OutputSchema{{field("Product Goals", "list[str]")}}},
      {423, OutputSchema{{field("Competitive Analysis", "list[str]")}}},
      {424, OutputSchema{{field("Requirement Pool", "list[list[str]]")}}},
  };
  for (const auto& [index, schema] : cases) {
    auto r = extract_structured(reply_at(dir, index), schema);
    ASSERT_TRUE(r.ok()) << index << ": " << r.error().message;
  }
  EXPECT_EQ(extract_structured(reply_at(dir, 421), {})->value["issue_type"], "REQUIREMENT");
}

TEST(StructuredOutputFixtures, APrdWithoutContentTagsStillValidates) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  auto r = extract_structured(reply_at(dir, 138), kPrdSchema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value["Project Name"], "search_engine");
  EXPECT_TRUE(has_repair(*r, "no [CONTENT] tags")) << joined(r->repairs);
}

TEST(StructuredOutputFixtures, JsonAfterChatterAndMermaidBlocksIsFound) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  // 287: two mermaid blocks full of braces, then the object in a ```python fence.
  OutputSchema summary{{field("files_to_modify", "object")}};
  auto r = extract_structured(reply_at(dir, 287), summary);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->value["files_to_modify"].contains("obstacle.py"));
  EXPECT_TRUE(has_repair(*r, "removed code fences")) << joined(r->repairs);

  // 29: an invoice in prose, then the object with Chinese keys and no fence.
  OutputSchema invoice{{field("收款人", "str"), field("总费用/元", "str")}};
  auto invoice_reply = extract_structured(reply_at(dir, 29), invoice);
  ASSERT_TRUE(invoice_reply.ok()) << invoice_reply.error().message;
  EXPECT_EQ(invoice_reply->value["总费用/元"], "412.00");

  // 348: a fenced object with no tags.
  OutputSchema reflection{{field("reflection", "str"), field("improved_impl", "str")}};
  auto reflection_reply = extract_structured(reply_at(dir, 348), reflection);
  ASSERT_TRUE(reflection_reply.ok()) << reflection_reply.error().message;
}

TEST(StructuredOutputFixtures, EveryContentReplyParsesWithoutCrashing) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  const auto& cache = rsp_cache(dir);
  std::size_t tagged = 0, parsed = 0, repaired = 0;
  std::size_t index = 0;
  for (auto it = cache.begin(); it != cache.end(); ++it, ++index) {
    if (!it->is_string()) continue;
    const auto& reply = it->get_ref<const std::string&>();
    if (reply.find("[CONTENT]") == std::string::npos) continue;
    ++tagged;
    auto r = extract_structured(reply, {});
    if (!r.ok()) {
      std::cout << "entry " << index << " does not parse: " << r.error().message << "\n";
      continue;
    }
    ++parsed;
    if (!r->repairs.empty()) {
      ++repaired;
      std::cout << "entry " << index << " needed: " << joined(r->repairs) << "\n";
    }
  }
  std::cout << parsed << " of " << tagged << " [CONTENT] replies parse, " << repaired << " needed repairs\n";
  EXPECT_EQ(tagged, 79u);
  EXPECT_GE(parsed, 79u);  // measured: all 79, none needing a repair
}

TEST(StructuredOutputFixtures, NoReplyInTheCacheMakesEitherExtractorThrow) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  std::size_t replies = 0;
  for (const auto& reply : rsp_cache(dir)) {
    if (!reply.is_string()) continue;
    ++replies;
    const auto& text = reply.get_ref<const std::string&>();
    EXPECT_NO_THROW({
      auto r = extract_structured(text, kPrdSchema);
      (void)r;
      (void)extract_code(text);
    });
  }
  EXPECT_EQ(replies, 408u);
}

TEST(StructuredOutputFixtures, TheSnakeCodeReplyYieldsTheGameModule) {
  AGENTCO_REQUIRE_FIXTURES(dir);
  for (std::size_t index : {203u, 392u}) {
    std::string code = extract_code(reply_at(dir, index));
    EXPECT_TRUE(code.starts_with("## game.py")) << index << ": " << code.substr(0, 80);
    EXPECT_TRUE(contains(code, "class Game")) << index;
    EXPECT_EQ(code.find("```"), std::string::npos) << index;
  }
}

}  // namespace
}  // namespace agentco
