#include "http/response_head.hpp"

#include <catch2/catch.hpp>

using namespace carehub;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

Request request(Method m = Method::kGet) {
  Request r;
  r.method = m;
  r.request_id = "rid-42";
  return r;
}

std::string head_of(const Response& resp, const Request& req, unsigned version = 11,
                    bool keep_alive = true) {
  std::string out;
  format_response_head(out, resp, req, version, keep_alive);
  return out;
}

}  // namespace

TEST_CASE("response head carries status, type, request id, length and ends with a blank line",
          "[http]") {
  auto resp = Response::json({{"status", "ok"}});
  auto head = head_of(resp, request());
  CHECK_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(head, Contains("Content-Type: application/json\r\n"));
  CHECK_THAT(head, Contains("X-Request-Id: rid-42\r\n"));
  CHECK_THAT(head, Contains("Content-Length: 15\r\n"));
  CHECK_THAT(head, Contains("Date: "));
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(head.find("Connection:") == std::string::npos);  // HTTP/1.1 keep-alive is the default
}

TEST_CASE("connection handling follows the HTTP version", "[http]") {
  auto resp = Response::text("x");
  CHECK_THAT(head_of(resp, request(), 11, false), Contains("Connection: close\r\n"));
  CHECK_THAT(head_of(resp, request(), 10, true), StartsWith("HTTP/1.0 200 OK\r\n"));
  CHECK_THAT(head_of(resp, request(), 10, true), Contains("Connection: keep-alive\r\n"));
}

TEST_CASE("HEAD keeps the GET length but has no body, and 204 has no length", "[http]") {
  auto resp = Response::json({{"a", 1}});
  CHECK_THAT(head_of(resp, request(Method::kHead)), Contains("Content-Length: 7\r\n"));
  CHECK_FALSE(response_has_body(resp, request(Method::kHead)));
  CHECK(response_has_body(resp, request(Method::kGet)));
  auto none = Response::no_content();
  CHECK(head_of(none, request()).find("Content-Length") == std::string::npos);
  CHECK_FALSE(response_has_body(none, request()));
}

TEST_CASE("a header value with CR or LF is dropped, never written", "[http]") {
  auto resp = Response::text("x");
  resp.with_header("Location", "/ok")
      .with_header("X-Evil", "a\r\nSet-Cookie: s=1")
      .with_header("Bad\nName", "v");
  auto head = head_of(resp, request());
  CHECK_THAT(head, Contains("Location: /ok\r\n"));
  CHECK(head.find("Set-Cookie") == std::string::npos);
  CHECK(head.find("X-Evil") == std::string::npos);
  CHECK(head.find("Bad") == std::string::npos);
}
