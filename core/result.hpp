// Result<T>: a value or an Error. Expected failures (bad model output, a refused path,
// a spent budget) travel as values; exceptions are kept for broken invariants.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace agentco {

// What went wrong, in words a user can act on. `code` is a short stable tag that callers
// and tests may switch on ("budget", "parse", "path", "config", "llm", "interrupted", ...).
struct Error {
  std::string code;
  std::string message;
};

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace agentco
