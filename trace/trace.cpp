#include "trace/trace.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "core/hash.hpp"
#include "core/secrets.hpp"
#include "core/text.hpp"

namespace agentco {
namespace {

constexpr std::string_view kCrcMarker = ",\"crc\":\"";
constexpr std::string_view kEmptyCrcMarker = "{\"crc\":\"";
constexpr std::size_t kCrcDigits = 8;

Error trace_error(std::string message) { return make_error("trace", std::move(message)); }

bool is_lower_hex(std::string_view digits) {
  for (char c : digits) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A run_start announcing a newer schema than this binary reads, whether or not its line
// verifies (a newer writer may also have changed how lines are sealed).
std::optional<std::string> newer_schema_version(const nlohmann::json& record) {
  if (!record.is_object()) return std::nullopt;
  auto type = record.find("type");
  auto version = record.find("schema_version");
  if (type == record.end() || version == record.end()) return std::nullopt;
  if (!type->is_string() || type->get<std::string>() != "run_start" || !version->is_number())
    return std::nullopt;
  if (version->get<double>() <= kTraceSchemaVersion) return std::nullopt;
  return version->dump();
}

Error newer_schema_error(const std::string& file, const std::string& version) {
  return trace_error(file + ": trace schema version " + version +
                     " is newer than this agentco reads (version " + std::to_string(kTraceSchemaVersion) +
                     "); upgrade agentco");
}

Result<TraceContents> parse_trace(std::string_view data, const std::string& file) {
  TraceContents contents;
  std::size_t pos = 0;
  std::size_t line_number = 0;
  while (pos < data.size()) {
    std::size_t newline = data.find('\n', pos);
    const bool terminated = newline != std::string_view::npos;
    const std::size_t end = terminated ? newline : data.size();
    std::string_view line = data.substr(pos, end - pos);
    const std::size_t next = terminated ? end + 1 : end;
    const bool last = next >= data.size();
    ++line_number;

    auto record = open_trace_record(line);
    if (!record) {
      auto loose = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (auto version = newer_schema_version(loose)) return newer_schema_error(file, *version);
      if (!last) return trace_error(file + ":" + std::to_string(line_number) + ": " + record.error().message);
      contents.warnings.push_back("dropped a torn last record at line " + std::to_string(line_number));
      break;
    }
    if (auto version = newer_schema_version(record.value())) return newer_schema_error(file, *version);
    // Each line checks only itself; the numbering is what shows a deleted, repeated or
    // swapped line, so a gap is damage as much as a bad checksum is.
    const std::uint64_t expected = contents.records.size() + 1;
    const auto seq = record->find("seq");
    if (seq == record->end() || !seq->is_number_unsigned() || seq->get<std::uint64_t>() != expected) {
      const std::string found = seq == record->end() ? "no seq" : "seq " + seq->dump();
      return trace_error(file + ":" + std::to_string(line_number) + ": " + found +
                         (expected == 1 ? " where the trace must start at seq 1"
                                        : " follows seq " + std::to_string(expected - 1)) +
                         ": a record is missing, repeated or out of order");
    }
    contents.records.push_back(std::move(record).value());
    contents.valid_bytes = next;
    pos = next;
  }
  return contents;
}

// Fault injection for the resume tests: AGENTCO_CRASH_AT_RECORD=N kills the process with
// SIGKILL right after record N reaches the file (the state a `kill -9` at that moment leaves);
// "N:torn" writes only half of record N first (a crash in the middle of a write); "N:full"
// fails the write of record N as a full disk does (ENOSPC). Read once.
struct CrashPoint {
  std::uint64_t seq = 0;
  bool torn = false;
  bool full = false;
};

const CrashPoint& crash_point() {
  static const CrashPoint point = [] {
    CrashPoint p;
    if (const char* text = std::getenv("AGENTCO_CRASH_AT_RECORD")) {
      p.seq = std::strtoull(text, nullptr, 10);
      p.torn = std::strstr(text, ":torn") != nullptr;
      p.full = std::strstr(text, ":full") != nullptr;
    }
    return p;
  }();
  return point;
}

}  // namespace

std::string seal_trace_record(const nlohmann::json& record) {
  if (!record.is_object()) throw std::invalid_argument("trace record must be a JSON object");
  if (record.contains("crc")) throw std::invalid_argument("trace record must not carry its own \"crc\"");
  // Model output may hold invalid UTF-8; the trace must still be written, so it is replaced.
  return seal_trace_text(record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string seal_trace_text(std::string_view object_text) {
  // No configured secret is ever written, even when a server echoed one back.
  std::string body = scrub_secrets(std::string(object_text));
  std::string crc = crc32_hex(body);
  body.pop_back();  // the closing '}'
  if (body.size() > 1) body.push_back(',');
  body += "\"crc\":\"";
  body += crc;
  body += "\"}";
  return body;
}

Result<nlohmann::json> open_trace_record(std::string_view line) {
  std::string body;
  std::size_t digits_at = 0;
  std::size_t marker = line.rfind(kCrcMarker);
  if (marker != std::string_view::npos) {
    body.assign(line.substr(0, marker));
    body.push_back('}');
    digits_at = marker + kCrcMarker.size();
  } else if (line.substr(0, kEmptyCrcMarker.size()) == kEmptyCrcMarker) {
    body = "{}";
    digits_at = kEmptyCrcMarker.size();
  } else {
    return trace_error("record has no checksum");
  }
  if (line.size() != digits_at + kCrcDigits + 2 || line.substr(digits_at + kCrcDigits) != "\"}" ||
      !is_lower_hex(line.substr(digits_at, kCrcDigits))) {
    return trace_error("record checksum is malformed");
  }
  std::string_view stored = line.substr(digits_at, kCrcDigits);
  std::string computed = crc32_hex(body);
  if (stored != computed) {
    return trace_error("record checksum mismatch (stored " + std::string(stored) + ", computed " + computed +
                       ")");
  }
  auto record = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return trace_error("record is not valid JSON");
  if (!record.is_object()) return trace_error("record is not a JSON object");
  return record;
}

Result<TraceContents> read_trace(const std::filesystem::path& file) {
  std::string data;
  if (!read_file(file.string(), data)) return trace_error(file.string() + ": cannot read the trace");
  return parse_trace(data, file.string());
}

TraceWriter::TraceWriter(std::filesystem::path path, std::FILE* file, std::uint64_t seq)
    : path_(std::move(path)), file_(file), seq_(seq) {}

TraceWriter::~TraceWriter() {
  if (file_) std::fclose(file_);
}

Result<std::unique_ptr<TraceWriter>> TraceWriter::open(const std::filesystem::path& file) {
  std::uint64_t seq = 0;
  bool needs_newline = false;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::string data;
    if (!read_file(file.string(), data)) return trace_error(file.string() + ": cannot read the trace");
    auto contents = parse_trace(data, file.string());
    if (!contents) return contents.error();
    const std::size_t valid = contents->valid_bytes;
    if (valid < data.size() && ::truncate(file.c_str(), static_cast<off_t>(valid)) != 0) {
      return trace_error(file.string() + ": cannot cut the torn last record: " + std::strerror(errno));
    }
    // A last record that verified but lost its newline must not be glued to the next one.
    needs_newline = valid > 0 && data[valid - 1] != '\n';
    if (!contents->records.empty()) {
      const auto& last = contents->records.back();
      auto it = last.find("seq");
      if (it != last.end() && it->is_number_unsigned()) {
        seq = it->get<std::uint64_t>();
      } else {
        seq = contents->records.size();
      }
    }
  }
  std::FILE* handle = std::fopen(file.c_str(), "abe");  // 'e': O_CLOEXEC, keep it from child processes
  if (!handle) return trace_error(file.string() + ": cannot open for appending: " + std::strerror(errno));
  // Unbuffered: each record is flushed anyway, and a failed write must leave nothing queued.
  std::setvbuf(handle, nullptr, _IONBF, 0);
  if (needs_newline && (std::fputc('\n', handle) == EOF || std::fflush(handle) != 0)) {
    int error_number = errno;
    std::fclose(handle);
    return trace_error(file.string() + ": cannot write: " + std::strerror(error_number));
  }
  return std::unique_ptr<TraceWriter>(new TraceWriter(file, handle, seq));
}

std::uint64_t TraceWriter::append(std::string_view type, nlohmann::json fields) {
  if (!failure_.empty()) throw TraceWriteError(failure_);
  if (!fields.is_object()) fields = nlohmann::json{{"value", std::move(fields)}};
  const std::uint64_t seq = seq_ + 1;
  fields["seq"] = seq;
  fields["ts"] = iso_timestamp_now();
  fields["type"] = type;
  std::string line = seal_trace_record(fields);
  line.push_back('\n');
  return write_line(seq, line);
}

std::uint64_t TraceWriter::append_members(std::string_view type, std::string_view members) {
  if (!failure_.empty()) throw TraceWriteError(failure_);
  const std::uint64_t seq = seq_ + 1;
  std::string line = sealed_members(seq, type, members);
  return write_line(seq, line);
}

std::uint64_t TraceWriter::append_members(const std::vector<std::pair<std::string, std::string>>& records) {
  if (!failure_.empty()) throw TraceWriteError(failure_);
  if (crash_point().seq != 0) {  // the fault injection counts single records
    for (const auto& [type, members] : records) append_members(type, members);
    return seq_;
  }
  std::string lines;
  std::uint64_t seq = seq_;
  for (const auto& [type, members] : records) lines += sealed_members(++seq, type, members);
  if (records.empty()) return seq_;
  return write_line(seq, lines);
}

std::string TraceWriter::sealed_members(std::uint64_t seq, std::string_view type, std::string_view members) {
  std::string body;
  body.reserve(members.size() + 96);
  body += '{';
  body += members;
  if (!members.empty()) body += ',';
  body += "\"seq\":" + std::to_string(seq) + ",\"ts\":\"" + iso_timestamp_now() + "\",\"type\":";
  body += nlohmann::json(type).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  body += '}';
  std::string line = seal_trace_text(body);
  line.push_back('\n');
  return line;
}

std::uint64_t TraceWriter::write_line(std::uint64_t seq, const std::string& line) {
  const CrashPoint& crash = crash_point();
  if (crash.full && crash.seq == seq) {
    failure_ = "cannot write " + path_.string() + ": " + std::strerror(ENOSPC);
    throw TraceWriteError(failure_);
  }
  if (crash.seq == seq && !crash.full) {
    const std::size_t length = crash.torn ? line.size() / 2 : line.size();
    (void)!::write(fileno(file_), line.data(), length);
    ::kill(::getpid(), SIGKILL);
  }

  struct stat info {};
  if (::fstat(fileno(file_), &info) != 0) {
    failure_ = "cannot inspect " + path_.string() + ": " + std::strerror(errno);
    throw TraceWriteError(failure_);
  }
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    int error_number = errno;
    // Leave no half line behind: the next record would otherwise follow a torn one.
    std::clearerr(file_);
    if (::ftruncate(fileno(file_), info.st_size) != 0) {
      // The torn tail stays; readers drop it only while it is last.
    }
    failure_ = "cannot write " + path_.string() + ": " + std::strerror(error_number);
    throw TraceWriteError(failure_);
  }
  seq_ = seq;
  return seq;
}

}  // namespace agentco
