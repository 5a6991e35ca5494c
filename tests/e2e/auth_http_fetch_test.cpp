// The JWKS fetcher (auth/http_fetch.hpp) against real sockets on loopback: a canned HTTP server
// of the test's own, a server that never answers, and `openssl s_server` with a self-signed
// certificate. Plain http to anything but loopback is refused before any connection is made.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "carehub/http_fetch.hpp"
#include "support/process.hpp"
#include "support/recording_server.hpp"
#include "support/test_database.hpp"

using carehub::http_get;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Listens on 127.0.0.1; for every connection, reads the request head and writes `reply` (or,
// with an empty reply, never answers), then closes. Counts the connections it accepted.
class CannedServer {
 public:
  explicit CannedServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = carehub::test::listen_on_loopback(port_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos && !stop_) {
        pollfd c{client, POLLIN, 0};
        if (::poll(&c, 1, 50) <= 0) continue;
        const auto n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      while (reply_.empty() && !stop_) std::this_thread::sleep_for(20ms);
      [[maybe_unused]] auto written = ::write(client, reply_.data(), reply_.size());
      ::close(client);
    }
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

std::string response(const std::string& status_line, const std::string& body,
                     const std::string& extra_headers = {}) {
  return "HTTP/1.1 " + status_line +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "Connection: close\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("http_get: plain http to a non-loopback host is refused without connecting",
          "[e2e][oidc][fetch]") {
  for (const std::string url : {"http://example.com/jwks", "http://10.255.255.1:9/jwks",
                                "http://[2001:db8::1]/jwks", "http://127.example.com/"}) {
    INFO(url);
    const auto start = SteadyClock::now();
    const auto result = http_get(url, 5s);
    // A connection attempt to an unroutable address would take the whole timeout.
    CHECK(SteadyClock::now() - start < 200ms);
    CHECK_FALSE(result.ok());
    CHECK_THAT(result.error, Catch::Contains("loopback"));
  }
  CHECK_FALSE(http_get("ftp://127.0.0.1/x", 1s).ok());
  CHECK_FALSE(http_get("http://user@127.0.0.1/x", 1s).ok());
}

TEST_CASE("http_get: fetches from loopback, statuses and redirects are returned, not followed",
          "[e2e][oidc][fetch]") {
  CannedServer ok(response("200 OK", R"({"keys":[]})"));
  const auto fetched = http_get(ok.url("/jwks"), 2s);
  INFO(fetched.error);
  REQUIRE(fetched.ok());
  CHECK(fetched.status == 200);
  CHECK(fetched.body == R"({"keys":[]})");
  const auto by_name = http_get("http://localhost:" + std::to_string(ok.port()) + "/jwks", 2s);
  INFO(by_name.error);
  CHECK(by_name.status == 200);

  CannedServer redirect(response("302 Found", "", "Location: /elsewhere\r\n"));
  const auto moved = http_get(redirect.url("/jwks"), 2s);
  INFO(moved.error);
  CHECK(moved.status == 302);
  CHECK(redirect.connections() == 1);

  CannedServer missing(response("404 Not Found", R"({"error":"nope"})"));
  const auto not_found = http_get(missing.url(), 2s);
  CHECK(not_found.ok());
  CHECK(not_found.status == 404);
}

TEST_CASE("http_get: a body over the limit and a server that never answers are errors",
          "[e2e][oidc][fetch]") {
  CannedServer big(response("200 OK", std::string(5000, 'x')));
  const auto too_big = http_get(big.url(), 2s, 4096);
  CHECK_FALSE(too_big.ok());
  CHECK_THAT(too_big.error, Catch::Contains("larger than 4096"));
  CHECK(http_get(big.url(), 2s, 5000).body.size() == 5000);

  CannedServer silent("");
  const auto start = SteadyClock::now();
  const auto timed_out = http_get(silent.url(), 300ms);
  const auto took = SteadyClock::now() - start;
  CHECK_FALSE(timed_out.ok());
  CHECK_THAT(timed_out.error, Catch::Contains("timed out"));
  CHECK(took >= 250ms);
  CHECK(took < 2s);

  const auto refused =
      http_get("http://127.0.0.1:" + std::to_string(carehub::test::free_loopback_port()), 2s);
  CHECK_FALSE(refused.ok());
}

// `openssl s_server -www` on a free loopback port with a fresh self-signed certificate for
// subject_alt_names; ready once it accepts connections.
class TlsServer {
 public:
  explicit TlsServer(const std::string& subject_alt_names) {
    cert_ = dir_.path() + "/cert.pem";
    const auto key = dir_.path() + "/key.pem";
    const auto made = carehub::test::run_to_completion(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert_, "-days", "1", "-subj", "/CN=carehub test", "-addext",
         "subjectAltName=" + subject_alt_names});
    if (made.exit_code != 0) throw std::runtime_error("openssl req: " + made.err);
    port_ = carehub::test::free_loopback_port();
    process_ = std::make_unique<carehub::test::Process>(std::vector<std::string>{
        "/usr/bin/openssl", "s_server", "-quiet", "-accept", "127.0.0.1:" + std::to_string(port_),
        "-cert", cert_, "-key", key, "-www"});
    for (int i = 0; i < 200; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(port_));
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(25ms);
    }
    throw std::runtime_error("openssl s_server did not start: " + process_->stderr_text());
  }

  const std::string& cert() const { return cert_; }
  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }

 private:
  carehub::test::TempDir dir_;
  std::string cert_;
  int port_ = 0;
  std::unique_ptr<carehub::test::Process> process_;
};

// The system trust store, replaced for this process by one certificate (OpenSSL reads
// SSL_CERT_FILE when the verify paths are loaded, on every http_get).
class TrustOnly {
 public:
  explicit TrustOnly(const std::string& cert) { ::setenv("SSL_CERT_FILE", cert.c_str(), 1); }
  ~TrustOnly() { ::unsetenv("SSL_CERT_FILE"); }
  TrustOnly(const TrustOnly&) = delete;
  TrustOnly& operator=(const TrustOnly&) = delete;
};

TEST_CASE("http_get: https verifies the server's certificate and host name", "[e2e][oidc][fetch]") {
  // TLS to a server that speaks plain HTTP fails the handshake, as an error value.
  CannedServer plain(response("200 OK", "{}"));
  const auto not_tls = http_get("https://127.0.0.1:" + std::to_string(plain.port()) + "/", 2s);
  CHECK_FALSE(not_tls.ok());
  CHECK_THAT(not_tls.error, Catch::Contains("TLS"));

  TlsServer server("IP:127.0.0.1,DNS:localhost");
  // Not in the system store: refused.
  const auto untrusted = http_get(server.url("127.0.0.1"), 2s);
  INFO(untrusted.error);
  CHECK_FALSE(untrusted.ok());
  CHECK_THAT(untrusted.error, Catch::Contains("certificate verify failed"));

  {
    TrustOnly trust(server.cert());
    for (const std::string host : {"127.0.0.1", "localhost"}) {
      const auto trusted = http_get(server.url(host), 2s);
      INFO(host << ": " << trusted.error);
      CHECK(trusted.ok());
      CHECK(trusted.status == 200);
    }
  }

  // Trusted, but issued for another name: refused.
  TlsServer other("DNS:idp.example.org");
  TrustOnly trust(other.cert());
  const auto wrong_name = http_get(other.url("127.0.0.1"), 2s);
  INFO(wrong_name.error);
  CHECK_FALSE(wrong_name.ok());
  CHECK_THAT(wrong_name.error, Catch::Contains("certificate verify failed"));
}

TEST_CASE("http_get: URLs are parsed strictly", "[e2e][oidc][fetch]") {
  using carehub::parse_url;
  const auto full = parse_url("https://idp.example.org:8443/realms/x/jwks?a=1#frag");
  REQUIRE(full);
  CHECK(full->tls);
  CHECK(full->host == "idp.example.org");
  CHECK(full->port == "8443");
  CHECK(full->target == "/realms/x/jwks?a=1");
  const auto v6 = parse_url("http://[::1]/");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "80");
  CHECK(carehub::is_loopback_host(v6->host));
  CHECK(carehub::is_loopback_host("127.3.4.5"));
  CHECK(carehub::is_loopback_host("LocalHost"));
  CHECK_FALSE(carehub::is_loopback_host("128.0.0.1"));
  CHECK_FALSE(carehub::is_loopback_host("localhost.example.com"));
  CHECK_FALSE(parse_url("https://:443/"));
  CHECK_FALSE(parse_url("https://host:99999/"));
  CHECK_FALSE(parse_url("https://host:/"));
  CHECK_FALSE(parse_url("https://ho st/"));
}
