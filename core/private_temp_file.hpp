// A temporary file only this user can read, with a name nobody can guess or claim first
// (mkstemps: O_EXCL, mode 0600), removed when the object goes. For handing text to a
// program or a loader that reads files, e.g. mmdc's browser config or a recorded config.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentco {

class PrivateTempFile {
 public:
  // Creates "<tmp>/<prefix>XXXXXX<suffix>" holding `content`. Error code "io" naming the path.
  static Result<PrivateTempFile> create(std::string_view prefix, std::string_view suffix, std::string_view content);
  PrivateTempFile(PrivateTempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  PrivateTempFile& operator=(PrivateTempFile&&) = delete;
  PrivateTempFile(const PrivateTempFile&) = delete;
  ~PrivateTempFile();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit PrivateTempFile(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace agentco
