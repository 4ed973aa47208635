#include "core/json_read.hpp"

#include <cmath>

namespace agentco {
namespace {

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

std::optional<std::string> read_text(const nlohmann::json& object, const char* key, const std::string& fallback) {
  const nlohmann::json* m = member(object, key);
  if (!m) return fallback;
  if (!m->is_string()) return std::nullopt;
  return m->get<std::string>();
}

std::optional<long long> read_integer(const nlohmann::json& object, const char* key, long long fallback,
                                      long long min, long long max) {
  const nlohmann::json* m = member(object, key);
  if (!m) return fallback;
  if (m->is_number_unsigned()) {
    const auto value = m->get<unsigned long long>();
    if (max < 0 || value > static_cast<unsigned long long>(max)) return std::nullopt;
    return static_cast<long long>(value);
  }
  if (m->is_number_integer()) {
    const auto value = m->get<long long>();
    if (value < min || value > max) return std::nullopt;
    return value;
  }
  if (m->is_number_float()) {  // 3.0 is 3; 3.5, 1e300 and NaN are no integer
    const double value = m->get<double>();
    if (!(value >= static_cast<double>(min) && value <= static_cast<double>(max) && std::fabs(value) < 9e18) ||
        value != std::floor(value))
      return std::nullopt;
    return static_cast<long long>(value);
  }
  return std::nullopt;
}

std::optional<double> read_number(const nlohmann::json& object, const char* key, double fallback) {
  const nlohmann::json* m = member(object, key);
  if (!m) return fallback;
  if (!m->is_number()) return std::nullopt;
  return m->get<double>();
}

std::optional<bool> read_flag(const nlohmann::json& object, const char* key, bool fallback) {
  const nlohmann::json* m = member(object, key);
  if (!m) return fallback;
  if (!m->is_boolean()) return std::nullopt;
  return m->get<bool>();
}

}  // namespace agentco
