// The server's edge (issue 19): the plain-HTTP listener that redirects to https, the security
// headers on every answer, CORS for listed origins only, and X-Forwarded-* believed only from
// trusted proxies. Real clients over loopback: curl (which can send from 127.0.0.2, the "proxy")
// and the test HTTP client.
#include <catch2/catch.hpp>
#include <chrono>

#include "support/e2e_server.hpp"
#include "support/process.hpp"
#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

// A self-signed certificate for 127.0.0.1 and localhost, made by the openssl command line.
struct SelfSigned {
  TempDir dir;
  std::string cert = dir.path() + "/server.pem";
  std::string key = dir.path() + "/server.key";
  SelfSigned() {
    const auto r = run_to_completion(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + describe(r));
  }
};

// curl's answer: the status line's code and the headers (names lower-cased), from -D.
struct CurlAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string raw;
};

CurlAnswer curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-D", "-", "-o", "/dev/null"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_to_completion(argv, {}, {}, 20s);
  CurlAnswer a;
  a.raw = describe(r);
  if (r.exit_code != 0) return a;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("HTTP/")) {
      a.status = std::stoi(line.substr(line.find(' ') + 1, 3));
      a.headers.clear();
    } else if (const auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      a.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return a;
}

}  // namespace

TEST_CASE("edge: the redirect listener answers every request with a 301 to https",
          "[e2e][edge][tls]") {
  SelfSigned pki;
  const int redirect_port = free_loopback_port();
  ServerUnderTest server({.extra = {{"server",
                                     {{"redirect_http_port", redirect_port},
                                      {"tls", {{"cert_file", pki.cert}, {"key_file", pki.key}}}}}},
                          .tls_ca_file = pki.cert});
  const std::string plain = "http://127.0.0.1:" + std::to_string(redirect_port);
  const std::string https_port = std::to_string(server.port());

  // Host preserved (without the port it came to), path and query kept, whatever the method.
  auto get = curl({"-H", "Host: clinic.example:" + std::to_string(redirect_port),
                   plain + "/api/v1/persons?name=ana%20lopez&page=2"});
  INFO(get.raw);
  CHECK(get.status == 301);
  CHECK(get.headers["location"] ==
        "https://clinic.example:" + https_port + "/api/v1/persons?name=ana%20lopez&page=2");
  auto post =
      curl({"-X", "POST", "--data", "{}", "-H", "Host: clinic.example", plain + "/healthz"});
  CHECK(post.status == 301);
  CHECK(post.headers["location"] == "https://clinic.example:" + https_port + "/healthz");
  // An IPv6 literal keeps its brackets.
  auto v6 = curl({"-H", "Host: [::1]:80", plain + "/"});
  CHECK(v6.headers["location"] == "https://[::1]:" + https_port + "/");
  // Nothing else is served there: not the API, not the console.
  CHECK(curl({plain + "/metrics"}).status == 301);
  // A Host that is not a host name, or none at all (HTTP/1.0), is a 400, never a redirect.
  CHECK(curl({"-H", "Host: evil.example/x", plain + "/"}).status == 400);
  CHECK(curl({"--http1.0", "-H", "Host:", plain + "/"}).status == 400);

  // And the redirect leads to the server: curl follows it to a 200 over TLS.
  const auto followed =
      run_to_completion({"/usr/bin/curl", "-sS", "-L", "--cacert", pki.cert, "-o", "/dev/null",
                         "-w", "%{http_code} %{url_effective}", "-H", "Host: localhost",
                         "http://127.0.0.1:" + std::to_string(redirect_port) + "/healthz"});
  INFO(describe(followed));
  CHECK(followed.out == "200 https://localhost:" + https_port + "/healthz");

  // A redirect without HTTPS on is a configuration error naming the key.
  check_start_refused({.extra = {{"server", {{"redirect_http_port", free_loopback_port()}}}}},
                      "server.redirect_http_port");
}

TEST_CASE("edge: every answer carries the security headers, the console keeps its own",
          "[e2e][edge]") {
  ServerUnderTest server;
  auto http = server.client();
  for (const char* path : {"/healthz", "/api/v1/no-such-route", "/api/v1/auth/me"}) {
    const auto r = http.get(path);
    INFO(path << " " << r.summary());
    CHECK(r.header("x-content-type-options") == "nosniff");
    CHECK(r.header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'");
    CHECK(r.header("x-frame-options") == "DENY");
    CHECK(r.header("referrer-policy") == "no-referrer");
    // Plain HTTP: no HSTS (a browser ignores it there, and it would be a lie).
    CHECK_FALSE(r.header("strict-transport-security"));
  }
  const auto console = http.get("/", {{"Accept", "text/html"}});
  REQUIRE(console.status == 200);
  const auto csp = console.header("content-security-policy").value_or("");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  // One policy, not the console's and the default's both (the client joins repeated headers).
  CHECK(csp.find("default-src 'none'") == std::string::npos);
}

TEST_CASE("edge: CORS for the listed origins only", "[e2e][edge]") {
  const std::string viewer = "https://viewer.example:8443";
  ServerUnderTest server({.extra = {{"server", {{"cors_origins", {viewer + "/"}}}}}});
  auto http = server.client();

  SECTION("a preflight from a listed origin is answered, with credentials allowed") {
    const auto r = http.request("OPTIONS", "/dicom-web/studies",
                                {{"Origin", viewer},
                                 {"Access-Control-Request-Method", "GET"},
                                 {"Access-Control-Request-Headers", "authorization, accept"}});
    INFO(r.summary());
    CHECK(r.status == 204);
    CHECK(r.header("access-control-allow-origin") == viewer);
    CHECK(r.header("access-control-allow-credentials") == "true");
    CHECK(r.header("access-control-allow-methods").value_or("").find("GET") != std::string::npos);
    const auto allowed = r.header("access-control-allow-headers").value_or("");
    CHECK(allowed.find("Authorization") != std::string::npos);
    CHECK(allowed.find("Accept") != std::string::npos);
    CHECK(r.header("access-control-max-age") == "600");
  }
  SECTION("a preflight from any other origin gets no CORS header") {
    for (const char* other :
         {"https://evil.example", "https://viewer.example", "http://viewer.example:8443", "null"}) {
      const auto r = http.request("OPTIONS", "/dicom-web/studies",
                                  {{"Origin", other}, {"Access-Control-Request-Method", "GET"}});
      INFO(other << " " << r.summary());
      CHECK(r.status != 204);
      CHECK_FALSE(r.header("access-control-allow-origin"));
      CHECK_FALSE(r.header("access-control-allow-credentials"));
    }
  }
  SECTION("the call itself: headers for a listed origin, none for another, Vary for both") {
    const auto listed = http.get("/healthz", {{"Origin", viewer}});
    CHECK(listed.header("access-control-allow-origin") == viewer);
    CHECK(listed.header("access-control-allow-credentials") == "true");
    CHECK(listed.header("access-control-expose-headers").value_or("").find("X-Request-Id") !=
          std::string::npos);
    CHECK(listed.header("vary").value_or("").find("Origin") != std::string::npos);
    const auto other = http.get("/healthz", {{"Origin", "https://evil.example"}});
    CHECK_FALSE(other.header("access-control-allow-origin"));
    CHECK(other.header("vary").value_or("").find("Origin") != std::string::npos);
    // An error answer (401 here) carries them too, so the viewer can read why.
    const auto refused = http.get("/dicom-web/studies", {{"Origin", viewer}});
    CHECK(refused.status == 401);
    CHECK(refused.header("access-control-allow-origin") == viewer);
  }
  SECTION("with no origins listed, nobody gets CORS headers") {
    ServerUnderTest closed;
    auto c = closed.client();
    const auto r = c.request("OPTIONS", "/dicom-web/studies",
                             {{"Origin", viewer}, {"Access-Control-Request-Method", "GET"}});
    CHECK_FALSE(r.header("access-control-allow-origin"));
    CHECK_FALSE(c.get("/healthz", {{"Origin", viewer}}).header("access-control-allow-origin"));
  }
  SECTION("a wildcard or a URL with a path is refused at start, naming the key") {
    for (const char* bad : {"*", "https://viewer.example/ohif", "viewer.example"})
      check_start_refused({.extra = {{"server", {{"cors_origins", {bad}}}}}},
                          "server.cors_origins");
  }
}

TEST_CASE("edge: X-Forwarded-For and -Proto are believed from trusted proxies only",
          "[e2e][edge]") {
  // 127.0.0.2 plays the reverse proxy; the tests's own client (127.0.0.1) is a stranger.
  auto server = started_server({.extra = {{"server", {{"trusted_proxies", {"127.0.0.2/32"}}}}}});
  auto http = server->client();
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port());
  // An unknown login: its failures slow down nobody the test signs in as afterwards.
  const std::string wrong = R"({"email":"ghost@clinic.example","password":"not the password"})";
  auto failed_login = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"-X",     "POST", "-H", "Content-Type: application/json",
                                  "--data", wrong};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url + "/api/v1/auth/login");
    return curl(args);
  };
  // Through the proxy: the client is the nearest address the proxy did not add itself.
  CHECK(
      failed_login({"--interface", "127.0.0.2", "-H", "X-Forwarded-For: 198.51.100.1, 203.0.113.9"})
          .status == 401);
  // Straight from a stranger that claims to be someone else: its own address counts.
  CHECK(failed_login({"--interface", "127.0.0.1", "-H", "X-Forwarded-For: 192.0.2.77"}).status ==
        401);

  const std::string admin = login(http, kAdmin);
  const auto events =
      http.get("/api/v1/audit?action=auth.login", {{"Authorization", "Bearer " + admin}});
  INFO(events.summary());
  REQUIRE(events.status == 200);
  std::vector<std::string> addresses;
  const auto listed = events.json();
  for (const auto& e : listed["events"]) addresses.push_back(e["client_address"]);
  CHECK(std::find(addresses.begin(), addresses.end(), "203.0.113.9") != addresses.end());
  CHECK(std::find(addresses.begin(), addresses.end(), "127.0.0.1") != addresses.end());
  for (const char* never : {"192.0.2.77", "198.51.100.1", "127.0.0.2"}) {
    INFO(never);
    CHECK(std::find(addresses.begin(), addresses.end(), never) == addresses.end());
  }

  // X-Forwarded-Proto: https from the proxy makes the browser's refresh cookie Secure; the same
  // claim from a stranger does not.
  const std::string right = R"({"email":")" + kAdmin + R"(","password":")" + kPassword + R"("})";
  auto cookie_login = [&](const std::string& from) {
    return curl({"--interface", from, "-X", "POST", "-H", "Content-Type: application/json", "-H",
                 "X-Carehub-Session: cookie", "-H", "X-Forwarded-Proto: https", "--data", right,
                 url + "/api/v1/auth/login"});
  };
  auto proxied = cookie_login("127.0.0.2");
  INFO(proxied.raw);
  REQUIRE(proxied.status == 200);
  CHECK(proxied.headers["set-cookie"].find("; Secure") != std::string::npos);
  auto direct = cookie_login("127.0.0.1");
  REQUIRE(direct.status == 200);
  CHECK(direct.headers["set-cookie"].find("Secure") == std::string::npos);

  // A bad entry stops the start, naming the key.
  check_start_refused({.extra = {{"server", {{"trusted_proxies", {"10.0.0.0/33"}}}}}},
                      "server.trusted_proxies: '10.0.0.0/33'");
}

TEST_CASE("edge: every route class has its rate limit, per address and per principal",
          "[e2e][edge]") {
  auto server = started_server({.extra = {{"server",
                                           {{"rate_limits",
                                             {{"authentication_per_minute", 3},
                                              {"writes_per_minute", 3},
                                              {"reads_per_minute", 4},
                                              {"uploads_per_minute", 2},
                                              {"streams_per_minute", 2}}}}}}});
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port());
  // Each client address is its own bucket: the test uses one per class, so that the tokens it
  // spends signing in do not count against the class it checks.
  auto from = [&](const std::string& address, const std::string& method, const std::string& path,
                  const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--interface", address, "-X", method};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url + path);
    return curl(args);
  };
  auto http = server->client();
  const std::string admin = login(http, kAdmin);  // from 127.0.0.1: one authentication token
  const std::vector<std::string> bearer{"-H", "Authorization: Bearer " + admin};
  struct Class {
    std::string name, address, method, path;
    int per_minute;
    std::vector<std::string> extra;
  };
  const std::vector<Class> classes{
      // A refresh token that is not one: the sign-in throttle (per login) stays out of it.
      {"authentication",
       "127.0.0.11",
       "POST",
       "/api/v1/auth/refresh",
       3,
       {"-H", "Content-Type: application/json", "--data", R"({"refresh_token":"not-a-token"})"}},
      {"writes", "127.0.0.12", "POST", "/api/v1/jobs/999999/cancel", 3, bearer},
      {"reads", "127.0.0.13", "GET", "/api/v1/jobs", 4, bearer},
      {"uploads",
       "127.0.0.14",
       "POST",
       "/api/v1/person-records/import",
       2,
       {"-F", "config_id=1", "-F", "file=@/dev/null;filename=empty.csv"}},
      {"streams", "127.0.0.15", "GET", "/api/v1/notifications/stream", 2, {}},
  };
  for (const auto& c : classes) {
    INFO(c.name);
    for (int i = 0; i < c.per_minute; ++i) {
      const auto r = from(c.address, c.method, c.path, c.extra);
      INFO(i << " " << r.raw);
      CHECK(r.status != 429);
      CHECK(r.status != 0);
    }
    auto refused = from(c.address, c.method, c.path, c.extra);
    INFO(refused.raw);
    CHECK(refused.status == 429);
    const int retry =
        std::stoi(refused.headers["retry-after"].empty() ? "0" : refused.headers["retry-after"]);
    CHECK(retry >= 1);
    CHECK(retry <= 60);
    // Another address is not held back by this one (without the admin's token, whose own
    // bucket the writes and reads above have emptied).
    CHECK(from("127.0.0.20", c.method, c.path).status != 429);
  }

  // Per principal: the admin's reads, spent from 127.0.0.13 above, are spent from every address.
  const auto account = from("127.0.0.31", "GET", "/api/v1/jobs", bearer);
  INFO(account.raw);
  CHECK(account.status == 429);
  const auto body = run_to_completion({"/usr/bin/curl", "-sS", "--interface", "127.0.0.32", "-H",
                                       "Authorization: Bearer " + admin, url + "/api/v1/jobs"});
  CHECK(body.out.find("too many reads requests from this account") != std::string::npos);

  // Counted in /metrics, by class and by what ran out (scraped from a fresh loopback address).
  auto metrics =
      run_to_completion({"/usr/bin/curl", "-sS", "--interface", "127.0.0.40", url + "/metrics"});
  REQUIRE(metrics.exit_code == 0);
  for (const char* name : {"authentication", "writes", "reads", "uploads", "streams"}) {
    const std::string key =
        "carehub_rate_limited_total{class=\"" + std::string(name) + "\",by=\"address\"} ";
    const auto at = metrics.out.find(key);
    INFO(name);
    REQUIRE(at != std::string::npos);
    CHECK(std::stoi(metrics.out.substr(at + key.size())) >= 1);
  }
  CHECK(metrics.out.find("carehub_rate_limited_total{class=\"reads\",by=\"principal\"} 2\n") !=
        std::string::npos);
}
