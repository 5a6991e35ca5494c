// The one error catalogue: every error a client can see has a code here, mapped to an HTTP status
// and a stable string code. The JSON envelope is built in exactly one place (error.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carehub {

enum class ErrorCode {
  kBadRequest,
  kInvalidJson,
  kValidationFailed,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kNotAcceptable,
  kRequestTimeout,
  kConflict,
  kGone,
  kPayloadTooLarge,
  kRangeNotSatisfiable,
  kUnsupportedMediaType,
  kHeadersTooLarge,
  kTooManyRequests,
  kInternal,
  kUnavailable,
};

int http_status(ErrorCode code);
std::string_view error_code_string(ErrorCode code);

// Thrown by handlers (and core code acting for them) to abort a request with a client-visible
// error. Caught at the request boundary and turned into the JSON envelope.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const { return code_; }
  // A header the error answer must carry (Retry-After on 429, for instance).
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  ErrorCode code_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// {"error":{"code","message","request_id"}}
nlohmann::json error_body(ErrorCode code, std::string_view message, std::string_view request_id);

}  // namespace carehub
