// A value or the reason there is none, for expected failures (STYLE 5): the error side is named,
// so a caller cannot mistake a message for a value (as a variant of two strings let it).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace carehub {

template <typename T>
class Result {
 public:
  static Result ok(T value) { return Result(std::move(value), {}); }
  static Result fail(std::string error) { return Result(std::nullopt, std::move(error)); }

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  // The value; calling it on a failure is a programmer error (std::logic_error).
  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &value(); }
  // Why there is no value; empty on success.
  const std::string& error() const noexcept { return error_; }

 private:
  Result(std::optional<T> value, std::string error)
      : value_(std::move(value)), error_(std::move(error)) {}
  T& checked() {
    if (!value_) throw std::logic_error("Result has no value: " + error_);
    return *value_;
  }
  std::optional<T> value_;
  std::string error_;
};

}  // namespace carehub
