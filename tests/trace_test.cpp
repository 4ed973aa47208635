#include "trace/trace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "core/hash.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t newline = text.find('\n', start);
    if (newline == std::string::npos) newline = text.size();
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }
  return lines;
}

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("agentco_trace_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    fs::create_directories(dir_);
    file_ = dir_ / "run.jsonl";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `count` records with a fresh writer and returns the file's bytes.
  std::string write_records(int count) {
    auto writer = TraceWriter::open(file_);
    EXPECT_TRUE(writer.ok()) << writer.error().message;
    for (int i = 0; i < count; ++i)
      writer.value()->append("note", json{{"text", "record " + std::to_string(i)}});
    return read_text(file_);
  }

  fs::path dir_;
  fs::path file_;
};

TEST_F(TraceTest, ASealedRecordOpensToTheSameObject) {
  json record = {{"type", "message"},
                 {"seq", 7},
                 {"nested", {{"list", {1, 2.5, "three", nullptr, true}}, {"empty", json::object()}}},
                 {"quote", "say \"hi\", \"crc\":\"00000000\"}"}};
  std::string line = seal_trace_record(record);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto opened = open_trace_record(line);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), record);
  EXPECT_FALSE(opened.value().contains("crc"));
}

TEST_F(TraceTest, TheChecksumIsOfTheCompactRecordAndComesLast) {
  json record = {{"b", 1}, {"a", "x"}};
  std::string body = record.dump();
  std::string line = seal_trace_record(record);
  EXPECT_EQ(line, body.substr(0, body.size() - 1) + ",\"crc\":\"" + crc32_hex(body) + "\"}");
}

TEST_F(TraceTest, AnEmptyObjectSealsWithoutALeadingComma) {
  std::string line = seal_trace_record(json::object());
  EXPECT_EQ(line, "{\"crc\":\"" + crc32_hex("{}") + "\"}");
  auto opened = open_trace_record(line);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), json::object());
}

TEST_F(TraceTest, SealingRefusesNonObjectsAndRecordsCarryingACrc) {
  EXPECT_THROW(seal_trace_record(json::array({1, 2})), std::invalid_argument);
  EXPECT_THROW(seal_trace_record(json("text")), std::invalid_argument);
  EXPECT_THROW(seal_trace_record(json{{"crc", "x"}}), std::invalid_argument);
}

TEST_F(TraceTest, ATamperedLineIsDetected) {
  std::string line = seal_trace_record(json{{"type", "cost"}, {"usd", 0.25}});
  std::string tampered = line;
  tampered.replace(tampered.find("0.25"), 4, "0.05");
  auto opened = open_trace_record(tampered);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "trace");
  EXPECT_NE(opened.error().message.find("checksum mismatch"), std::string::npos) << opened.error().message;
}

TEST_F(TraceTest, ATamperedChecksumIsDetected) {
  std::string line = seal_trace_record(json{{"type", "cost"}});
  std::string tampered = line;
  char& digit = tampered[tampered.size() - 3];
  digit = digit == '0' ? '1' : '0';
  EXPECT_FALSE(open_trace_record(tampered).ok());
}

TEST_F(TraceTest, LinesWithoutAWellFormedChecksumAreRejected) {
  for (std::string line :
       {std::string(""), std::string("{}"), std::string("{\"type\":\"x\"}"), std::string("not json at all"),
        std::string("{\"a\":1,\"crc\":\"123\"}"), std::string("{\"a\":1,\"crc\":\"ABCDEF12\"}"),
        seal_trace_record(json{{"a", 1}}) + " "}) {
    auto opened = open_trace_record(line);
    ASSERT_FALSE(opened.ok()) << line;
    EXPECT_EQ(opened.error().code, "trace");
  }
}

TEST_F(TraceTest, TheWriterNumbersRecordsFromOneAndAddsTimestampAndType) {
  auto writer = TraceWriter::open(file_);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  EXPECT_EQ(writer.value()->last_seq(), 0u);
  EXPECT_EQ(writer.value()->path(), file_);
  EXPECT_EQ(writer.value()->append("run_start", json{{"schema_version", kTraceSchemaVersion}}), 1u);
  EXPECT_EQ(writer.value()->append("message", json{{"role", "Architect"}}), 2u);
  EXPECT_EQ(writer.value()->last_seq(), 2u);

  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  ASSERT_EQ(contents->records.size(), 2u);
  EXPECT_TRUE(contents->warnings.empty());
  EXPECT_EQ(contents->valid_bytes, fs::file_size(file_));
  EXPECT_EQ(contents->records[0]["seq"], 1);
  EXPECT_EQ(contents->records[0]["type"], "run_start");
  EXPECT_EQ(contents->records[1]["seq"], 2);
  EXPECT_EQ(contents->records[1]["role"], "Architect");
  const std::string ts = contents->records[1]["ts"];
  EXPECT_EQ(ts.size(), 24u);
  EXPECT_EQ(ts.back(), 'Z');
}

TEST_F(TraceTest, TheWriterFlushesEachRecordImmediately) {
  auto writer = TraceWriter::open(file_);
  ASSERT_TRUE(writer.ok());
  writer.value()->append("note", json{{"text", "visible"}});
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->records.size(), 1u);
}

TEST_F(TraceTest, TheWriterWrapsFieldsThatAreNotAnObject) {
  auto writer = TraceWriter::open(file_);
  ASSERT_TRUE(writer.ok());
  writer.value()->append("note", json::array({1, 2}));
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok());
  ASSERT_EQ(contents->records.size(), 1u);
  EXPECT_EQ(contents->records[0]["value"], json::array({1, 2}));
  EXPECT_EQ(contents->records[0]["type"], "note");
}

TEST_F(TraceTest, ATornLastLineIsDroppedWithAWarning) {
  const std::string good = write_records(3);
  write_text(file_, good + "{\"seq\":4,\"ty");
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_EQ(contents->records.size(), 3u);
  ASSERT_EQ(contents->warnings.size(), 1u);
  EXPECT_EQ(contents->warnings[0], "dropped a torn last record at line 4");
  EXPECT_EQ(contents->valid_bytes, good.size());
}

TEST_F(TraceTest, ABadLastLineWithItsNewlineIsAlsoDropped) {
  const std::string good = write_records(2);
  std::string bad = seal_trace_record(json{{"seq", 3}});
  bad[2] = 'X';
  write_text(file_, good + bad + "\n");
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_EQ(contents->records.size(), 2u);
  EXPECT_EQ(contents->warnings, std::vector<std::string>{"dropped a torn last record at line 3"});
  EXPECT_EQ(contents->valid_bytes, good.size());
}

TEST_F(TraceTest, ReopeningTheWriterCutsTheTornTailAndContinuesNumbering) {
  const std::string good = write_records(3);
  write_text(file_, good + "{\"seq\":4,\"type\":\"mess");
  {
    auto writer = TraceWriter::open(file_);
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    EXPECT_EQ(writer.value()->last_seq(), 3u);
    EXPECT_EQ(fs::file_size(file_), good.size());
    EXPECT_EQ(writer.value()->append("note", json{{"text", "after the crash"}}), 4u);
  }
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_TRUE(contents->warnings.empty());
  ASSERT_EQ(contents->records.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(contents->records[i]["seq"], i + 1);
  EXPECT_EQ(contents->records[3]["text"], "after the crash");
}

TEST_F(TraceTest, AValidLastRecordThatLostItsNewlineIsKeptAndNotGluedToTheNext) {
  std::string good = write_records(2);
  good.pop_back();
  write_text(file_, good);
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->records.size(), 2u);
  EXPECT_TRUE(contents->warnings.empty());
  {
    auto writer = TraceWriter::open(file_);
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    EXPECT_EQ(writer.value()->append("note", json::object()), 3u);
  }
  contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_EQ(contents->records.size(), 3u);
  EXPECT_TRUE(contents->warnings.empty());
}

TEST_F(TraceTest, ABadMiddleLineIsAnErrorNamingItsLine) {
  auto lines = split_lines(write_records(3));
  ASSERT_EQ(lines.size(), 3u);
  lines[1].replace(lines[1].find("record 1"), 8, "record 9");
  write_text(file_, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
  auto contents = read_trace(file_);
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, "trace");
  EXPECT_NE(contents.error().message.find(file_.string() + ":2: record checksum mismatch"), std::string::npos)
      << contents.error().message;

  auto writer = TraceWriter::open(file_);
  EXPECT_FALSE(writer.ok()) << "a writer must not append to a damaged trace";
}

// Each line's checksum covers only that line: the numbering shows a line deleted, repeated
// or moved, and such a trace is refused like a line with a bad checksum.
TEST_F(TraceTest, ADeletedSwappedOrRepeatedLineIsAnErrorNamingTheLineAndTheSeq) {
  auto lines = split_lines(write_records(5));
  ASSERT_EQ(lines.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {lines[0] + "\n" + lines[1] + "\n" + lines[3] + "\n" + lines[4] + "\n", ":3: seq 4 follows seq 2"},
      {lines[0] + "\n" + lines[2] + "\n" + lines[1] + "\n" + lines[3] + "\n", ":2: seq 3 follows seq 1"},
      {lines[0] + "\n" + lines[1] + "\n" + lines[1] + "\n" + lines[2] + "\n", ":3: seq 2 follows seq 2"},
      {lines[1] + "\n" + lines[2] + "\n", ":1: seq 2 where the trace must start at seq 1"},
      {seal_trace_record({{"ts", "x"}, {"type", "note"}}) + "\n" + lines[1] + "\n", ":1: no seq"},
      {seal_trace_record({{"seq", "1"}, {"type", "note"}}) + "\n" + lines[1] + "\n", ":1: seq \"1\""},
  };
  for (const auto& [text, expected] : cases) {
    write_text(file_, text);
    auto contents = read_trace(file_);
    ASSERT_FALSE(contents.ok()) << expected;
    EXPECT_NE(contents.error().message.find(file_.string() + expected), std::string::npos) << contents.error().message;
    EXPECT_FALSE(TraceWriter::open(file_).ok()) << "a writer must not append to a damaged trace";
  }
}

TEST_F(TraceTest, AnEmptyLineInTheMiddleIsAnError) {
  auto lines = split_lines(write_records(2));
  write_text(file_, lines[0] + "\n\n" + lines[1] + "\n");
  auto contents = read_trace(file_);
  ASSERT_FALSE(contents.ok());
  EXPECT_NE(contents.error().message.find(":2: "), std::string::npos) << contents.error().message;
}

TEST_F(TraceTest, ANewerSchemaVersionIsAnErrorAskingForAnUpgrade) {
  {
    auto writer = TraceWriter::open(file_);
    ASSERT_TRUE(writer.ok());
    writer.value()->append("run_start", json{{"schema_version", kTraceSchemaVersion + 1}});
    writer.value()->append("note", json::object());
  }
  auto contents = read_trace(file_);
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, "trace");
  EXPECT_EQ(contents.error().message,
            file_.string() +
                ": trace schema version 2 is newer than this agentco reads (version 1); "
                "upgrade agentco");
}

TEST_F(TraceTest, ANewerSchemaIsReportedEvenWhenItsLinesAreSealedDifferently) {
  write_text(file_, "{\"type\":\"run_start\",\"schema_version\":3,\"sha\":\"abc\"}\n{\"type\":\"note\"}\n");
  auto contents = read_trace(file_);
  ASSERT_FALSE(contents.ok());
  EXPECT_NE(contents.error().message.find("trace schema version 3 is newer"), std::string::npos)
      << contents.error().message;
}

TEST_F(TraceTest, TheCurrentSchemaVersionIsRead) {
  {
    auto writer = TraceWriter::open(file_);
    ASSERT_TRUE(writer.ok());
    writer.value()->append("run_start", json{{"schema_version", kTraceSchemaVersion}});
  }
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_EQ(contents->records.size(), 1u);
}

TEST_F(TraceTest, UnicodeContentRoundTripsAsUtf8) {
  const std::string text = "héllo 世界 🚀 \"quoted\" \\ back\nslash\ttab";
  {
    auto writer = TraceWriter::open(file_);
    ASSERT_TRUE(writer.ok());
    writer.value()->append("message", json{{"content", text}, {"角色", "工程师"}});
  }
  EXPECT_NE(read_text(file_).find("世界"), std::string::npos) << "UTF-8 is written as is, not escaped";
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  ASSERT_EQ(contents->records.size(), 1u);
  EXPECT_EQ(contents->records[0]["content"], text);
  EXPECT_EQ(contents->records[0]["角色"], "工程师");
}

TEST_F(TraceTest, InvalidUtf8IsReplacedInsteadOfLosingTheRecord) {
  std::string line;
  ASSERT_NO_THROW(line = seal_trace_record(json{{"content", std::string("cut \xe4\xb8")}}));
  auto opened = open_trace_record(line);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value()["content"].get<std::string>().substr(0, 4), "cut ");
}

TEST_F(TraceTest, AnEmptyTraceHasNoRecords) {
  write_text(file_, "");
  auto contents = read_trace(file_);
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(contents->records.empty());
  EXPECT_EQ(contents->valid_bytes, 0u);
}

TEST_F(TraceTest, ReadingAMissingTraceIsAnError) {
  auto contents = read_trace(dir_ / "absent.jsonl");
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, "trace");
}

}  // namespace
}  // namespace agentco
