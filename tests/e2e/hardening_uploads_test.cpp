// Issue 17, findings 3, 4 and 9, against the real binary: nothing of a body is read before the
// caller is known (an anonymous 300 MB import used to be spooled in full, then refused), bodies
// keep a minimum rate, one caller's uploads are capped, idle anonymous sockets cannot keep
// /healthz out, the database and the folders are private whatever the umask, and the image's
// HEALTHCHECK follows the configured port.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::size_t files_under(const std::string& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 01000;  // absent: no mode matches
  return st.st_mode & 0777;
}

struct RefusedUpload {
  int status = 0;
  std::uint64_t sent = 0;  // body bytes the client got out before the server closed
  bool closed = false;
  std::size_t spooled_files = 0;  // the most files seen under the upload folder meanwhile
  bool saw_continue = false;
};

// Announces a body of `announced` bytes, sends a little, reads the answer, then keeps sending
// 1 MiB at a time until the server closes the connection (or all was sent).
RefusedUpload push_refused(ServerUnderTest& server, const std::string& head,
                           std::uint64_t announced, const std::string& upload_dir,
                           bool expect_continue = false) {
  RefusedUpload out;
  auto client = server.client(10s);
  client.connect();
  std::string request = head + "Content-Length: " + std::to_string(announced) + "\r\n";
  if (expect_continue) request += "Expect: 100-continue\r\n";
  REQUIRE(client.send_raw(request + "\r\n"));
  if (!expect_continue) {
    const std::string first(64 * 1024, 'x');
    REQUIRE(client.send_raw(first));
    out.sent += first.size();
  }
  auto r = client.read_response();
  out.status = r.status;
  out.saw_continue = client.received().find("100 Continue") != std::string::npos;
  const std::string mib(1 << 20, 'y');
  while (out.sent < announced) {
    out.spooled_files = std::max(out.spooled_files, files_under(upload_dir));
    bool ok = false;
    try {
      ok = client.send_raw(mib);
    } catch (const HttpError&) {
      ok = false;  // the server stopped reading: nobody takes the bytes
    }
    if (!ok) {
      out.closed = true;
      break;
    }
    out.sent += mib.size();
  }
  out.spooled_files = std::max(out.spooled_files, files_under(upload_dir));
  return out;
}

}  // namespace

TEST_CASE("hardening: an upload is refused from its headers, before any of its body is read",
          "[e2e][hardening]") {
  auto server = started_server({});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const std::string uploads = server->dir() + "/data/uploads";
  const std::uint64_t kAnnounced = 300ULL << 20;  // 300 MB, as the probe sent
  const std::string case_id = http.post_json("/api/v1/cases", {{"patient", {{"name", "U"}}}},
                                             bearer(login(http, "pat@clinic.example")))
                                  .json()["id"];

  struct Route {
    std::string name, head;
    int status;
  };
  const std::vector<Route> routes = {
      {"anonymous EMPI import",
       "POST /api/v1/person-records/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n", 401},
      {"anonymous STOW-RS",
       "POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
       "type=\"application/dicom\"; boundary=b\r\n",
       401},
      {"anonymous DICOM POST",
       "POST /api/v1/dicom/instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom\r\n",
       401},
      {"forged token on a case document",
       "POST /api/v1/cases/" + case_id +
           "/documents?name=a.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
           "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.AAAA\r\nContent-Type: "
           "application/octet-stream\r\n",
       401},
      {"an admin on a case document (not their role)",
       "POST /api/v1/cases/" + case_id + "/documents?name=a.bin HTTP/1.1\r\nHost: x\r\n" +
           "Authorization: Bearer " + admin + "\r\nContent-Type: application/octet-stream\r\n",
       403},
  };
  for (const auto& route : routes) {
    INFO(route.name);
    const auto refused = push_refused(*server, route.head, kAnnounced, uploads);
    CHECK(refused.status == route.status);
    CHECK(refused.closed);
    // Socket buffers and the server's short drain take a few MiB at most, never the 300.
    CHECK(refused.sent < (32ULL << 20));
    CHECK(refused.spooled_files == 0);
  }
  // With Expect: 100-continue the refusal comes instead of the 100: the body is never sent.
  const auto asked = push_refused(*server, routes[0].head, kAnnounced, uploads, true);
  CHECK(asked.status == 401);
  CHECK_FALSE(asked.saw_continue);
  CHECK(http.get("/healthz").status == 200);
  CHECK(files_under(uploads) == 0);
}

TEST_CASE("hardening: a body slower than the floor is cut off with 408", "[e2e][hardening]") {
  ServerOptions options;
  options.extra = {
      {"server", {{"min_body_bytes_per_s", 16384}, {"min_body_rate_window_ms", 2000}}}};
  auto server = started_server(options);
  for (const std::string route : {"/api/v1/diag/upload-spooled", "/api/v1/diag/echo"}) {
    INFO(route);
    auto client = server->client(20s);
    client.connect();
    REQUIRE(client.send_raw("POST " + route +
                            " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100000\r\n\r\n{\"a\":\""));
    const auto start = std::chrono::steady_clock::now();
    // A byte every 300 ms: far below 16 KiB/s, yet quicker than any per-read deadline.
    bool closed = false;
    while (std::chrono::steady_clock::now() - start < 15s) {
      if (!client.send_raw("x")) {
        closed = true;
        break;
      }
      if (client.wait_for_text("HTTP/1.1 408", 300ms)) break;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("received: " << client.received());
    CHECK((client.received().find("HTTP/1.1 408") != std::string::npos || closed));
    CHECK(client.received().find("request_timeout") != std::string::npos);
    CHECK(seconds < 6.0);  // a window and one read, not the 30 s per-read deadline
    CHECK(client.wait_for_close(3s));
  }
  // A body at a normal pace passes.
  auto fine = server->client().post_json("/api/v1/diag/echo", {{"a", std::string(100000, 'x')}});
  CHECK(fine.status == 200);
}

TEST_CASE("hardening: one caller's uploads at once are capped", "[e2e][hardening]") {
  ServerOptions options;
  options.extra = {{"server", {{"max_uploads_per_principal", 1}}}};
  auto server = started_server(options);
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write"});
  const std::string head =
      "POST /api/v1/dicom/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/dicom\r\nContent-Length: 1000\r\n\r\n";
  auto first = server->client(10s);
  REQUIRE(first.send_raw(head + std::string(10, 'a')));  // under way, unfinished
  std::this_thread::sleep_for(300ms);
  auto second = server->client(10s);
  REQUIRE(second.send_raw(head));
  auto refused = second.read_response();
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after").has_value());
  // Another caller is not affected.
  const auto other = api_token(http, admin, {"dicom:write"});
  auto third = server->client(10s);
  REQUIRE(third.send_raw(
      "POST /api/v1/dicom/instances HTTP/1.1\r\nHost: x\r\nAuthorization: "
      "Bearer " +
      other + "\r\nContent-Type: application/dicom\r\nContent-Length: 4\r\n\r\n" + "abcd"));
  CHECK(third.read_response().status == 400);  // handled (not DICOM), not refused
  // The first finishes (not DICOM either): its slot is free again.
  REQUIRE(first.send_raw(std::string(990, 'a')));
  CHECK(first.read_response().status == 400);
  auto again = server->client(10s);
  REQUIRE(again.send_raw(head + std::string(1000, 'a')));
  CHECK(again.read_response().status == 400);
}

TEST_CASE("hardening: idle anonymous sockets cannot keep /healthz or a signed-in client out",
          "[e2e][hardening]") {
  ServerOptions options;
  options.extra = {{"server", {{"max_connections", 60}}}};
  auto server = started_server(options);
  auto signed_in = server->client(10s);
  const auto admin = login(signed_in, kAdmin);
  REQUIRE(signed_in.get("/api/v1/users", bearer(admin)).status == 200);  // keep-alive, known

  std::vector<HttpClient> idle;
  for (int i = 0; i < 120; ++i) {
    idle.push_back(server->client(5s));
    idle.back().connect();
    if (i % 2) REQUIRE(idle.back().send_raw("GET /healthz HTTP/1.1\r\nHo"));  // half a header
  }
  for (int i = 0; i < 5; ++i) {
    auto probe = server->client(3s);
    const auto start = std::chrono::steady_clock::now();
    auto r = probe.get("/healthz");
    CHECK(r.status == 200);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  // The signed-in client's connection was kept.
  CHECK(signed_in.get("/api/v1/users", bearer(admin)).status == 200);
  CHECK(signed_in.connections_opened() == 1);
  auto metrics = server->client().get("/metrics");
  std::smatch m;
  REQUIRE(std::regex_search(metrics.body, m,
                            std::regex("carehub_http_connections_evicted_total ([0-9]+)")));
  CHECK(std::stoi(m[1]) >= 60);
}

TEST_CASE("hardening: the database and carehub's folders are private whatever the umask",
          "[e2e][hardening]") {
  const mode_t old_umask = ::umask(022);
  ServerOptions options;
  options.database_url = "sqlite://./data/carehub.db";  // relative to the server's folder
  auto server = started_server(options);
  ::umask(old_umask);
  auto http = server->client();
  const auto admin = login(http, kAdmin);  // writes: the -wal file exists
  add_user(http, admin, "someone@clinic.example", {"patient"});
  const std::string data = server->dir() + "/data";
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data + "/carehub.db") == 0600);
  CHECK(mode_of(data + "/carehub.db-wal") == 0600);
  CHECK(mode_of(data + "/carehub.db-shm") == 0600);
  CHECK(mode_of(data + "/uploads") == 0700);
  CHECK(mode_of(data + "/keys") == 0700);
  CHECK(mode_of(server->dir() + "/blobs") == 0700);
  for (const auto& key : fs::directory_iterator(data + "/keys")) {
    CHECK(mode_of(key.path().string()) == 0600);
  }

  // A database an older version left world-readable is made private at the next start.
  REQUIRE(server->stop() == 0);
  fs::permissions(data + "/carehub.db", fs::perms(0644));
  REQUIRE(mode_of(data + "/carehub.db") == 0644);
  server->start();
  CHECK(mode_of(data + "/carehub.db") == 0600);
  if (fs::exists(data + "/carehub.db-wal")) CHECK(mode_of(data + "/carehub.db-wal") == 0600);
}

TEST_CASE("hardening: the image's HEALTHCHECK reaches a server on a non-default port",
          "[e2e][hardening]") {
  // The HEALTHCHECK line of the Dockerfile, run as the container would run it: with the image's
  // configuration file and CAREHUB_SERVER__PORT set by the operator.
  std::ifstream dockerfile(source_dir() + "/Dockerfile");
  const std::string text((std::istreambuf_iterator<char>(dockerfile)), {});
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(HEALTHCHECK[^\n]*\\\n\s*CMD (\[[^\n]*\]))")));
  const auto command = nlohmann::json::parse(m[1].str());
  REQUIRE(command.at(0) == "carehub");
  std::vector<std::string> args;
  for (std::size_t i = 1; i < command.size(); ++i) args.push_back(command[i]);

  ServerUnderTest server;  // a free port, never 8000
  REQUIRE(server.port() != 8000);
  const std::string image_config = source_dir() + "/config/container.json";
  auto healthcheck = [&](int port) {
    return run_carehub(
        args,
        {{"CAREHUB_CONFIG_FILE", image_config}, {"CAREHUB_SERVER__PORT", std::to_string(port)}},
        server.dir(), 10s);
  };
  const auto ok = healthcheck(server.port());
  INFO(describe(ok));
  CHECK(ok.exit_code == 0);
  const auto nobody = healthcheck(free_loopback_port());
  CHECK((nobody.exit_code && *nobody.exit_code != 0));  // it can fail: nothing listens there
}
