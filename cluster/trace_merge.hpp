// A record of another process's trace, taken apart without parsing its values, for the
// coordinator of a spread simulation to append to its own trace (TraceWriter::
// append_members): its type, its seq, and every other member as JSON text. A merged trace
// of a million actors holds millions of records; scanning each line once costs a fraction
// of parsing and printing it again.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentco {

struct ForeignRecord {
  std::string type;
  std::uint64_t seq = 0;
  std::string members;  // "\"k\":v,..." without seq, ts, type and crc, in the line's order
};

// Nothing when the line is not one JSON object with a string "type" (a torn or foreign line).
std::optional<ForeignRecord> split_trace_line(std::string_view line);

}  // namespace agentco
