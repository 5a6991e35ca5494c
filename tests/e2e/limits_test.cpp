// Request bodies and headers at and over their limits, and malformed JSON: each answered with the
// documented status and error code.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(12345);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A JSON document of exactly n bytes: {"pad":"xxxx..."}.
std::string json_of_size(std::size_t n) {
  const std::string frame = R"({"pad":""})";
  return R"({"pad":")" + std::string(n - frame.size(), 'x') + R"("})";
}

ServerOptions small_body_limit() {
  ServerOptions options;
  options.extra = {{"server", {{"max_body_bytes", 1024}}}};
  return options;
}

}  // namespace

TEST_CASE("malformed JSON is 400 invalid_json and valid JSON is echoed", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();

  auto bad = client.request("POST", "/api/v1/diag/echo", {{"Content-Type", "application/json"}},
                            R"({"a": [1, 2)");
  INFO(bad.summary());
  CHECK(bad.status == 400);
  const auto e = bad.json()["error"];
  CHECK(e.value("code", "") == "invalid_json");
  CHECK(!e.value("message", "").empty());
  CHECK(e.value("request_id", "") == bad.header("x-request-id").value_or("(none)"));

  const nlohmann::json doc = {{"a", {1, 2, {{"b", nullptr}}}}, {"text", "caf\u00e9 \u2713"}};
  auto good = client.post_json("/api/v1/diag/echo", doc);
  INFO(good.summary());
  CHECK(good.status == 200);
  CHECK(good.json() == nlohmann::json{{"echo", doc}});
}

TEST_CASE("a body over server.max_body_bytes is 413 payload_too_large", "[e2e]") {
  ServerUnderTest server(small_body_limit());

  auto under = server.client().request("POST", "/api/v1/diag/echo",
                                       {{"Content-Type", "application/json"}}, json_of_size(1000));
  INFO(under.summary());
  CHECK(under.status == 200);

  auto over = server.client().request("POST", "/api/v1/diag/echo",
                                      {{"Content-Type", "application/json"}}, json_of_size(2000));
  INFO(over.summary());
  CHECK(over.status == 413);
  CHECK(error_code(over) == "payload_too_large");

  // Without Content-Length the limit still holds (the server counts what arrives).
  auto chunked = server.client();
  const std::string body = json_of_size(4000);
  std::string raw =
      "POST /api/v1/diag/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t off = 0; off < body.size(); off += 500) {
    const auto piece = body.substr(off, 500);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    raw += size + piece + "\r\n";
  }
  raw += "0\r\n\r\n";
  chunked.send_raw(raw);
  auto r = chunked.read_response();
  INFO(r.summary());
  CHECK(r.status == 413);
  CHECK(error_code(r) == "payload_too_large");
}

TEST_CASE("the upload route raises its own body limit to 8 MiB", "[e2e]") {
  ServerUnderTest server(small_body_limit());

  const std::string data = random_bytes(100000);
  auto r = server.client().request("POST", "/api/v1/diag/upload",
                                   {{"Content-Type", "application/octet-stream"}}, data);
  INFO(r.summary());
  REQUIRE(r.status == 200);
  const auto j = r.json();
  CHECK(j.value("bytes", -1) == 100000);
  CHECK(j.value("sha256", "") == sha256_hex(data));

  const std::string too_big(8 * 1024 * 1024 + 1, 'z');
  auto over = server.client(std::chrono::seconds(15))
                  .request("POST", "/api/v1/diag/upload",
                           {{"Content-Type", "application/octet-stream"}}, too_big);
  INFO(over.summary());
  CHECK(over.status == 413);
  CHECK(error_code(over) == "payload_too_large");
}

TEST_CASE("headers over server.max_header_bytes are 431", "[e2e]") {
  ServerUnderTest server;

  auto fits = server.client().get("/healthz", {{"Cookie", "a=" + std::string(8 * 1024, 'c')}});
  CHECK(fits.status == 200);

  auto r = server.client().get("/healthz", {{"Cookie", "a=" + std::string(20 * 1024, 'c')}});
  INFO(r.summary());
  CHECK(r.status == 431);
  CHECK(error_code(r) == "header_too_large");

  // The server is unharmed.
  CHECK(server.client().get("/healthz").status == 200);
}

namespace {

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a spooled upload streams to disk with bounded memory and leaves nothing behind",
          "[e2e]") {
  ServerUnderTest server(small_body_limit());  // 1 KiB for ordinary routes
  const std::string uploads = server.dir() + "/data/uploads";
  const std::string data = random_bytes(96 * 1024 * 1024);
  const long before = peak_rss_kib(server.process().pid());  // sanitizer builds start large
  auto r = server.client(std::chrono::seconds(60))
               .request("POST", "/api/v1/diag/upload-spooled",
                        {{"Content-Type", "application/octet-stream"}}, data);
  INFO(r.summary());
  REQUIRE(r.status == 200);
  CHECK(r.json().value("bytes", 0L) == static_cast<long>(data.size()));
  CHECK(r.json().value("sha256", "") == sha256_hex(data));
  // The body never sat in the server's memory: its peak grew by far less than the body's size.
  const long peak = peak_rss_kib(server.process().pid());
  INFO("peak RSS KiB before " << before << ", after " << peak);
  CHECK(before > 0);
  CHECK(peak - before < 24 * 1024);
  CHECK(files_in(uploads) == 0);  // removed once the handler was done

  // A client that goes away halfway leaves no file either.
  {
    HttpClient quitter(server.port());
    quitter.connect();
    REQUIRE(
        quitter.send_raw("POST /api/v1/diag/upload-spooled HTTP/1.1\r\nHost: x\r\n"
                         "Content-Length: 10000000\r\n\r\n" +
                         std::string(1 << 20, 'q')));
    CHECK(eventually([&] { return files_in(uploads) == 1; }, std::chrono::seconds(5)));
  }
  CHECK(eventually([&] { return files_in(uploads) == 0; }, std::chrono::seconds(5)));
}
