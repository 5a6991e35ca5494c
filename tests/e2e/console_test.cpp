// Issue 18: the web console as the binary serves it (index.html for a browser's deep link, the
// bundle's files, the headers that keep a browser strict), browser sessions held in an httpOnly
// cookie, and the first-run setup link. The browser itself drives these in tests/browser/; here
// each rule is checked over HTTP, where a failure names the header or status that broke it.
#include <catch2/catch.hpp>
#include <regex>

#include "support/signed_in_server.hpp"

using namespace carehub::test;

namespace {

const HttpHeaders kBrowser = {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};
const HttpHeaders kConsole = {{"X-Carehub-Session", "cookie"}};

// The asset paths index.html names (script src, stylesheet href).
std::vector<std::string> assets_named_by(const std::string& html) {
  std::vector<std::string> found;
  static const std::regex kAsset(R"re((?:src|href)="(/assets/[^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), kAsset), end; it != end; ++it) {
    found.push_back((*it)[1].str());
  }
  return found;
}

void check_console_headers(const HttpResponse& r) {
  INFO(r.summary());
  const auto csp = r.header("content-security-policy").value_or("");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("style-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("unsafe-eval") == std::string::npos);
  CHECK(r.header("x-content-type-options") == "nosniff");
  CHECK(r.header("referrer-policy") == "no-referrer");
}

// The refresh cookie's value from a Set-Cookie header, and its attributes.
struct SetCookie {
  std::string value;
  std::string attributes;
};
SetCookie refresh_cookie_of(const HttpResponse& r) {
  const auto header = r.header("set-cookie");
  INFO(r.summary());
  REQUIRE(header);
  REQUIRE(header->starts_with("carehub_refresh="));
  const auto semi = header->find(';');
  return {header->substr(16, semi - 16), header->substr(semi)};
}

HttpHeaders cookie(const std::string& value) {
  return {{"X-Carehub-Session", "cookie"}, {"Cookie", "carehub_refresh=" + value}};
}

std::string setup_token_from_log(ServerUnderTest& server) {
  static const std::regex kLink(R"re(/setup#token=([0-9a-f]+))re");
  std::smatch m;
  const auto log = server.server_stderr();
  INFO(log);
  REQUIRE(std::regex_search(log, m, kLink));
  return m[1].str();
}

void run_cookie_session_flow(ServerOptions options) {
  // The test client stands for a proxy on the same host, whose X-Forwarded-Proto is believed.
  options.extra["server"]["trusted_proxies"] = {"127.0.0.1"};
  auto server = started_server(options);
  auto http = server->client();

  // Sign-in for a browser: the refresh token only in the cookie.
  auto signed_in =
      http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}}, kConsole);
  INFO(signed_in.summary());
  REQUIRE(signed_in.status == 200);
  CHECK_FALSE(signed_in.json().contains("refresh_token"));
  CHECK(signed_in.json().contains("access_token"));
  const auto first = refresh_cookie_of(signed_in);
  CHECK(first.attributes.find("HttpOnly") != std::string::npos);
  CHECK(first.attributes.find("SameSite=Strict") != std::string::npos);
  CHECK(first.attributes.find("Path=/api/v1/auth") != std::string::npos);
  CHECK(first.attributes.find("Secure") == std::string::npos);  // plain http here
  CHECK(signed_in.header("cache-control") == "no-store");

  // Over https (a proxy in front says so) the cookie is Secure.
  auto https = http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}},
                              with(kConsole, "X-Forwarded-Proto", "https"));
  REQUIRE(https.status == 200);
  CHECK(refresh_cookie_of(https).attributes.find("; Secure") != std::string::npos);

  // The cookie refreshes (and rotates); the page never saw a refresh token.
  auto refreshed =
      http.post_json("/api/v1/auth/refresh", nlohmann::json::object(), cookie(first.value));
  INFO(refreshed.summary());
  REQUIRE(refreshed.status == 200);
  CHECK_FALSE(refreshed.json().contains("refresh_token"));
  const auto second = refresh_cookie_of(refreshed);
  CHECK(second.value != first.value);
  auto me = http.get("/api/v1/auth/me", bearer(refreshed.json()["access_token"]));
  CHECK(me.status == 200);

  // Without the console's header the cookie is not read: a cross-site form post cannot refresh.
  auto forged = http.post_json("/api/v1/auth/refresh", nlohmann::json::object(),
                               {{"Cookie", "carehub_refresh=" + second.value}});
  CHECK(forged.status == 422);  // the body must name a refresh token then
  // ... nor can script on another origin, which would also have to send Origin.
  auto cross = http.post_json("/api/v1/auth/refresh", nlohmann::json::object(),
                              with(cookie(second.value), "Origin", "https://evil.example"));
  CHECK(cross.status == 403);
  CHECK(error_code(cross) == "forbidden");
  // Same origin is fine (the browser sends Origin on POST).
  auto same = http.post_json(
      "/api/v1/auth/refresh", nlohmann::json::object(),
      with(cookie(second.value), "Origin", "http://127.0.0.1:" + std::to_string(server->port())));
  INFO(same.summary());
  REQUIRE(same.status == 200);
  const auto third = refresh_cookie_of(same);

  // A tampered cookie is refused and removed; the real one still works.
  auto tampered_value = third.value;
  tampered_value.back() = tampered_value.back() == 'a' ? 'b' : 'a';
  auto tampered =
      http.post_json("/api/v1/auth/refresh", nlohmann::json::object(), cookie(tampered_value));
  CHECK(tampered.status == 401);
  CHECK(refresh_cookie_of(tampered).value.empty());
  CHECK(refresh_cookie_of(tampered).attributes.find("Max-Age=0") != std::string::npos);
  auto no_cookie = http.post_json("/api/v1/auth/refresh", nlohmann::json::object(), kConsole);
  CHECK(no_cookie.status == 401);

  // Sign-out ends the session on the server: the cookie no longer refreshes, even if kept.
  auto out = http.post_json("/api/v1/auth/logout", nlohmann::json::object(), cookie(third.value));
  CHECK(out.status == 204);
  CHECK(refresh_cookie_of(out).attributes.find("Max-Age=0") != std::string::npos);
  auto after =
      http.post_json("/api/v1/auth/refresh", nlohmann::json::object(), cookie(third.value));
  CHECK(after.status == 401);
}

}  // namespace

TEST_CASE("console: index.html answers a browser's deep link, API paths keep their JSON 404",
          "[e2e][console]") {
  auto server = started_server({});
  auto http = server->client();

  for (const std::string path : {"/", "/signin", "/admin/users/7", "/empi/review?x=1"}) {
    auto r = http.get(path, kBrowser);
    INFO(path << " -> " << r.summary());
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "text/html; charset=utf-8");
    CHECK(r.body.find("<div id=\"app\">") != std::string::npos);
    CHECK(r.header("cache-control") == "no-cache");
    check_console_headers(r);
  }
  // Not a browser (no text/html in Accept), or a path under the API: the JSON 404 as before.
  for (const auto& [path, headers] :
       std::vector<std::pair<std::string, HttpHeaders>>{{"/signin", {}},
                                                        {"/api/v1/nothing-here", kBrowser},
                                                        {"/dicom-web/nothing", kBrowser},
                                                        {"/healthz/x", kBrowser},
                                                        {"/assets/missing-0000.js", kBrowser}}) {
    auto r = http.get(path, headers);
    INFO(path << " -> " << r.summary());
    CHECK(r.status == 404);
    CHECK(error_code(r) == "not_found");
  }
  // Other methods are not pages.
  auto post = http.post_json("/signin", nlohmann::json::object(), kBrowser);
  CHECK(post.status == 404);

  // The bundle: content-hashed names, cached for good, gzip when asked, 304 on a matching ETag.
  auto index = http.get("/", kBrowser);
  const auto assets = assets_named_by(index.body);
  REQUIRE(assets.size() >= 2);  // a script and a stylesheet at least
  bool saw_script = false, saw_style = false, saw_icon = false, saw_gzip = false;
  for (const auto& path : assets) {
    auto r = http.get(path);
    INFO(path << " -> " << r.summary());
    REQUIRE(r.status == 200);
    CHECK(r.header("cache-control") == "public, max-age=31536000, immutable");
    check_console_headers(r);
    const auto type = r.header("content-type").value_or("");
    saw_script = saw_script || type == "text/javascript; charset=utf-8";
    saw_style = saw_style || type == "text/css; charset=utf-8";
    saw_icon = saw_icon || type == "image/svg+xml";
    CHECK(std::regex_search(path, std::regex("-[A-Z0-9]{8}\\.[a-z]+$")));

    auto zipped = http.get(path, {{"Accept-Encoding", "gzip, deflate"}});
    REQUIRE(zipped.status == 200);
    // A file gzip cannot shrink is sent as it is; every bundle file above 1 KB shrinks.
    if (r.body.size() > 1024) {
      CHECK(zipped.header("content-encoding") == "gzip");
      CHECK(zipped.body.size() < r.body.size());
      CHECK(static_cast<unsigned char>(zipped.body[0]) == 0x1f);
      saw_gzip = true;
    }
    const auto etag = r.header("etag");
    REQUIRE(etag);
    auto again = http.get(path, {{"If-None-Match", *etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
  }
  CHECK(saw_script);
  CHECK(saw_style);
  CHECK(saw_icon);  // the tab's icon, linked from index.html
  CHECK(saw_gzip);
  // No inline script or style for the CSP to refuse.
  CHECK(index.body.find("<script>") == std::string::npos);
  CHECK(index.body.find("<style") == std::string::npos);
  CHECK(index.body.find("style=") == std::string::npos);
}

TEST_CASE("console: API answers are never stored by a browser or cache unless a route allows it",
          "[e2e][console]") {
  auto server = started_server({});
  auto http = server->client();
  const auto token = login(http, kAdmin);
  for (const std::string path : {"/api/v1/auth/me", "/api/v1/users", "/healthz"}) {
    auto r = http.get(path, bearer(token));
    INFO(path << " -> " << r.summary());
    CHECK(r.status == 200);
    CHECK(r.header("cache-control") == "no-store");
    CHECK(r.header("x-content-type-options") == "nosniff");
  }
  auto refused = http.get("/api/v1/users");
  CHECK(refused.status == 401);
  CHECK(refused.header("cache-control") == "no-store");
  // The public keys say how long they may be kept, and keep saying it.
  CHECK(http.get("/.well-known/jwks.json").header("cache-control") == "max-age=300");
}

TEST_CASE("console: browser sessions live in an httpOnly cookie, on SQLite", "[e2e][console]") {
  run_cookie_session_flow({});
}

TEST_CASE("console: browser sessions live in an httpOnly cookie, on PostgreSQL", "[e2e][console]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_cookie_session_flow(options);
}

TEST_CASE("console: first run: serve logs a single-use setup link that makes the first admin",
          "[e2e][console]") {
  ServerOptions options;
  options.extra = {{"auth", {{"password_memory_kib", 8192}, {"password_iterations", 1}}}};
  ServerUnderTest server(options);
  auto http = server.client();
  const auto token = setup_token_from_log(server);
  CHECK(token.size() == 64);

  auto state = http.get("/api/v1/setup");
  REQUIRE(state.status == 200);
  CHECK(state.json()["needed"] == true);

  // A wrong token, a weak password, a malformed email: refused, nothing created.
  auto wrong = http.post_json(
      "/api/v1/setup",
      {{"token", std::string(64, 'a')}, {"email", "boss@clinic.example"}, {"password", kPassword}},
      kConsole);
  CHECK(wrong.status == 400);
  auto weak = http.post_json(
      "/api/v1/setup", {{"token", token}, {"email", "boss@clinic.example"}, {"password", "x"}},
      kConsole);
  CHECK(weak.status == 422);
  auto bad_email = http.post_json(
      "/api/v1/setup", {{"token", token}, {"email", "no at sign"}, {"password", kPassword}},
      kConsole);
  CHECK(bad_email.status == 422);
  auto not_json =
      http.request("POST", "/api/v1/setup", {{"Content-Type", "application/json"}}, "{\"token\":");
  CHECK(not_json.status == 400);
  CHECK(http.get("/api/v1/setup").json()["needed"] == true);

  // The link works once: the person is the admin, signed in (cookie), and can sign in again.
  auto done = http.post_json(
      "/api/v1/setup",
      {{"token", token}, {"email", "boss@clinic.example"}, {"password", kPassword}}, kConsole);
  INFO(done.summary());
  REQUIRE(done.status == 201);
  CHECK(done.json()["user"]["roles"] == nlohmann::json::array({"admin"}));
  CHECK_FALSE(refresh_cookie_of(done).value.empty());
  auto users = http.get("/api/v1/users", bearer(done.json()["access_token"]));
  CHECK(users.status == 200);
  CHECK(login(http, "boss@clinic.example").size() > 20);

  CHECK(http.get("/api/v1/setup").json()["needed"] == false);
  auto again = http.post_json(
      "/api/v1/setup",
      {{"token", token}, {"email", "other@clinic.example"}, {"password", kPassword}}, kConsole);
  CHECK(again.status == 409);

  // A restart with an admin in place logs no link; `bootstrap` says there is one already.
  server.stop();
  server.start();
  CHECK(server.server_stderr().find("setup#token=") == std::string::npos);
  auto boot = server.cli({"bootstrap", "--admin-email", "third@clinic.example"});
  CHECK(boot.exit_code == 0);
  CHECK(boot.out.find("already exists") != std::string::npos);
}
