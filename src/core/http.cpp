#include "carehub/http.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

#include "carehub/error.hpp"
#include "carehub/json.hpp"

namespace carehub {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 7> kMethods = {{
    {Method::kGet, "GET"},
    {Method::kHead, "HEAD"},
    {Method::kPost, "POST"},
    {Method::kPut, "PUT"},
    {Method::kPatch, "PATCH"},
    {Method::kDelete, "DELETE"},
    {Method::kOptions, "OPTIONS"},
}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view method_name(Method m) {
  for (const auto& [method, name] : kMethods) {
    if (method == m) return name;
  }
  return "UNKNOWN";
}

Method parse_method(std::string_view name) {
  for (const auto& [method, n] : kMethods) {
    if (n == name) return method;
  }
  return Method::kUnknown;
}

std::string percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

namespace {

// Calls fn(raw name, raw value, has '=') for each pair of the query until it returns true.
template <typename F>
void each_query_pair(std::string_view query, F&& fn) {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (fn(pair.substr(0, eq),
           eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1)))
      return;
  }
}

}  // namespace

std::optional<std::string> Request::query_param(std::string_view wanted) const {
  std::optional<std::string> out;
  each_query_pair(query, [&](std::string_view name, std::string_view value) {
    if (percent_decode(name, true) != wanted) return false;
    out = percent_decode(value, true);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> Request::query_params() const {
  std::vector<std::pair<std::string, std::string>> out;
  each_query_pair(query, [&](std::string_view name, std::string_view value) {
    out.emplace_back(percent_decode(name, true), percent_decode(value, true));
    return false;
  });
  return out;
}

const std::string& Request::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  throw std::logic_error("route has no parameter named " + std::string(name));
}

int Request::int_query(std::string_view name, int fallback, int min, int max) const {
  auto v = query_param(name);
  if (!v) return fallback;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < min || n > max) {
    throw ApiError(ErrorCode::kBadRequest, std::string(name) + " must be an integer from " +
                                               std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

nlohmann::json Request::json_object() const {
  auto body = json_body();
  if (!body.is_object())
    throw ApiError(ErrorCode::kValidationFailed, "the body must be a JSON object");
  return body;
}

std::int64_t parse_positive_id(std::string_view text, std::string_view what, ErrorCode code) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id <= 0)
    throw ApiError(code, std::string(what) + " must be a positive integer");
  return id;
}

std::int64_t json_positive_id(const nlohmann::json& value, std::string_view what, ErrorCode code) {
  if (value.is_number_integer()) return parse_positive_id(value.dump(), what, code);
  if (value.is_string()) return parse_positive_id(value.get<std::string>(), what, code);
  throw ApiError(code, std::string(what) + " must be a positive integer");
}

nlohmann::json Request::json_body() const {
  if (body.empty())
    throw ApiError(ErrorCode::kInvalidJson, "request body is empty; a JSON document is required");
  auto parsed = parse_json(body);
  if (!parsed) throw ApiError(ErrorCode::kInvalidJson, "request body: " + parsed.error());
  return std::move(parsed).value();
}

Response Response::json(const nlohmann::json& value, int status) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(std::string body, std::string content_type, int status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response Response::streamed(std::shared_ptr<BodySource> source, std::string content_type,
                            int status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.stream = std::move(source);
  return r;
}

Response Response::live_connection(LiveOptions options) {
  Response r;
  r.status = 101;
  r.content_type.clear();
  r.live = std::make_shared<LiveOptions>(std::move(options));
  return r;
}

Response& Response::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

}  // namespace carehub
