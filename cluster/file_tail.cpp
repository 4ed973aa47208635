#include "cluster/file_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace agentco {

std::string FileTail::peek(std::size_t max_bytes, bool everything) {
  if (file_.empty()) return {};
  const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && st.st_ino != ignored_inode_) {
    if (inode_ == 0) inode_ = st.st_ino;
    // Another file at the path (a resume rebuilt it) after this one was read from: the
    // caller's stream holds this one's bytes, so the tail stops here (never mixes two files).
    if (st.st_ino == inode_ && static_cast<std::uint64_t>(st.st_size) > offset_) {
      const std::size_t want =
          std::min<std::uint64_t>(max_bytes, static_cast<std::uint64_t>(st.st_size) - offset_);
      out.resize(want);
      const ssize_t got = ::pread(fd, out.data(), want, static_cast<off_t>(offset_));
      out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
      if (!everything && out.size() < max_bytes) {
        const auto end = out.rfind('\n');
        out.resize(end == std::string::npos ? 0 : end + 1);
      }
    }
  }
  ::close(fd);
  return out;
}

}  // namespace agentco
