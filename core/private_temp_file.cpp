#include "core/private_temp_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace agentco {
namespace fs = std::filesystem;

Result<PrivateTempFile> PrivateTempFile::create(std::string_view prefix, std::string_view suffix,
                                                std::string_view content) {
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  std::string name = (dir / (std::string(prefix) + "XXXXXX" + std::string(suffix))).string();
  const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) return make_error("io", name + ": cannot create a temporary file: " + std::strerror(errno));
  PrivateTempFile file{fs::path(name)};
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error_number = errno;
      ::close(fd);
      return make_error("io", name + ": cannot write: " + std::strerror(error_number));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return make_error("io", name + ": cannot write: " + std::strerror(errno));
  return file;
}

PrivateTempFile::~PrivateTempFile() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove(path_, ec);
}

}  // namespace agentco
