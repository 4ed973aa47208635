// Pins core/json_schema.hpp: each keyword accepts and rejects, problems carry JSON Pointer
// paths in document order and messages a model can act on, the schemas of MCP's filesystem
// server (as zod-to-json-schema writes them) work, check_schema() names broken schemas, and
// hostile values and schemas (deep nesting, $ref loops, huge strings, exponential
// alternatives) end with a problem instead of a crash.
#include "core/json_schema.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/text.hpp"

namespace agentco {
namespace {

using nlohmann::json;

std::string problems_of(const json& value, const json& schema) {
  return describe_problems(validate_against_schema(value, schema));
}

bool accepts(const json& schema, const json& value) { return validate_against_schema(value, schema).empty(); }

std::vector<std::string> paths_of(const std::vector<SchemaProblem>& problems) {
  std::vector<std::string> paths;
  for (const SchemaProblem& p : problems) paths.push_back(p.path);
  return paths;
}

// An array nested `depth` levels deep around `inner`, built without recursion.
json nested_arrays(int depth, json inner = json::array()) {
  json value = std::move(inner);
  for (int i = 0; i < depth; ++i) value = json::array({std::move(value)});
  return value;
}

// MCP filesystem server tools, as zod-to-json-schema emits their inputSchema.
const json kEditFile = json::parse(R"({
  "type": "object",
  "properties": {
    "path": {"type": "string"},
    "edits": {"type": "array", "items": {"type": "object",
      "properties": {"oldText": {"type": "string", "description": "Text to search for - must match exactly"},
                     "newText": {"type": "string", "description": "Text to replace with"}},
      "required": ["oldText", "newText"], "additionalProperties": false}},
    "dryRun": {"type": "boolean", "default": false, "description": "Preview changes using git-style diff format"}
  },
  "required": ["path", "edits"], "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"})");

const json kReadTextFile = json::parse(R"({
  "type": "object",
  "properties": {
    "path": {"type": "string"},
    "tail": {"type": "number", "description": "If provided, returns only the last N lines of the file"},
    "head": {"type": "number", "description": "If provided, returns only the first N lines of the file"}
  },
  "required": ["path"], "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"})");

const json kSearchFiles = json::parse(R"({
  "type": "object",
  "properties": {
    "path": {"type": "string"},
    "pattern": {"type": "string"},
    "excludePatterns": {"type": "array", "items": {"type": "string"}, "default": []}
  },
  "required": ["path", "pattern"], "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"})");

// ---- the filesystem server's tools --------------------------------------------------------

TEST(JsonSchemaFilesystemTools, AWellFormedEditFileCallPasses) {
  EXPECT_TRUE(check_schema(kEditFile).empty());
  EXPECT_TRUE(accepts(kEditFile, json::parse(R"({"path": "src/main.cpp",
      "edits": [{"oldText": "int x;", "newText": "int x = 0;"}], "dryRun": true})")));
  EXPECT_TRUE(accepts(kEditFile, json::parse(R"({"path": "a", "edits": []})")));
}

TEST(JsonSchemaFilesystemTools, AnEditFileCallWithMistakesGetsEveryProblemWithItsPath) {
  const auto problems = validate_against_schema(
      json::parse(R"({"edits": [{"oldText": "a", "newText": "b"}, {"old_text": "a", "newText": 3}],
                      "dryRun": "yes"})"),
      kEditFile);
  EXPECT_EQ(describe_problems(problems),
            "missing required property \"path\"; "
            "/dryRun: expected boolean, got string \"yes\"; "
            "/edits/1: missing required property \"oldText\"; "
            "/edits/1/newText: expected string, got number 3; "
            "/edits/1/old_text: unexpected property; allowed: \"newText\" or \"oldText\"; did you mean "
            "\"oldText\"?");
  EXPECT_EQ(paths_of(problems),
            (std::vector<std::string>{"", "/dryRun", "/edits/1", "/edits/1/newText", "/edits/1/old_text"}));
}

TEST(JsonSchemaFilesystemTools, ReadTextFileAndSearchFilesTakeTheirOptionalMembers) {
  EXPECT_TRUE(accepts(kReadTextFile, json::parse(R"({"path": "README.md", "head": 10})")));
  EXPECT_EQ(problems_of(json::parse(R"({"path": "README.md", "head": "10"})"), kReadTextFile),
            "/head: expected number, got string \"10\"");
  EXPECT_EQ(problems_of(json::parse(R"({"file": "README.md"})"), kReadTextFile),
            "missing required property \"path\"; /file: unexpected property; allowed: \"head\", \"path\" or "
            "\"tail\"");
  EXPECT_TRUE(accepts(kSearchFiles,
                      json::parse(R"({"path": ".", "pattern": "*.cpp", "excludePatterns": ["build"]})")));
  EXPECT_EQ(problems_of(json::parse(R"({"path": ".", "pattern": "*.cpp", "excludePatterns": "build"})"),
                        kSearchFiles),
            "/excludePatterns: expected array, got string \"build\"");
}

TEST(JsonSchemaFilesystemTools, ArgumentsThatAreNoObjectAreRefusedAtTheRoot) {
  EXPECT_EQ(problems_of(json::array({"a"}), kEditFile), "expected object, got array");
  EXPECT_EQ(problems_of(nullptr, kEditFile), "expected object, got null");
}

// ---- types --------------------------------------------------------------------------------

TEST(JsonSchemaType, BooleanSchemasAcceptEverythingOrNothing) {
  EXPECT_TRUE(accepts(true, json::parse(R"({"any": [1, "thing"]})")));
  EXPECT_TRUE(accepts(json::object(), 3));
  EXPECT_EQ(problems_of(3, false), "no value is allowed here");
  EXPECT_EQ(problems_of(json::parse(R"({"a": 1})"), json::parse(R"({"properties": {"a": false}})")),
            "/a: no value is allowed here");
}

TEST(JsonSchemaType, EachTypeNameAcceptsItsValuesAndNamesWhatItGot) {
  EXPECT_TRUE(accepts({{"type", "string"}}, "x"));
  EXPECT_TRUE(accepts({{"type", "boolean"}}, false));
  EXPECT_TRUE(accepts({{"type", "null"}}, nullptr));
  EXPECT_TRUE(accepts({{"type", "object"}}, json::object()));
  EXPECT_TRUE(accepts({{"type", "array"}}, json::array()));
  EXPECT_EQ(problems_of(3, {{"type", "string"}}), "expected string, got number 3");
  EXPECT_EQ(problems_of(true, {{"type", "string"}}), "expected string, got boolean true");
  EXPECT_EQ(problems_of("3", {{"type", "number"}}), "expected number, got string \"3\"");
  EXPECT_EQ(problems_of(json::object(), {{"type", "array"}}), "expected array, got object");
  EXPECT_EQ(problems_of(json::array(), {{"type", "null"}}), "expected null, got array");
}

TEST(JsonSchemaType, IntegerTakesWholeNumbersWrittenEitherWayAndNumberTakesIntegers) {
  const json integer = {{"type", "integer"}};
  EXPECT_TRUE(accepts(integer, 3));
  EXPECT_TRUE(accepts(integer, json::parse("3.0")));
  EXPECT_TRUE(accepts(integer, json::parse("-7")));
  EXPECT_TRUE(accepts(integer, json::parse("18446744073709551615")));
  EXPECT_EQ(problems_of(json::parse("3.5"), integer), "expected integer, got number 3.5");
  EXPECT_EQ(problems_of("3", integer), "expected integer, got string \"3\"");
  EXPECT_TRUE(accepts({{"type", "number"}}, 3));
  EXPECT_TRUE(accepts({{"type", "number"}}, 2.5));
}

TEST(JsonSchemaType, AListOfTypesTakesAnyOfThem) {
  const json nullable = {{"type", {"string", "null"}}};
  EXPECT_TRUE(accepts(nullable, "x"));
  EXPECT_TRUE(accepts(nullable, nullptr));
  EXPECT_EQ(problems_of(3, nullable), "expected string or null, got number 3");
  EXPECT_EQ(problems_of(3, {{"type", {"string", "null", "boolean"}}}),
            "expected string, null or boolean, got number 3");
}

TEST(JsonSchemaType, AWrongTypeIsTheOnlyProblemReportedThere) {
  EXPECT_EQ(problems_of(5, {{"type", "string"}, {"minLength", 3}, {"enum", {"abc"}}}),
            "expected string, got number 5");
}

// ---- objects ------------------------------------------------------------------------------

TEST(JsonSchemaObject, RequiredPropertiesAreNamedOneByOne) {
  const json schema = {{"type", "object"}, {"required", {"a", "b"}}};
  EXPECT_TRUE(accepts(schema, {{"a", 1}, {"b", nullptr}}));
  EXPECT_EQ(problems_of({{"b", 1}}, schema), "missing required property \"a\"");
  EXPECT_EQ(problems_of(json::object(), schema),
            "missing required property \"a\"; missing required property \"b\"");
}

TEST(JsonSchemaObject, PropertiesApplyToTheirMembersAtNestedPaths) {
  const json schema = json::parse(R"({"properties": {"a": {"properties": {"b": {"type": "integer"}}}}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"a": {"b": 1}, "c": "anything"})")));
  EXPECT_EQ(problems_of(json::parse(R"({"a": {"b": "1"}})"), schema),
            "/a/b: expected integer, got string \"1\"");
}

TEST(JsonSchemaObject, PathTokensEscapeTildeAndSlash) {
  const json schema = json::parse(R"({"additionalProperties": {"type": "string"}})");
  const auto problems = validate_against_schema(json::parse(R"({"a/b": 1, "c~d": 2})"), schema);
  EXPECT_EQ(paths_of(problems), (std::vector<std::string>{"/a~1b", "/c~0d"}));
}

TEST(JsonSchemaObject, AdditionalPropertiesFalseNamesTheAllowedOnesAndTheLikelyTypo) {
  const json schema =
      json::parse(R"({"properties": {"path": {}, "dryRun": {}}, "additionalProperties": false})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"path": "a", "dryRun": true})")));
  EXPECT_EQ(problems_of(json::parse(R"({"dry_run": true})"), schema),
            "/dry_run: unexpected property; allowed: \"dryRun\" or \"path\"; did you mean \"dryRun\"?");
  EXPECT_EQ(problems_of(json::parse(R"({"zzz": 1})"), json::parse(R"({"additionalProperties": false})")),
            "/zzz: unexpected property (no properties are allowed here)");
}

TEST(JsonSchemaObject, AdditionalPropertiesAsASchemaChecksTheOtherMembers) {
  const json schema =
      json::parse(R"({"properties": {"n": {"type": "number"}}, "additionalProperties": {"type": "string"}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"n": 1, "x": "y"})")));
  EXPECT_EQ(problems_of(json::parse(R"({"n": 1, "x": 2})"), schema), "/x: expected string, got number 2");
}

TEST(JsonSchemaObject, PatternPropertiesApplyToMatchingNamesAndTheRestAreAdditional) {
  const json schema =
      json::parse(R"({"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"x-trace": "on"})")));
  EXPECT_EQ(problems_of(json::parse(R"({"x-trace": 1})"), schema), "/x-trace: expected string, got number 1");
  EXPECT_EQ(problems_of(json::parse(R"({"trace": "on"})"), schema),
            "/trace: unexpected property; allowed: names matching \"^x-\"");
}

TEST(JsonSchemaObject, PropertyNamesCheckTheNamesThemselves) {
  const json schema = json::parse(R"({"propertyNames": {"maxLength": 3}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"abc": 1})")));
  EXPECT_EQ(problems_of(json::parse(R"({"abcd": 1})"), schema),
            "/abcd: the property name: expected at most 3 characters, got 4");
}

TEST(JsonSchemaObject, MinAndMaxPropertiesCountMembers) {
  const json schema = json::parse(R"({"minProperties": 1, "maxProperties": 2})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"a": 1})")));
  EXPECT_EQ(problems_of(json::object(), schema), "expected at least 1 property, got 0");
  EXPECT_EQ(problems_of(json::parse(R"({"a": 1, "b": 2, "c": 3})"), schema),
            "expected at most 2 properties, got 3");
}

// ---- arrays -------------------------------------------------------------------------------

TEST(JsonSchemaArray, ItemsApplyToEveryItemAtItsIndex) {
  const json schema = json::parse(R"({"items": {"type": "string"}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"(["a", "b"])")));
  EXPECT_EQ(problems_of(json::parse(R"(["a", 2, "c", null])"), schema),
            "/1: expected string, got number 2; /3: expected string, got null");
}

TEST(JsonSchemaArray, PrefixItemsCheckPositionsAndItemsFalseLimitsTheLength) {
  const json schema =
      json::parse(R"({"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false})");
  EXPECT_TRUE(accepts(schema, json::parse(R"(["a", 1])")));
  EXPECT_TRUE(accepts(schema, json::parse(R"(["a"])")));
  EXPECT_EQ(problems_of(json::parse(R"([1, 1])"), schema), "/0: expected string, got number 1");
  EXPECT_EQ(problems_of(json::parse(R"(["a", 1, true])"), schema), "expected at most 2 items, got 3");
}

TEST(JsonSchemaArray, Draft07ItemsListIsPositionalWithAdditionalItemsForTheRest) {
  const json schema =
      json::parse(R"({"items": [{"type": "string"}], "additionalItems": {"type": "number"}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"(["a", 1, 2])")));
  EXPECT_EQ(problems_of(json::parse(R"(["a", "b"])"), schema), "/1: expected number, got string \"b\"");
}

TEST(JsonSchemaArray, MinAndMaxItemsCountItems) {
  const json schema = json::parse(R"({"minItems": 1, "maxItems": 2})");
  EXPECT_TRUE(accepts(schema, json::parse("[1]")));
  EXPECT_EQ(problems_of(json::array(), schema), "expected at least 1 item, got 0");
  EXPECT_EQ(problems_of(json::parse("[1, 2, 3]"), schema), "expected at most 2 items, got 3");
}

TEST(JsonSchemaArray, UniqueItemsComparesByJsonValueNotSpelling) {
  const json schema = json::parse(R"({"uniqueItems": true})");
  EXPECT_TRUE(accepts(schema, json::parse(R"([1, "1", [1], {"a": 1}, true, null])")));
  EXPECT_EQ(problems_of(json::parse("[1, 2, 1.0]"), schema),
            "expected unique items, but items 0 and 2 are equal");
  EXPECT_EQ(problems_of(json::parse(R"([{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}])"), schema),
            "expected unique items, but items 0 and 1 are equal");
  EXPECT_TRUE(accepts(json::parse(R"({"uniqueItems": false})"), json::parse("[1, 1]")));
}

// ---- allowed values -----------------------------------------------------------------------

TEST(JsonSchemaValues, EnumListsTheAllowedValues) {
  const json schema = json::parse(R"({"enum": ["red", "green", "blue"]})");
  EXPECT_TRUE(accepts(schema, "green"));
  EXPECT_EQ(problems_of("pink", schema), "expected \"red\", \"green\" or \"blue\", got string \"pink\"");
  EXPECT_TRUE(accepts(json::parse(R"({"enum": [1, null, {"a": [1]}]})"), json::parse(R"({"a": [1.0]})")));
}

TEST(JsonSchemaValues, ALongEnumIsCutInTheMessage) {
  json values = json::array();
  for (int i = 0; i < 25; ++i) values.push_back("v" + std::to_string(i));
  EXPECT_EQ(
      problems_of("x", {{"enum", values}}),
      "expected \"v0\", \"v1\", \"v2\", \"v3\", \"v4\", \"v5\", \"v6\", \"v7\", \"v8\", \"v9\" or 15 more, "
      "got string \"x\"");
  const std::string long_value(1000, 'a');
  EXPECT_EQ(problems_of("x", {{"enum", {long_value}}}),
            "expected \"" + std::string(40, 'a') + "...\", got string \"x\"");
}

TEST(JsonSchemaValues, ConstTakesExactlyOneValue) {
  EXPECT_TRUE(accepts({{"const", nullptr}}, nullptr));
  EXPECT_EQ(problems_of(0, {{"const", nullptr}}), "expected null, got number 0");
  EXPECT_TRUE(accepts({{"const", 2}}, 2.0));
  EXPECT_EQ(problems_of("b", {{"const", "a"}}), "expected \"a\", got string \"b\"");
  EXPECT_EQ(problems_of(json::parse("[1, 2]"), json::parse(R"({"const": [1]})")), "expected [1], got array");
}

// ---- numbers ------------------------------------------------------------------------------

TEST(JsonSchemaNumber, InclusiveBoundsTakeTheBoundItself) {
  const json schema = json::parse(R"({"minimum": 1, "maximum": 10})");
  EXPECT_TRUE(accepts(schema, 1));
  EXPECT_TRUE(accepts(schema, 10.0));
  EXPECT_EQ(problems_of(0, schema), "expected at least 1, got number 0");
  EXPECT_EQ(problems_of(10.5, schema), "expected at most 10, got number 10.5");
}

TEST(JsonSchemaNumber, ExclusiveBoundsRefuseTheBoundInBothDrafts) {
  const json schema = json::parse(R"({"exclusiveMinimum": 0, "exclusiveMaximum": 1})");
  EXPECT_TRUE(accepts(schema, 0.5));
  EXPECT_EQ(problems_of(0, schema), "expected more than 0, got number 0");
  EXPECT_EQ(problems_of(1, schema), "expected less than 1, got number 1");
  const json draft4 =
      json::parse(R"({"minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": false})");
  EXPECT_EQ(problems_of(0, draft4), "expected more than 0, got number 0");
  EXPECT_TRUE(accepts(draft4, 1));
}

TEST(JsonSchemaNumber, LargeIntegersCompareExactly) {
  EXPECT_EQ(problems_of(json::parse("9007199254740993"), json::parse(R"({"maximum": 9007199254740992})")),
            "expected at most 9007199254740992, got number 9007199254740993");
  EXPECT_TRUE(accepts(json::parse(R"({"minimum": -1})"), json::parse("18446744073709551615")));
}

TEST(JsonSchemaNumber, MultipleOfAllowsForDecimalRounding) {
  EXPECT_TRUE(accepts({{"multipleOf", 5}}, 10));
  EXPECT_TRUE(accepts({{"multipleOf", 5}}, -10));
  EXPECT_EQ(problems_of(12, {{"multipleOf", 5}}), "expected a multiple of 5, got number 12");
  EXPECT_TRUE(accepts({{"multipleOf", 0.1}}, 0.3));
  EXPECT_TRUE(accepts({{"multipleOf", 0.01}}, 19.99));
  EXPECT_EQ(problems_of(0.25, {{"multipleOf", 0.1}}), "expected a multiple of 0.1, got number 0.25");
  EXPECT_FALSE(accepts({{"multipleOf", 1}}, 1e-12));
  EXPECT_TRUE(accepts({{"multipleOf", 0}}, 3));  // a broken keyword is skipped
}

// ---- strings ------------------------------------------------------------------------------

TEST(JsonSchemaString, LengthsCountCodePointsNotBytes) {
  const json schema = json::parse(R"({"minLength": 2, "maxLength": 5})");
  EXPECT_TRUE(accepts(schema, "h\xC3\xA9llo"));  // 6 bytes, 5 characters
  EXPECT_TRUE(accepts(schema, "\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D"));
  EXPECT_EQ(problems_of("a", schema), "expected at least 2 characters, got 1");
  EXPECT_EQ(problems_of("abcdef", schema), "expected at most 5 characters, got 6");
}

TEST(JsonSchemaString, PatternIsSearchedAnywhereUnlessAnchored) {
  EXPECT_TRUE(accepts({{"pattern", "b+"}}, "abbbc"));
  EXPECT_EQ(problems_of("ac", {{"pattern", "b+"}}),
            "expected a string matching the pattern \"b+\", got string \"ac\"");
  const json anchored = {{"pattern", "^[a-z]+$"}};
  EXPECT_TRUE(accepts(anchored, "abc"));
  EXPECT_FALSE(accepts(anchored, "abc1"));
  EXPECT_FALSE(accepts(anchored, "1abc"));
  EXPECT_FALSE(accepts(anchored, "abc\ndef"));
  EXPECT_TRUE(accepts({{"pattern", "a|^b"}}, "xa"));
  EXPECT_FALSE(accepts({{"pattern", "^a|b$"}}, "xax"));
  EXPECT_TRUE(accepts({{"pattern", "\\bfoo"}}, "x foo"));
  EXPECT_FALSE(accepts({{"pattern", "\\bfoo"}}, "xfoo"));
  EXPECT_TRUE(accepts({{"pattern", "^\\d{4}-\\d{2}-\\d{2}$"}}, "2025-06-18"));
}

TEST(JsonSchemaString, AStringPastTheRegexLimitIsReportedNotMatched) {
  const std::string megabyte(1 << 20, 'a');
  EXPECT_EQ(problems_of(megabyte, {{"pattern", "^a+$"}}),
            "too long to check against the pattern \"^a+$\": 1048576 bytes, at most " +
                std::to_string(kRegexInputLimit));
  EXPECT_TRUE(accepts({{"pattern", "^a+$"}}, std::string(kRegexInputLimit, 'a')));
  EXPECT_TRUE(accepts({{"maxLength", 1 << 20}}, megabyte));
}

TEST(JsonSchemaString, ABacktrackingPatternRunsInBoundedTime) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(
      problems_of(std::string(kRegexInputLimit, 'a'), {{"pattern", "(a+)+b"}}),
      "expected a string matching the pattern \"(a+)+b\", got string \"" + std::string(40, 'a') + "...\"");
  EXPECT_TRUE(accepts({{"pattern", "^(a|aa)+$"}}, std::string(kRegexInputLimit, 'a')));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // backtracking: years
}

TEST(JsonSchemaString, AnUnusablePatternIsSkippedAndNamedByCheckSchema) {
  for (const std::string pattern : {"([a-z]", "(?<=a)b", "(a)\\1", "(a?){500}a{500}"}) {
    const json schema = {{"type", "string"}, {"pattern", pattern}};
    EXPECT_TRUE(accepts(schema, "anything")) << pattern;
    const auto problems = check_schema(schema);
    ASSERT_EQ(problems.size(), 1u) << pattern;
    EXPECT_TRUE(problems[0].starts_with("#: the pattern ")) << problems[0];
  }
  EXPECT_NE(check_schema({{"pattern", "(a)\\1"}})[0].find("back-reference"), std::string::npos);
  EXPECT_NE(check_schema({{"pattern", "(a?){500}a{500}"}})[0].find("too large"), std::string::npos);
}

TEST(JsonSchemaString, TextThatIsNotUtf8StillGetsAMessage) {
  EXPECT_EQ(problems_of("\xFF\xFE", {{"type", "number"}}),
            "expected number, got string \"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

// ---- combinators --------------------------------------------------------------------------

TEST(JsonSchemaCombinators, AnyOfOfTypesOrValuesSaysWhichOnesInOneLine) {
  const json nullable = json::parse(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})");
  EXPECT_TRUE(accepts(nullable, nullptr));
  EXPECT_EQ(problems_of(3, nullable), "expected string or null, got number 3");
  const json literals =
      json::parse(R"({"anyOf": [{"const": "a"}, {"enum": ["b", "c"]}, {"type": "integer"}]})");
  EXPECT_TRUE(accepts(literals, 4));
  EXPECT_EQ(problems_of("d", literals), "expected \"a\", \"b\", \"c\" or integer, got string \"d\"");
}

TEST(JsonSchemaCombinators, AnyOfOfObjectsReportsTheAlternativeWhoseTagFits) {
  const json shapes = json::parse(R"({"anyOf": [
      {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]},
      {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
       "required": ["kind", "side"]}]})");
  EXPECT_TRUE(accepts(shapes, json::parse(R"({"kind": "square", "side": 2})")));
  EXPECT_EQ(
      problems_of(json::parse(R"({"kind": "square", "r": 2})"), shapes),
      "matches none of the 2 alternatives of anyOf; the closest is alternative 2, whose problems follow; "
      "missing required property \"side\"");
}

TEST(JsonSchemaCombinators, OneOfWantsExactlyOneMatch) {
  const json schema = json::parse(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})");
  EXPECT_TRUE(accepts(schema, 1));
  EXPECT_TRUE(accepts(schema, 2.5));
  EXPECT_EQ(problems_of(3, schema), "matches alternatives 1 and 2 of oneOf; it must match exactly one");
  EXPECT_EQ(
      problems_of(json::parse("1.5"), schema),
      "matches none of the 2 alternatives of oneOf; the closest is alternative 2, whose problems follow; "
      "expected at least 2, got number 1.5");
}

TEST(JsonSchemaCombinators, AllOfAppliesEverySchema) {
  const json schema = json::parse(R"({"allOf": [{"type": "string"}, {"minLength": 2}, {"pattern": "^a"}]})");
  EXPECT_TRUE(accepts(schema, "ab"));
  EXPECT_EQ(problems_of("b", schema),
            "expected at least 2 characters, got 1; expected a string matching the pattern \"^a\", got "
            "string \"b\"");
}

TEST(JsonSchemaCombinators, NotRefusesWhatItsSchemaTakes) {
  const json schema = json::parse(R"({"not": {"type": "null"}})");
  EXPECT_TRUE(accepts(schema, 0));
  EXPECT_EQ(problems_of(nullptr, schema), "not allowed: the value matches the schema under \"not\"");
}

TEST(JsonSchemaCombinators, IfThenElseChoosesTheBranchByTheCondition) {
  const json schema = json::parse(R"({"if": {"properties": {"unit": {"const": "pct"}}},
      "then": {"properties": {"value": {"maximum": 100}}}, "else": {"properties": {"value": {"minimum": 0}}}})");
  EXPECT_TRUE(accepts(schema, json::parse(R"({"unit": "pct", "value": -5})")));
  EXPECT_EQ(problems_of(json::parse(R"({"unit": "pct", "value": 150})"), schema),
            "/value: expected at most 100, got number 150");
  EXPECT_EQ(problems_of(json::parse(R"({"unit": "m", "value": -5})"), schema),
            "/value: expected at least 0, got number -5");
}

// ---- $ref ---------------------------------------------------------------------------------

TEST(JsonSchemaRef, DefsAndDefinitionsResolve) {
  const json schema =
      json::parse(R"({"properties": {"a": {"$ref": "#/$defs/name"}, "b": {"$ref": "#/definitions/n"}},
      "$defs": {"name": {"type": "string"}}, "definitions": {"n": {"type": "number"}}})");
  EXPECT_TRUE(check_schema(schema).empty());
  EXPECT_TRUE(accepts(schema, json::parse(R"({"a": "x", "b": 1})")));
  EXPECT_EQ(problems_of(json::parse(R"({"a": 1, "b": "x"})"), schema),
            "/a: expected string, got number 1; /b: expected number, got string \"x\"");
}

TEST(JsonSchemaRef, PointerEscapesAndPercentEncodingAreDecoded) {
  const json schema =
      json::parse(R"({"$defs": {"a/b": {"type": "string"}, "c~d": {"type": "number"}, "e f": {"const": 1}},
      "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c~0d"}, "z": {"$ref": "#/$defs/e%20f"}}})");
  EXPECT_TRUE(check_schema(schema).empty());
  EXPECT_EQ(problems_of(json::parse(R"({"x": 1, "y": "1", "z": 2})"), schema),
            "/x: expected string, got number 1; /y: expected number, got string \"1\"; /z: expected 1, got "
            "number 2");
}

TEST(JsonSchemaRef, ZodStyleRefsIntoPropertiesAndItemsResolve) {
  const json schema = json::parse(R"({"type": "object", "properties": {
      "from": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]},
      "to": {"$ref": "#/properties/from"},
      "via": {"type": "array", "items": {"$ref": "#/properties/from"}}}})");
  EXPECT_TRUE(check_schema(schema).empty());
  EXPECT_EQ(
      problems_of(json::parse(R"({"from": {"x": 1}, "to": {}, "via": [{"x": 2}, {"x": "3"}]})"), schema),
      "/to: missing required property \"x\"; /via/1/x: expected number, got string \"3\"");
}

TEST(JsonSchemaRef, TheRootRefDescribesATree) {
  const json tree = json::parse(R"({"type": "object", "properties": {"name": {"type": "string"},
      "children": {"type": "array", "items": {"$ref": "#"}}}, "required": ["name"]})");
  EXPECT_TRUE(accepts(
      tree, json::parse(R"({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]})")));
  EXPECT_EQ(problems_of(json::parse(R"({"name": "a", "children": [{"name": "b", "children": [{}]}]})"), tree),
            "/children/0/children/0: missing required property \"name\"");
}

TEST(JsonSchemaRef, RemoteAndUnresolvedRefsAcceptAnythingAndCheckSchemaNamesThem) {
  const json remote = json::parse(R"({"properties": {"a": {"$ref": "https://example.com/s.json#/x"}}})");
  EXPECT_TRUE(accepts(remote, json::parse(R"({"a": 1})")));
  EXPECT_EQ(check_schema(remote),
            (std::vector<std::string>{
                "#/properties/a: $ref \"https://example.com/s.json#/x\" is not in this document "
                "(only \"#...\" references are followed); it accepts any value"}));
  const json missing = json::parse(R"({"$ref": "#/$defs/nothing"})");
  EXPECT_TRUE(accepts(missing, 1));
  EXPECT_EQ(check_schema(missing),
            (std::vector<std::string>{"#: $ref \"#/$defs/nothing\" does not resolve; it accepts any value"}));
  EXPECT_FALSE(check_schema(json::parse(R"({"$ref": "#/$defs/x%zz"})")).empty());
  EXPECT_FALSE(check_schema(json::parse(R"({"$ref": "#anchor"})")).empty());
}

// ---- problems: order, limits, words -------------------------------------------------------

TEST(JsonSchemaProblems, AreInDocumentOrderWithIndicesComparedAsNumbers) {
  const json schema = json::parse(R"({"items": {"type": "string"}, "allOf": [{"maxItems": 3}]})");
  json value = json::array();
  for (int i = 0; i < 12; ++i) value.push_back(i == 2 || i == 10 ? json(i) : json("s"));
  EXPECT_EQ(paths_of(validate_against_schema(value, schema)), (std::vector<std::string>{"", "/2", "/10"}));
  // Keys that look like indices sort as numbers, before the others: a consistent order.
  const auto keyed = validate_against_schema(json::parse(R"({"1z": 0, "10": 0, "2": 0, "a": 0})"),
                                             json::parse(R"({"additionalProperties": false})"));
  EXPECT_EQ(paths_of(keyed), (std::vector<std::string>{"/2", "/10", "/1z", "/a"}));
}

TEST(JsonSchemaProblems, StopAtTheLimitAndZeroMeansOne) {
  json required = json::array();
  for (int i = 0; i < 50; ++i) required.push_back("p" + std::to_string(i));
  const json schema = {{"required", required}};
  EXPECT_EQ(validate_against_schema(json::object(), schema).size(), 20u);
  EXPECT_EQ(validate_against_schema(json::object(), schema, 3).size(), 3u);
  EXPECT_EQ(validate_against_schema(json::object(), schema, 0).size(), 1u);
  EXPECT_EQ(validate_against_schema(json::object(), schema, 100).size(), 50u);
}

TEST(JsonSchemaProblems, TheSameInputsGiveTheSameProblems) {
  const json value = json::parse(R"({"edits": [{"x": 1}, 2], "dryRun": 0, "zz": null})");
  EXPECT_EQ(problems_of(value, kEditFile), problems_of(value, kEditFile));
  EXPECT_EQ(validate_against_schema(value, kEditFile).size(), 7u);
}

TEST(JsonSchemaProblems, DescribeJoinsThemAndCutsAHugePath) {
  EXPECT_EQ(describe_problems({}), "");
  EXPECT_EQ(describe_problems({{"", "a"}, {"/x", "b"}}), "a; /x: b");
  const std::string path = "/" + std::string(1000, 'k');
  EXPECT_EQ(describe_problems({{path, "m"}}), path.substr(0, 200) + "...: m");
}

TEST(JsonSchemaProblems, AnnotationsAndFormatAssertNothing) {
  const json schema = json::parse(R"({"title": "t", "description": "d", "default": 3, "examples": [1],
      "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x", "format": "email",
      "x-custom": {"type": "number"}})");
  EXPECT_TRUE(check_schema(schema).empty());
  EXPECT_TRUE(accepts(schema, "not an email"));
}

// ---- check_schema -------------------------------------------------------------------------

TEST(JsonSchemaCheck, NamesEachBrokenKeywordWithItsPointer) {
  const json schema = json::parse(R"({"type": "object", "required": "path",
      "properties": {"path": {"type": "strng"}, "n": {"minimum": "1", "multipleOf": 0, "maxLength": -1},
                     "e": {"enum": []}, "x": 5},
      "anyOf": [], "items": [true, 3]})");
  EXPECT_EQ(check_schema(schema),
            (std::vector<std::string>{
                "#: \"required\" must be a list of property names",
                "#: \"anyOf\" must be a non-empty list of schemas",
                "#/items/1: expected a schema (an object, true or false), got number",
                "#/properties/e: \"enum\" is empty, so no value can match",
                "#/properties/n: \"minimum\" must be a number, got string",
                "#/properties/n: \"multipleOf\" must be greater than 0",
                "#/properties/n: \"maxLength\" must be a non-negative integer",
                "#/properties/path: unknown type \"strng\" (the types are null, boolean, object, array, "
                "number, integer "
                "or string); did you mean \"string\"?",
                "#/properties/x: expected a schema (an object, true or false), got number",
            }));
}

TEST(JsonSchemaCheck, ASchemaThatIsNoObjectIsNamedAndConstrainsNothing) {
  EXPECT_EQ(check_schema(5),
            (std::vector<std::string>{"#: expected a schema (an object, true or false), got number"}));
  EXPECT_EQ(check_schema("string"),
            (std::vector<std::string>{"#: expected a schema (an object, true or false), got string"}));
  EXPECT_TRUE(check_schema(true).empty());
  EXPECT_TRUE(accepts(5, json::parse(R"({"a": 1})")));
  EXPECT_TRUE(accepts(nullptr, 1));
}

TEST(JsonSchemaCheck, StopsAtFiftyProblems) {
  json properties = json::object();
  for (int i = 0; i < 200; ++i) properties["p" + std::to_string(i)] = i;
  EXPECT_EQ(check_schema({{"properties", properties}}).size(), 50u);
}

TEST(JsonSchemaCheck, AHugeSchemaIsCheckedUpToTheWorkLimitAndSaysSo) {
  json properties = json::object();
  for (int i = 0; i < 120000; ++i) properties["p" + std::to_string(i)] = json::object();
  properties["p0"] = {{"type", "strng"}};
  const auto problems = check_schema({{"properties", properties}});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(problems[0].starts_with("#: too large to check completely")) << problems[0];
  EXPECT_TRUE(problems[1].starts_with("#/properties/p0: unknown type")) << problems[1];
}

// ---- hostile input ------------------------------------------------------------------------

TEST(JsonSchemaHostile, ADeeplyNestedValueIsFollowedOnly64Levels) {
  const json value = nested_arrays(10000);
  EXPECT_TRUE(accepts(json::object(), value));
  EXPECT_TRUE(accepts({{"type", "array"}}, value));
  const auto problems =
      validate_against_schema(value, json::parse(R"({"type": "array", "items": {"$ref": "#"}})"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "nested deeper than 64 levels; not checked further");
  EXPECT_EQ(std::count(problems[0].path.begin(), problems[0].path.end(), '/'), 65);
  EXPECT_TRUE(accepts(json::parse(R"({"type": "array", "items": {"$ref": "#"}})"), nested_arrays(60)));
}

TEST(JsonSchemaHostile, DeepValuesInEnumAndUniqueItemsAreNotComparedAllTheWayDown) {
  const json deep = nested_arrays(10000);
  EXPECT_EQ(problems_of(deep, {{"enum", {1, 2}}}), "nested too deeply to compare with the allowed values");
  json two_deep = json::array();  // json's copy constructor recurses, so build in place
  two_deep.push_back(nested_arrays(10000));
  two_deep.push_back(nested_arrays(10000));
  EXPECT_EQ(problems_of(two_deep, {{"uniqueItems", true}}),
            "item 0 is nested too deeply to compare with the others");
  EXPECT_EQ(problems_of(deep, {{"const", 1}}), "nested too deeply to compare with the allowed values");
}

TEST(JsonSchemaHostile, ARefLoopEndsWithAProblemAndCheckSchemaNamesIt) {
  const json loop = json::parse(R"({"$ref": "#"})");
  EXPECT_EQ(problems_of(nested_arrays(10000), loop),
            "the schema nests more than 256 subschemas here (a $ref loop?); not checked further");
  EXPECT_EQ(check_schema(loop),
            (std::vector<std::string>{"#: $ref \"#\" leads into a loop of $refs, which no value can pass"}));
  const json pair =
      json::parse(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}},
      "$ref": "#/$defs/a"})");
  EXPECT_FALSE(accepts(pair, 1));
}

TEST(JsonSchemaHostile, AlternativesInsideAlternativesStopAtTheWorkLimit) {
  // Each level tries both alternatives before failing at the bottom: 2^60 paths unbounded.
  const json schema = json::parse(R"({"anyOf": [{"type": "array", "items": {"$ref": "#"}},
                                                {"type": "array", "items": {"$ref": "#"}, "minItems": 1}]})");
  const auto problems = validate_against_schema(nested_arrays(60, json::array({1})), schema);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].path, "");
  EXPECT_TRUE(problems[0].message.starts_with("too much work to check")) << problems[0].message;
}

TEST(JsonSchemaHostile, AHugeArrayEndsAtTheWorkLimit) {
  const json value(std::vector<int>(300000, 1));
  EXPECT_TRUE(accepts({{"type", "array"}, {"maxItems", 1000000}}, value));  // keywords on the array: cheap
  const auto problems = validate_against_schema(value, {{"items", {{"type", "integer"}}}});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(problems[0].message.starts_with("too much work to check")) << problems[0].message;
}

TEST(JsonSchemaHostile, ADeeplyNestedSchemaIsCheckedAndUsedToABound) {
  json schema = json::object();
  for (int i = 0; i < 10000; ++i) schema = {{"allOf", {std::move(schema)}}};
  const auto problems = check_schema(schema);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("nested deeper than 256 levels"), std::string::npos);
  EXPECT_EQ(problems_of(1, schema),
            "the schema nests more than 256 subschemas here (a $ref loop?); not checked further");
}

TEST(JsonSchemaHostile, AHugePropertyNameIsReportedAgainstPatternProperties) {
  const json schema =
      json::parse(R"({"patternProperties": {"^x": {"type": "string"}}, "additionalProperties": false})");
  const std::string name(kRegexInputLimit + 1, 'x');
  const auto problems = validate_against_schema({{name, "v"}}, schema);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(
      problems[0].message.starts_with("the property name is too long to check against patternProperties"));
}

}  // namespace
}  // namespace agentco
