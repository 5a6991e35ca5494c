#include "carehub/error.hpp"

namespace carehub {
namespace {

struct Entry {
  int status;
  std::string_view code;
};

constexpr Entry entry(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest: return {400, "bad_request"};
    case ErrorCode::kInvalidJson: return {400, "invalid_json"};
    case ErrorCode::kValidationFailed: return {422, "validation_failed"};
    case ErrorCode::kUnauthorized: return {401, "unauthorized"};
    case ErrorCode::kForbidden: return {403, "forbidden"};
    case ErrorCode::kNotFound: return {404, "not_found"};
    case ErrorCode::kMethodNotAllowed: return {405, "method_not_allowed"};
    case ErrorCode::kNotAcceptable: return {406, "not_acceptable"};
    case ErrorCode::kRequestTimeout: return {408, "request_timeout"};
    case ErrorCode::kConflict: return {409, "conflict"};
    case ErrorCode::kGone: return {410, "gone"};
    case ErrorCode::kPayloadTooLarge: return {413, "payload_too_large"};
    case ErrorCode::kRangeNotSatisfiable: return {416, "range_not_satisfiable"};
    case ErrorCode::kUnsupportedMediaType: return {415, "unsupported_media_type"};
    case ErrorCode::kHeadersTooLarge: return {431, "header_too_large"};
    case ErrorCode::kTooManyRequests: return {429, "too_many_requests"};
    case ErrorCode::kInternal: return {500, "internal"};
    case ErrorCode::kUnavailable: return {503, "unavailable"};
  }
  return {500, "internal"};
}

}  // namespace

int http_status(ErrorCode code) {
  return entry(code).status;
}
std::string_view error_code_string(ErrorCode code) {
  return entry(code).code;
}

nlohmann::json error_body(ErrorCode code, std::string_view message, std::string_view request_id) {
  return {{"error",
           {{"code", error_code_string(code)}, {"message", message}, {"request_id", request_id}}}};
}

}  // namespace carehub
