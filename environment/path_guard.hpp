// Path safety for file names proposed by the model (untrusted input).
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentco {

// Checks `proposed` as a path inside the project folder `root` and returns it normalized and
// relative ("./src//a.py" -> "src/a.py"). Refused (error code "path", message naming the
// value and the reason): empty names, absolute paths, "~", any ".." component, NUL or
// control characters, backslashes, a component over 255 bytes or a whole path over 4096,
// Windows device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without extension),
// anything inside ".git", the run's own files at the top (run.jsonl, meta.json), and any
// path whose existing part passes through a symbolic link.
Result<std::string> safe_project_path(const std::filesystem::path& root, std::string_view proposed);

}  // namespace agentco
