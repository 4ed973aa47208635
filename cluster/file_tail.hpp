// Follows a file another process appends to (a run's run.jsonl) and hands out what was
// appended since, for a worker to stream. Only whole lines are handed out, unless the
// unfinished line is already longer than a chunk (a chunk may end mid-line: the reader
// concatenates chunks by offset). A file replaced by another (a resume rebuilds run.jsonl)
// is noticed by its inode; `ignored_inode` is a file the tail must not read (the trace a
// worker wrote for a resume to start from, before the resume replaces it).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace agentco {

class FileTail {
 public:
  explicit FileTail(std::filesystem::path file = {}, ino_t ignored_inode = 0)
      : file_(std::move(file)), ignored_inode_(ignored_inode) {}

  void follow(std::filesystem::path file) { file_ = std::move(file); }
  const std::filesystem::path& file() const { return file_; }

  // Bytes appended after offset(), at most `max_bytes`; empty when none (or the file is not
  // there yet). `everything`: hand out an unfinished last line too (the writer has ended).
  std::string peek(std::size_t max_bytes, bool everything = false);
  // The first `n` bytes of the last peek() were published.
  void advance(std::size_t n) { offset_ += n; }
  std::uint64_t offset() const { return offset_; }

 private:
  std::filesystem::path file_;
  ino_t ignored_inode_ = 0;
  ino_t inode_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace agentco
