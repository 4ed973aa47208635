// Fuzz target: a run.jsonl as `agentco resume`, `replay`, `stats` and the viewer read it:
// read_trace (line by line, checksums), open_trace_record per line, then the readers that
// interpret the records (run statistics, the recorded run of a replay), and TraceWriter::open
// on the file followed by one append, which must leave a trace that reads back.
//
// Input: the trace bytes. When the input starts with "#seal\n", every following line that is
// a JSON object is sealed with its checksum first, so that mutations reach the record readers
// instead of stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "replay/recorded_run.hpp"
#include "stats/run_stats.hpp"
#include "trace/trace.hpp"

namespace {

std::string seal_lines(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && !record.contains("crc"))
      out += agentco::seal_trace_record(record);
    else
      out += line;
    if (end == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  std::string_view input = fuzz::as_text(data, size);
  std::string bytes = input.starts_with("#seal\n") ? seal_lines(input.substr(6)) : std::string(input);

  static const std::filesystem::path dir = fuzz::scratch_dir() / "run";
  static const std::filesystem::path file = dir / "run.jsonl";
  fuzz::write_bytes(file, bytes);

  std::string_view rest = bytes;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    (void)open_trace_record(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }

  Result<TraceContents> contents = read_trace(file);
  if (contents) {
    (void)compute_run_stats(contents->records, nlohmann::json::object());
    (void)compute_run_stats(dir);
    (void)read_recorded_run(dir);
  }

  auto writer = TraceWriter::open(file);
  if (writer.ok() != contents.ok()) fuzz::fail("TraceWriter::open and read_trace disagree on the file");
  if (writer) {
    const std::size_t before = contents->records.size();
    (*writer)->append("fuzz", {{"note", "appended"}});
    writer->reset();
    Result<TraceContents> after = read_trace(file);
    if (!after) fuzz::fail("a trace does not read back after an append: " + after.error().message);
    if (after->records.size() != before + 1) fuzz::fail("the appended record is not the last one read back");
  }
  return 0;
}
