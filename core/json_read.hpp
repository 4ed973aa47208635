// Reading members of JSON that a user can edit or another tool wrote (a trace, meta.json):
// each function gives the member as the type asked for, the fallback when it is absent or
// null, and nullopt when it holds another type or a number the type cannot hold. Never
// throws and never converts out of range (json::value() does both). `object` may be any
// JSON value; a non-object has no members.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace agentco {

std::optional<std::string> read_text(const nlohmann::json& object, const char* key, const std::string& fallback);
std::optional<long long> read_integer(const nlohmann::json& object, const char* key, long long fallback,
                                      long long min, long long max);
std::optional<double> read_number(const nlohmann::json& object, const char* key, double fallback);
std::optional<bool> read_flag(const nlohmann::json& object, const char* key, bool fallback);

}  // namespace agentco
