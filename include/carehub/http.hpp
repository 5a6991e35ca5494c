// The core's own request and response types. Modules see these, never Beast or Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "carehub/error.hpp"
#include "carehub/principal.hpp"
#include "carehub/spool.hpp"

namespace carehub {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kUnknown };

std::string_view method_name(Method m);
Method parse_method(std::string_view name);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Method method = Method::kGet;
  std::string target;  // as sent: path and query
  std::string path;    // the path as sent, without the query (path parameters are decoded)
  std::string query;   // raw query string, without '?'
  HeaderList headers;  // names lower-cased
  std::string body;
  std::shared_ptr<SpooledBody> spooled;  // routes with spool_body: the body is here, not in body
  std::string request_id;
  std::string client_address;
  std::string route_pattern;  // the matched pattern, for logs and metrics
  std::vector<std::pair<std::string, std::string>> params;  // path parameters
  std::optional<Principal> principal;                       // set when the caller authenticated

  std::optional<std::string_view> header(std::string_view lower_name) const;
  std::optional<std::string> query_param(std::string_view name) const;  // percent-decoded
  const std::string& param(std::string_view name) const;  // path parameter; must exist
  // An integer query parameter in [min, max], or fallback when absent; throws ApiError
  // (kBadRequest) naming the parameter and the range otherwise.
  int int_query(std::string_view name, int fallback, int min, int max) const;
  // Parses the body as JSON; throws ApiError(kInvalidJson) naming the parse position.
  nlohmann::json json_body() const;
  // The same, and 422 (kValidationFailed) unless it is a JSON object.
  nlohmann::json json_object() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;

  static Response json(const nlohmann::json& value, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8",
                       int status = 200);
  static Response no_content();
  Response& with_header(std::string name, std::string value);
};

std::string percent_decode(std::string_view in, bool plus_as_space);

// A positive integer id written in text (a path parameter, a form field); throws ApiError with
// `code` ("<what> must be a positive integer") otherwise.
std::int64_t parse_positive_id(std::string_view text, std::string_view what,
                               ErrorCode code = ErrorCode::kBadRequest);
// The same for a JSON value that is such a string or a positive integer.
std::int64_t json_positive_id(const nlohmann::json& value, std::string_view what,
                              ErrorCode code = ErrorCode::kValidationFailed);

}  // namespace carehub
