#include "http/response_head.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

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

TEST_CASE("a streamed body: its size as Content-Length, else chunked, else close for HTTP/1.0",
          "[http]") {
  PiecesBody pieces;
  pieces.add_text("--b\r\n");
  pieces.add_text("xyz");
  auto sized = Response::streamed(std::make_shared<PiecesBody>(pieces), "multipart/related");
  CHECK_THAT(head_of(sized, request()), Contains("Content-Length: 8\r\n"));
  CHECK_FALSE(response_needs_close(sized, 10));

  struct Unsized : BodySource {
    std::optional<std::uint64_t> size() const override { return std::nullopt; }
    std::size_t read(char*, std::size_t) override { return 0; }
  };
  auto chunked = Response::streamed(std::make_shared<Unsized>(), "text/csv");
  const auto head = head_of(chunked, request());
  CHECK_THAT(head, Contains("Transfer-Encoding: chunked\r\n"));
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(response_is_chunked(chunked, 11));
  CHECK(response_needs_close(chunked, 10));
  const auto old = head_of(chunked, request(), 10, false);
  CHECK(old.find("Transfer-Encoding") == std::string::npos);
  CHECK(old.find("Content-Length") == std::string::npos);
}

TEST_CASE("pieces read across text and file ranges, in buffers of any size", "[http]") {
  const std::string path = "/tmp/carehub-pieces-test-" + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("0123456789", f);
    std::fclose(f);
  }
  for (std::size_t cap : {1u, 3u, 7u, 64u}) {
    PiecesBody body;
    body.add_text("<");
    body.add_file(path, 2, 5);
    body.add_text("");
    body.add_text("|");
    body.add_file(path, 0, 10);
    body.add_text(">");
    CHECK(body.size() == std::optional<std::uint64_t>(18));
    std::string out;
    std::vector<char> buf(cap);
    for (std::size_t n; (n = body.read(buf.data(), cap)) > 0;) out.append(buf.data(), n);
    CHECK(out == "<23456|0123456789>");
  }
  PiecesBody past_end;
  past_end.add_file(path, 5, 10);  // the file holds only 5 more bytes
  std::vector<char> buf(64);
  CHECK(past_end.read(buf.data(), buf.size()) == 5);
  CHECK_THROWS(past_end.read(buf.data(), buf.size()));
  CHECK_THROWS(file_body(path + ".missing"));
  std::remove(path.c_str());
}
