#include "importers/import_limits.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace agentco {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRaiseHint = "raise it with --max-file-size, --max-total-size or --max-ratio if you trust the source";

// Runs `unzip -Zl` and returns what it printed on stdout; nullopt when it could not run
// or failed. (The listing is read from zipinfo's text: parsing the archive's central
// directory by hand would be a second, unreviewed zip parser.)
Result<std::string> zip_listing(const fs::path& zip) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error("import", "cannot create a pipe for unzip");
  std::string path = zip.string();
  std::vector<char*> argv = {const_cast<char*>("unzip"), const_cast<char*>("-Zl"), path.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "unzip", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return make_error("import", "cannot run 'unzip' (install the Debian package unzip)");
  }
  std::string out;
  char buffer[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error("import", zip.string() + ": not a readable zip archive (unzip -Zl failed)");
  }
  return out;
}

}  // namespace

std::string describe_bytes(std::uint64_t bytes) {
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.{}f} {}", value, value < 10 && value != static_cast<std::uint64_t>(value) ? 1 : 0, units[unit]);
}

Status check_zip_limits(const fs::path& zip, const ImportLimits& limits) {
  auto listing = zip_listing(zip);
  if (!listing) return listing.error();
  // zipinfo's long format: "-rw-r--r--  3.0 unx   104857600 bx   101850 defN 24-Jan-01 00:00 name";
  // the name may hold spaces, the six fields before it do not.
  std::istringstream lines(*listing);
  std::uint64_t total = 0, packed_total = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string mode, version, system, size_text, type, packed_text, method, date, time;
    if (!(fields >> mode >> version >> system >> size_text >> type >> packed_text >> method >> date >> time)) continue;
    if (mode.size() != 10 || size_text.find_first_not_of("0123456789") != std::string::npos ||
        packed_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // the header and the summary line
    }
    std::string name;
    std::getline(fields >> std::ws, name);
    const std::uint64_t size = std::strtoull(size_text.c_str(), nullptr, 10);
    const std::uint64_t packed = std::strtoull(packed_text.c_str(), nullptr, 10);
    if (size > limits.max_file_bytes) {
      return make_error("import", fmt::format("{}: entry '{}' unpacks to {}, more than the {} a file may have; {}",
                                              zip.string(), name, describe_bytes(size),
                                              describe_bytes(limits.max_file_bytes), kRaiseHint));
    }
    // Tiny entries compress oddly (a 100-byte run of spaces is 20:1 in a few bytes): only
    // entries of at least 64 KiB are judged by their ratio one by one.
    if (size >= (64u << 10) && static_cast<double>(size) > limits.max_ratio * static_cast<double>(std::max<std::uint64_t>(packed, 1))) {
      return make_error("import", fmt::format("{}: entry '{}' unpacks {} from {} ({:.0f} times), more than the ratio "
                                              "of {:.0f} allowed (a zip bomb?); {}",
                                              zip.string(), name, describe_bytes(size), describe_bytes(packed),
                                              static_cast<double>(size) / static_cast<double>(std::max<std::uint64_t>(packed, 1)),
                                              limits.max_ratio, kRaiseHint));
    }
    total += size;
    packed_total += packed;
    if (total > limits.max_total_bytes) {
      return make_error("import", fmt::format("{}: its entries unpack to more than the {} an import may read; {}",
                                              zip.string(), describe_bytes(limits.max_total_bytes), kRaiseHint));
    }
  }
  if (total >= (1u << 20) && static_cast<double>(total) > limits.max_ratio * static_cast<double>(std::max<std::uint64_t>(packed_total, 1))) {
    return make_error("import", fmt::format("{}: unpacks {} from {} in all, more than the ratio of {:.0f} allowed; {}",
                                            zip.string(), describe_bytes(total), describe_bytes(packed_total),
                                            limits.max_ratio, kRaiseHint));
  }
  return ok_status();
}

Status check_tree_limits(const fs::path& folder, const ImportLimits& limits) {
  std::error_code ec;
  std::uint64_t total = 0;
  auto check = [&](const fs::path& file, std::uint64_t size) -> Status {
    if (size > limits.max_file_bytes) {
      return make_error("import", fmt::format("{}: {} is more than the {} a file may have; {}", file.string(),
                                              describe_bytes(size), describe_bytes(limits.max_file_bytes), kRaiseHint));
    }
    total += size;
    if (total > limits.max_total_bytes) {
      return make_error("import", fmt::format("{}: its files hold more than the {} an import may read; {}",
                                              folder.string(), describe_bytes(limits.max_total_bytes), kRaiseHint));
    }
    return ok_status();
  };
  if (fs::is_regular_file(fs::symlink_status(folder, ec))) return check(folder, fs::file_size(folder, ec));
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::uint64_t size = it->file_size(ec);
    if (ec) break;
    if (auto status = check(it->path(), size); !status) return status;
  }
  if (ec) return make_error("import", folder.string() + ": cannot read the folder: " + ec.message());
  return ok_status();
}

}  // namespace agentco
