// Issue 17, findings 1 and 8: what a single request can do to the real binary. Deeply nested JSON
// (it used to overflow the stack and kill the process), numbers beyond a double, a malformed
// chunked body, an absolute-form request target, a frame number past 2^31, /metrics without
// credentials, and DICOM sequences nested deep enough to overflow DCMTK's recursive parser. Each
// answer is checked, and so is the server still serving afterwards with nothing stored.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "e2e/dicom_support.hpp"
#include "support/dicom_bytes.hpp"
#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

// {"data":[{"a": <depth brackets> ]}]}: the case-group body of the probe.
std::string nested_group(std::size_t depth) {
  return R"({"data":[{"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}]}";
}

void check_alive(HttpClient& http) {
  auto health = http.get("/healthz");
  REQUIRE(health.status == 200);
}

void run_json_limits(const ServerOptions& options) {
  auto server = started_server(options);
  auto http = server->client(60s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto pat = login(http, "pat@clinic.example");
  const std::string id =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "P"}}}}, bearer(pat)).json()["id"];
  const std::string notes = "/api/v1/cases/" + id + "/groups/notes";
  const auto json_headers = [&] { return with(bearer(pat), "Content-Type", "application/json"); };
  const nlohmann::json kept = {{"data", {{{"text", "kept"}}}}};
  REQUIRE(http.put_json(notes, kept, bearer(pat)).status == 200);

  // The probe's body: 100,000 levels (200 KB, under the group limit). It killed the process.
  for (const std::size_t depth : {100'000, 50'000, 65}) {
    INFO("depth " << depth);
    auto deep = http.request("PUT", notes, json_headers(), nested_group(depth));
    CHECK(deep.status == 400);
    CHECK(error_code(deep) == "invalid_json");
    CHECK(deep.json()["error"]["message"].get<std::string>().find("deeper than 64") !=
          std::string::npos);
    check_alive(http);
  }
  // Nothing was stored: the group is what it was.
  auto read = http.get(notes, bearer(pat));
  REQUIRE(read.status == 200);
  CHECK(read.json()["data"] == kept["data"]);
  // 64 levels in all are fine: 3 for the envelope, 61 brackets.
  CHECK(http.request("PUT", notes, json_headers(), nested_group(61)).status == 200);

  // The EMPI configuration: the same bound, nothing stored.
  auto config = http.request("POST", "/api/v1/config",
                             with(bearer(admin), "Content-Type", "application/json"),
                             R"({"potential_match_threshold":0.5,"auto_match_threshold":0.9,)"
                             R"("splink_settings":)" +
                                 std::string(100'000, '[') + std::string(100'000, ']') + "}");
  CHECK(config.status == 400);
  CHECK(error_code(config) == "invalid_json");
  check_alive(http);

  // A number beyond a double: 400, anonymously on sign-in too (it was a 500 everywhere).
  auto login_overflow =
      http.request("POST", "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                   R"({"email":"a@b.example","password":1e400})");
  CHECK(login_overflow.status == 400);
  CHECK(error_code(login_overflow) == "invalid_json");
  CHECK(login_overflow.json()["error"]["message"].get<std::string>().find("too large") !=
        std::string::npos);
  auto group_overflow = http.request("PUT", notes, json_headers(), R"({"data":[{"x":-1e400}]})");
  CHECK(group_overflow.status == 400);
  CHECK(error_code(group_overflow) == "invalid_json");
  check_alive(http);
  CHECK(server->running());
}

}  // namespace

TEST_CASE("hardening: deeply nested JSON and huge numbers are 400, never a crash, on SQLite",
          "[e2e][hardening]") {
  run_json_limits({});
}

TEST_CASE("hardening: the same on PostgreSQL", "[e2e][hardening]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_json_limits(options);
}

TEST_CASE("hardening: a malformed chunked body gets 400 before the connection closes",
          "[e2e][hardening]") {
  ServerUnderTest server;
  for (const std::string bad :
       {"zz\r\n{}\r\n0\r\n\r\n", "5\r\n{\"a\":1}\r\n0\r\n\r\n", "ffffffffffffffffff\r\n"}) {
    auto client = server.client();
    REQUIRE(client.send_raw(
        "POST /api/v1/diag/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
        bad));
    auto r = client.read_response();
    INFO(r.summary());
    CHECK(r.status == 400);
    CHECK(error_code(r) == "bad_request");
    CHECK(client.wait_for_close(3s));
  }
  CHECK(server.client().get("/healthz").status == 200);
}

TEST_CASE("hardening: an absolute-form request target is served like its path",
          "[e2e][hardening]") {
  ServerUnderTest server;
  auto client = server.client();
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  REQUIRE(client.send_raw("GET http://" + authority + "/healthz HTTP/1.1\r\nHost: " + authority +
                          "\r\n\r\n"));
  auto r = client.read_response();
  INFO(r.summary());
  CHECK(r.status == 200);
  CHECK(r.json()["status"] == "ok");
  REQUIRE(client.send_raw("GET HTTPS://" + authority + "?x=1 HTTP/1.1\r\nHost: other\r\n\r\n"));
  CHECK(client.read_response().status == 404);  // the path is "/", which has no route
  REQUIRE(client.send_raw("GET http://" + authority +
                          "/api/v1/diag/sleep?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(client.read_response().status == 200);
}

TEST_CASE("hardening: a frame number past 2^31 is 400, not a negative frame",
          "[e2e][hardening][dicom]") {
  auto server = dicom::dicom_server();
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "rad@clinic.example", {"physician"});
  const auto rad = login(http, "rad@clinic.example");
  const std::string file = dicom::kTestFiles + "/CT_small.dcm";
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(dicom::post_instance(http, rad, bytes).status < 300);
  const auto [sop, study] = dicom::uids_of(file);
  auto series = http.get("/dicom-web/studies/" + study + "/series", bearer(rad));
  REQUIRE(series.status == 200);
  const std::string series_uid = series.json()[0]["0020000E"]["Value"][0];
  const std::string base =
      "/dicom-web/studies/" + study + "/series/" + series_uid + "/instances/" + sop + "/frames/";
  CHECK(http.get(base + "1", bearer(rad)).status == 200);
  for (const std::string frames : {"2147483648", "4294967297", "1,2147483648"}) {
    INFO(frames);
    auto r = http.get(base + frames, bearer(rad));
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["message"].get<std::string>().find("2147483647") != std::string::npos);
  }
}

TEST_CASE("hardening: DICOM nested deeper than 32 sequences is refused before DCMTK reads it",
          "[e2e][hardening][dicom]") {
  namespace bytes = carehub::test::dicom_bytes;
  auto server = dicom::dicom_server();
  auto http = server->client(60s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "rad@clinic.example", {"physician"});
  const auto rad = login(http, "rad@clinic.example");
  const auto study_count = [&] {
    auto r = http.get("/dicom-web/studies", bearer(rad));
    REQUIRE(r.status == 200);
    return r.json().size();
  };

  // 100,000 levels (3.6 MB): DCMTK's parser recursed once per level and the process died.
  for (const bool implicit : {false, true}) {
    INFO((implicit ? "implicit VR" : "explicit VR"));
    auto deep =
        dicom::post_instance(http, rad, bytes::nested_instance("1.2.3.17.1", 100'000, implicit));
    INFO(deep.summary());
    CHECK(deep.status >= 400);
    CHECK(deep.status < 500);
    CHECK(deep.body.find("deeper than 32") != std::string::npos);
    check_alive(http);
  }
  // The same inside the file meta group (found after the walk was first written: it gave up on
  // the meta group's sequence and left the file to DCMTK).
  auto in_meta = dicom::post_instance(http, rad, bytes::nested_in_meta(100'000));
  INFO(in_meta.summary());
  CHECK(in_meta.status >= 400);
  CHECK(in_meta.status < 500);
  check_alive(http);
  auto stowed = dicom::stow(http, rad, {bytes::nested_instance("1.2.3.17.2", 100'000, false)});
  INFO(stowed.summary());
  CHECK(stowed.status >= 400);
  CHECK(stowed.status < 500);
  check_alive(http);

  // Over DIMSE: storescu itself can read 40 levels, the server refuses them.
  const auto forty = server->dir() + "/forty.dcm";
  write_file(forty, bytes::nested_instance("1.2.3.17.3", 40, false));
  auto stored = dicom::storescu(*server, forty);
  INFO(stored.err);
  CHECK_FALSE(dicom::sent(stored));
  check_alive(http);
  CHECK(study_count() == 0);

  // The same file 31 levels deep is an instance like any other: the refusal is the nesting's.
  auto fine = dicom::post_instance(http, rad, bytes::nested_instance("1.2.3.17.4", 31, false));
  INFO(fine.summary());
  CHECK(fine.status < 300);
  CHECK(study_count() == 1);
}

TEST_CASE("hardening: /metrics answers loopback scrapers, admins and metrics:read tokens only",
          "[e2e][hardening]") {
  SECTION("loopback, the default") {
    auto server = started_server({});
    auto http = server->client();
    CHECK(http.get("/metrics").status == 200);
  }
  SECTION("with metrics_from_loopback off") {
    ServerOptions options;
    options.extra = {{"server", {{"metrics_from_loopback", false}}}};
    auto server = started_server(options);
    auto http = server->client();
    auto anonymous = http.get("/metrics");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.body.find("carehub_http") == std::string::npos);
    const auto admin = login(http, kAdmin);
    auto by_admin = http.get("/metrics", bearer(admin));
    CHECK(by_admin.status == 200);
    CHECK(by_admin.body.find("carehub_http_requests_total") != std::string::npos);
    const auto prometheus = api_token(http, admin, {"metrics:read"});
    CHECK(http.get("/metrics", bearer(prometheus)).status == 200);
    const auto other = api_token(http, admin, {"dicom:read"});
    CHECK(http.get("/metrics", bearer(other)).status == 403);
    add_user(http, admin, "doc@clinic.example", {"physician"});
    CHECK(http.get("/metrics", bearer(login(http, "doc@clinic.example"))).status == 403);
  }
}
