// Helpers shared by the config loader's files (config/ only): where a YAML value sits, what
// it is in words, and the closest known name for a typo. Not part of the config's interface.
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentco::config_detail {

// "FILE:LINE" for a mark, or the source alone when the mark has no line.
std::string location(const std::string& source, const YAML::Mark& mark);

// A node in words for messages: "a map", "a list", "'text'", "nothing".
std::string describe(const YAML::Node& node);

// An Error with code "config".
Error config_error(std::string message);

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` (compared as `compare_as[i]`), if it is close enough to be a
// plausible typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                   const std::vector<std::string>& compare_as);

// "unknown key 'PREFIX.NAME'" with the closest known key ("(did you mean 'PREFIX.KEY'?)") or,
// when none is close, the known keys.
std::string unknown_key_in(const std::string& prefix, const std::string& name, const std::vector<std::string>& known);

// "a, b, c".
std::string join(const std::vector<std::string>& items);

}  // namespace agentco::config_detail
