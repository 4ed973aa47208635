#include "environment/workspace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/hash.hpp"
#include "core/text.hpp"
#include "environment/path_guard.hpp"

namespace agentco {
namespace {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string os_error(int error_number) { return std::strerror(error_number); }

Error io_error(const std::string& what, int error_number) {
  return make_error("io", what + ": " + os_error(error_number));
}

Error refused(const std::string& path, const std::string& reason) {
  return make_error("path", "refused path \"" + path + "\": " + reason);
}

std::vector<std::string> split_components(const std::string& normalized) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = normalized.find('/', start);
    out.push_back(normalized.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

// Explains why openat(dir, name, ...O_NOFOLLOW) failed, in terms the caller can act on.
Error open_failure(int dir, const std::string& name, const std::string& path, int error_number) {
  struct stat info {};
  if (::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(info.st_mode)) {
    return refused(path, "\"" + name + "\" is a symbolic link");
  }
  if (error_number == ELOOP) return refused(path, "\"" + name + "\" is a symbolic link");
  return io_error("cannot open " + path, error_number);
}

// Walks from root to the folder holding the last component, one openat() per step with
// O_NOFOLLOW, so a link swapped in after safe_project_path() checked still cannot redirect us.
Result<UniqueFd> open_parent(const std::filesystem::path& root, const std::vector<std::string>& components,
                             const std::string& path, bool create) {
  UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return io_error("cannot open the project folder " + root.string(), errno);
  for (std::size_t i = 0; i + 1 < components.size(); ++i) {
    const std::string& name = components[i];
    if (create && ::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      return io_error("cannot create the folder for " + path, errno);
    }
    UniqueFd next(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) {
      int error_number = errno;
      if (error_number == ENOTDIR) {
        struct stat info {};
        if (::fstatat(dir.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(info.st_mode)) {
          return refused(path, "\"" + name + "\" is a file, not a folder");
        }
      }
      return open_failure(dir.get(), name, path, error_number);
    }
    dir = std::move(next);
  }
  return dir;
}

}  // namespace

Workspace::Workspace(std::filesystem::path root, std::unique_ptr<GitRepo> repo)
    : root_(std::move(root)), repo_(std::move(repo)) {}

Result<std::unique_ptr<Workspace>> Workspace::open(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(root, ec);
  if (ec) return make_error("io", "cannot resolve " + root.string() + ": " + ec.message());
  std::filesystem::create_directories(absolute, ec);
  if (ec)
    return make_error("io", "cannot create the project folder " + absolute.string() + ": " + ec.message());
  auto repo = GitRepo::open_or_init(absolute);
  if (!repo) return repo.error();
  return std::unique_ptr<Workspace>(new Workspace(absolute, std::move(repo).value()));
}

Result<WrittenFile> Workspace::write(std::string_view proposed_path, std::string_view content) {
  auto safe = safe_project_path(root_, proposed_path);
  if (!safe) return safe.error();
  const std::string& path = safe.value();
  auto components = split_components(path);
  auto dir = open_parent(root_, components, path, /*create=*/true);
  if (!dir) return dir.error();

  // No O_TRUNC here: the file is checked first. O_NONBLOCK keeps a FIFO from hanging us, and
  // a file with other hard links may be someone else's file reached from inside the project.
  const std::string& name = components.back();
  UniqueFd file(
      ::openat(dir->get(), name.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644));
  if (file.get() < 0) {
    if (errno == EISDIR) return refused(path, "it is a folder");
    if (errno == ENXIO) return refused(path, "it is not a regular file");  // a FIFO nobody reads
    return open_failure(dir->get(), name, path, errno);
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return io_error("cannot inspect " + path, errno);
  if (!S_ISREG(info.st_mode)) return refused(path, "it is not a regular file");
  if (info.st_nlink > 1) return refused(path, "it has other hard links");
  if (::ftruncate(file.get(), 0) != 0) return io_error("cannot truncate " + path, errno);

  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(file.get(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write " + path, errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(file.release()) != 0) return io_error("cannot write " + path, errno);
  return WrittenFile{path, sha256_hex(content), content.size()};
}

Result<std::string> Workspace::read(std::string_view relative_path) const {
  auto safe = safe_project_path(root_, relative_path);
  if (!safe) return safe.error();
  const std::string& path = safe.value();
  auto components = split_components(path);
  auto dir = open_parent(root_, components, path, /*create=*/false);
  if (!dir) return dir.error();
  const std::string& name = components.back();
  UniqueFd file(::openat(dir->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0) return open_failure(dir->get(), name, path, errno);
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return io_error("cannot inspect " + path, errno);
  if (!S_ISREG(info.st_mode)) return refused(path, "it is not a regular file");

  std::string out;
  out.reserve(static_cast<std::size_t>(info.st_size));
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read " + path, errno);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

bool Workspace::exists(std::string_view relative_path) const {
  auto safe = safe_project_path(root_, relative_path);
  if (!safe) return false;
  struct stat info {};
  return ::lstat((root_ / safe.value()).c_str(), &info) == 0;
}

Result<std::string> Workspace::commit(const std::vector<std::string>& paths, const std::string& role,
                                      const std::string& message) {
  std::vector<std::string> normalized;
  normalized.reserve(paths.size());
  for (const auto& path : paths) {
    auto safe = safe_project_path(root_, path);
    if (!safe) return safe.error();
    normalized.push_back(std::move(safe).value());
  }
  return repo_->commit(normalized, role, slugify(role) + "@agentco.local", message);
}

std::vector<CommitInfo> Workspace::log() const { return repo_->log(); }

Status Workspace::rename_root(const std::filesystem::path& new_root) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::absolute(new_root, ec);
  if (ec) return make_error("io", "cannot resolve " + new_root.string() + ": " + ec.message());
  // rename(2) would silently replace an empty folder; a name clash is the caller's to resolve.
  if (std::filesystem::exists(std::filesystem::symlink_status(target, ec))) {
    return make_error("io", "cannot rename the project folder to " + target.string() + ": it already exists");
  }
  std::filesystem::rename(root_, target, ec);
  if (ec) {
    return make_error("io", "cannot rename the project folder " + root_.string() + " to " + target.string() +
                                ": " + ec.message());
  }
  root_ = target;
  auto repo = GitRepo::open_or_init(root_);
  if (!repo) return repo.error();
  repo_ = std::move(repo).value();
  return ok_status();
}

}  // namespace agentco
