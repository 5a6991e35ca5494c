// HTTPS served by the binary itself (issue 19): the protocols and ciphers a client can get, ALPN,
// session resumption, HSTS, the certificate reloaded under a live keep-alive connection, and the
// start refused with the key named for a bad certificate. Real clients over loopback: OpenSSL's
// s_client and curl, and a Beast client for what needs one connection held across a reload.
#include <signal.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "carehub/hash.hpp"
#include "support/e2e_server.hpp"
#include "support/signed_in_server.hpp"
#include "support/test_pki.hpp"
#include "support/tls_client.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

nlohmann::json tls_config(const std::string& cert, const std::string& key) {
  return {{"server", {{"tls", {{"cert_file", cert}, {"key_file", key}, {"reload_check_s", 1}}}}}};
}

// openssl s_client against the server, with extra arguments; what it printed (stdout and
// stderr together) and whether it completed a handshake.
struct Probe {
  bool connected = false;
  std::string text;
};

Probe s_client(int port, const std::string& ca, std::vector<std::string> extra) {
  std::vector<std::string> argv{
      "/usr/bin/openssl", "s_client", "-connect",    "127.0.0.1:" + std::to_string(port),
      "-CAfile",          ca,         "-servername", "localhost"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  // stdin at end of file: s_client shakes hands, prints what it got and leaves.
  const auto r = run_to_completion(argv, {}, {}, 20s);
  Probe p;
  p.text = r.out + r.err;
  p.connected = r.exit_code == 0 && p.text.find("Cipher is (NONE)") == std::string::npos &&
                p.text.find("New, ") != std::string::npos;
  return p;
}

}  // namespace

TEST_CASE("tls: only TLS 1.2 and 1.3 with strong ciphers, ALPN, resumption and HSTS",
          "[e2e][tls]") {
  TestPki pki;
  pki.issue("server-one");
  ServerUnderTest server(
      {.extra = tls_config(pki.path("server-one.pem"), pki.path("server-one.key")),
       .tls_ca_file = pki.ca()});
  const int port = server.port();

  SECTION("a client gets TLS 1.3 and HTTP/1.1, and every answer carries HSTS") {
    TlsClient client(port, pki.ca());
    auto healthz = client.get("/healthz");
    INFO(healthz.summary());
    CHECK(healthz.status == 200);
    CHECK(client.protocol() == "TLSv1.3");
    CHECK(client.alpn() == "http/1.1");
    CHECK(client.peer_subject().find("CN=server-one") != std::string::npos);
    CHECK(healthz.header("strict-transport-security") == "max-age=31536000");
    auto missing = client.get("/api/v1/no-such-route");
    CHECK(missing.status == 404);
    CHECK(missing.header("strict-transport-security") == "max-age=31536000");
    // Keep-alive: the second answer came on the same connection.
    CHECK(client.connected());

    // curl, the way an admin checks a server by hand.
    const auto curl = run_to_completion({"/usr/bin/curl", "-sS", "--cacert", pki.ca(), "-o",
                                         "/dev/null", "-w", "%{http_code} %{http_version}",
                                         "https://127.0.0.1:" + std::to_string(port) + "/healthz"});
    INFO(describe(curl));
    CHECK(curl.exit_code == 0);
    CHECK(curl.out == "200 1.1");
  }

  SECTION("TLS 1.2 works; TLS 1.0 and 1.1 are refused by the server") {
    CHECK(s_client(port, pki.ca(), {"-tls1_2"}).connected);
    // The client is told to allow the old protocols (OpenSSL 3 refuses them itself at its
    // default security level), so a failure is the server's refusal, which says so.
    for (const std::string& old : {"-tls1", "-tls1_1"}) {
      const auto p = s_client(port, pki.ca(), {old, "-cipher", "DEFAULT@SECLEVEL=0"});
      INFO(old << "\n" << p.text);
      CHECK_FALSE(p.connected);
      CHECK(p.text.find("alert protocol version") != std::string::npos);
    }
  }

  SECTION("CBC ciphers, which OpenSSL would otherwise agree to, are refused") {
    // The certificate's key is ECDSA, so these are the weaker suites a client could be given
    // with it (RSA key exchange needs an RSA certificate; testssl.sh covers the rest).
    for (const std::string& weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                                    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"}) {
      const auto p = s_client(port, pki.ca(), {"-tls1_2", "-cipher", weak + ":@SECLEVEL=0"});
      INFO(weak << "\n" << p.text);
      CHECK_FALSE(p.connected);
      CHECK(p.text.find("alert handshake failure") != std::string::npos);
    }
    const auto strong =
        s_client(port, pki.ca(), {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"});
    INFO(strong.text);
    CHECK(strong.connected);
  }

  SECTION("a session is resumed, by TLS 1.2 session id and by TLS 1.3 ticket") {
    const auto tls12 = s_client(port, pki.ca(), {"-tls1_2", "-reconnect"});
    INFO(tls12.text);
    CHECK(tls12.text.find("Reused, TLSv1.2") != std::string::npos);
    // TLS 1.3: Python's ssl module, a second connection offering the first one's ticket.
    const std::string script =
        "import socket, ssl, sys\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
        "def get(session=None):\n"
        "    t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[2]))),\n"
        "                        server_hostname='localhost', session=session)\n"
        "    t.sendall(b'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n"
        "    t.recv(4096)\n"
        "    print(t.version(), t.session_reused)\n"
        "    s = t.session\n"
        "    t.close()\n"
        "    return s\n"
        "get(get())\n";
    const auto r =
        run_to_completion({"/usr/bin/python3", "-c", script, pki.ca(), std::to_string(port)});
    INFO(describe(r));
    CHECK(r.out == "TLSv1.3 False\nTLSv1.3 True\n");
  }

  SECTION("plain HTTP on the TLS port gets no answer, and is counted") {
    auto plain = server.client(2s);
    CHECK_THROWS_AS(plain.get("/healthz"), HttpError);
    TlsClient client(port, pki.ca());
    const auto metrics = client.get("/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("carehub_tls_handshake_failures_total 0\n") == std::string::npos);
    CHECK(metrics.body.find("carehub_tls_handshake_failures_total ") != std::string::npos);
  }
}

TEST_CASE(
    "tls: a new certificate is served without a restart, a bad one is refused and the old "
    "stays",
    "[e2e][tls]") {
  TestPki pki;
  pki.issue("server-one");
  pki.issue("server-two");
  pki.issue("server-three");
  pki.issue("expired", -1);
  // The server reads the files it was given: the test replaces them under it.
  const std::string cert = pki.path("live.pem");
  const std::string key = pki.path("live.key");
  std::filesystem::copy_file(pki.path("server-one.pem"), cert);
  std::filesystem::copy_file(pki.path("server-one.key"), key);
  ServerUnderTest server({.extra = tls_config(cert, key), .tls_ca_file = pki.ca()});

  TlsClient held(server.port(), pki.ca());
  REQUIRE(held.get("/healthz").status == 200);
  CHECK(held.peer_subject().find("CN=server-one") != std::string::npos);

  // Replaced by renaming over, as certbot and Kubernetes do; SIGHUP says so at once.
  auto replace = [&](const std::string& name) {
    std::filesystem::copy_file(pki.path(name + ".pem"), cert + ".new");
    std::filesystem::copy_file(pki.path(name + ".key"), key + ".new");
    std::filesystem::rename(key + ".new", key);
    std::filesystem::rename(cert + ".new", cert);
  };
  auto new_subject = [&] {
    TlsClient fresh(server.port(), pki.ca());
    REQUIRE(fresh.get("/healthz").status == 200);
    return fresh.peer_subject();
  };
  auto wait_for_subject = [&](const std::string& cn) {
    for (int i = 0; i < 100; ++i) {
      if (new_subject().find("CN=" + cn) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };

  replace("server-two");
  server.process().signal(SIGHUP);
  CHECK(wait_for_subject("server-two"));
  // The connection opened before keeps its session and its certificate.
  const auto still = held.get("/healthz");
  CHECK(still.status == 200);
  CHECK(held.connected());
  CHECK(held.peer_subject().find("CN=server-one") != std::string::npos);

  // Without a signal: the files' change is noticed (reload_check_s is 1 here).
  replace("server-three");
  CHECK(wait_for_subject("server-three"));

  // An expired certificate, and a key that is not the certificate's: refused, logged, and the
  // certificate in use stays.
  auto wait_for_log = [&](const std::string& text) {
    for (int i = 0; i < 100 && server.server_stderr().find(text) == std::string::npos; ++i)
      std::this_thread::sleep_for(100ms);
  };
  replace("expired");
  server.process().signal(SIGHUP);
  wait_for_log("has expired");
  std::filesystem::copy_file(pki.path("server-one.pem"), cert + ".new");
  std::filesystem::rename(cert + ".new", cert);  // server-one's certificate, expired's key
  server.process().signal(SIGHUP);
  wait_for_log("does not match the certificate");
  const std::string log = server.server_stderr();
  CHECK(log.find("has expired") != std::string::npos);
  CHECK(log.find("does not match the certificate") != std::string::npos);
  CHECK(new_subject().find("CN=server-three") != std::string::npos);
  CHECK(held.get("/healthz").status == 200);
  // The key never reaches the log.
  CHECK(log.find("PRIVATE KEY") == std::string::npos);

  TlsClient scrape(server.port(), pki.ca());
  const auto metrics = scrape.get("/metrics").body;
  // At least the two reloads above, and the two refusals (a poll between the two renames of a
  // replacement may add one of each).
  auto counter = [&](const std::string& result) {
    const std::string name = "carehub_tls_reloads_total{result=\"" + result + "\"} ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? -1 : std::stoi(metrics.substr(at + name.size()));
  };
  CHECK(counter("ok") >= 2);
  CHECK(counter("refused") >= 2);
}

TEST_CASE("tls: a certificate that cannot serve stops the start, naming the key", "[e2e][tls]") {
  TestPki pki;
  pki.issue("server-one");
  pki.issue("server-two");
  pki.issue("expired", -1);
  struct Case {
    std::string cert, key, expected;
  };
  const std::vector<Case> cases{
      {pki.path("missing.pem"), pki.path("server-one.key"), "'server.tls.cert_file'"},
      {pki.path("server-one.pem"), pki.path("server-two.key"),
       "'server.tls.key' does not match the certificate"},
      {pki.path("expired.pem"), pki.path("expired.key"), "has expired"},
      {pki.path("server-one.pem"), pki.path("server-one.pem"), "'server.tls.key' is not a PEM"},
  };
  for (const auto& c : cases) check_start_refused({.extra = tls_config(c.cert, c.key)}, c.expected);
  // A key file that is not there at all is a configuration error before anything else.
  check_start_refused(
      {.extra = tls_config(pki.path("server-one.pem"), pki.path("nowhere.key")), .migrate = false},
      "'server.tls.key_file': cannot read");
}

TEST_CASE("tls: testssl.sh rates nothing NOT ok or CRITICAL", "[e2e][tls][testssl]") {
  // Debian's testssl.sh, run as an outside scanner would. The certificate is a proper one for the
  // scan to judge the server, not the test's certificate: signed by a CA the scan is given, valid
  // 90 days, with revocation URIs.
  REQUIRE(std::filesystem::exists("/usr/bin/testssl"));  // scripts/install-deps.sh installs it
  TestPki pki;
  pki.issue("server-one", 90,
            "crlDistributionPoints=URI:http://127.0.0.1/carehub-test-ca.crl\n"
            "authorityInfoAccess=OCSP;URI:http://127.0.0.1/ocsp\n");
  ServerUnderTest server(
      {.extra = tls_config(pki.path("server-one.pem"), pki.path("server-one.key")),
       .tls_ca_file = pki.ca()});
  const std::string report = pki.path("testssl.json");
  // Every check but the client simulation (which only lists the browsers that could connect
  // and doubles the scan's time): protocols, cipher categories, forward secrecy, the server's
  // order, server defaults, headers and the known attacks.
  const auto r = run_to_completion(
      {"/usr/bin/testssl", "--quiet", "--color", "0", "--warnings", "off", "--protocols", "--std",
       "--fs", "--server-preference", "--server-defaults", "--headers", "--vulnerable", "--add-ca",
       pki.ca(), "--jsonfile", report, "https://127.0.0.1:" + std::to_string(server.port())},
      {}, {}, 380s);
  INFO(describe(r));
  REQUIRE(std::filesystem::exists(report));
  std::ifstream in(report);
  const auto findings = nlohmann::json::parse(in);
  REQUIRE(findings.is_array());
  CHECK(findings.size() > 80);  // the whole scan ran (97 findings here)
  std::vector<std::string> bad;
  int protocols_ok = 0;
  for (const auto& f : findings) {
    const std::string severity = f.value("severity", "");
    // testssl.sh prints HIGH and CRITICAL findings as "NOT ok".
    if (severity == "HIGH" || severity == "CRITICAL")
      bad.push_back(severity + " " + f.value("id", "") + ": " + f.value("finding", ""));
    const std::string id = f.value("id", "");
    if ((id == "SSLv2" || id == "SSLv3" || id == "TLS1" || id == "TLS1_1") &&
        f.value("finding", "").starts_with("not offered"))
      ++protocols_ok;
  }
  for (const auto& b : bad) UNSCOPED_INFO(b);
  CHECK(bad.empty());
  CHECK(protocols_ok == 4);  // SSLv2, SSLv3, TLS 1.0 and 1.1 all "not offered"
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// One WebSocket over TLS (wss://127.0.0.1:port/target), trusting ca: the first text message the
// server sends, or empty when none came within the timeout.
std::string first_wss_message(int port, const std::string& ca, const std::string& target,
                              const std::string& bearer_token,
                              const std::function<void()>& after_upgrade) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  auto& tcp = beast::get_lowest_layer(ws);
  tcp.expires_after(10s);
  tcp.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                      static_cast<unsigned short>(port)));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "localhost");
  ws.next_layer().set_verify_callback(asio::ssl::host_name_verification("localhost"));
  ws.next_layer().handshake(asio::ssl::stream_base::client);
  ws.set_option(beast::websocket::stream_base::decorator([&](beast::websocket::request_type& r) {
    r.set("Authorization", "Bearer " + bearer_token);
  }));
  ws.handshake("localhost:" + std::to_string(port), target);
  after_upgrade();
  beast::flat_buffer buffer;
  bool done = false;
  beast::error_code ec;
  ws.async_read(buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  ioc.run_for(10s);  // a stream that says nothing must not hang the test
  if (!done || ec) return {};
  return beast::buffers_to_string(buffer.data());
}

std::string token_over_tls(TlsClient& client, const std::string& email) {
  auto r = client.request("POST", "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                          nlohmann::json{{"email", email}, {"password", kPassword}}.dump());
  INFO(r.summary());
  REQUIRE(r.status == 200);
  return r.json()["access_token"];
}

}  // namespace

TEST_CASE("tls: a WebSocket stream and a 100 MB upload and download work over TLS", "[e2e][tls]") {
  TestPki pki;
  pki.issue("server-one");
  auto server =
      started_server({.extra = tls_config(pki.path("server-one.pem"), pki.path("server-one.key")),
                      .tls_ca_file = pki.ca()});
  TlsClient client(server->port(), pki.ca(), 120s);
  const std::string admin = token_over_tls(client, kAdmin);

  // A notification published while the admin's WebSocket is open arrives on it, over TLS.
  const std::string message =
      first_wss_message(server->port(), pki.ca(), "/api/v1/notifications/ws", admin, [&] {
        auto published = client.request(
            "POST", "/api/v1/diag/notify", {{"Content-Type", "application/json"}},
            nlohmann::json{
                {"user_id", 1}, {"type", "test.event"}, {"title", "over tls"}, {"body", "b"}}
                .dump());
        INFO(published.summary());
        REQUIRE(published.status == 201);
      });
  INFO(message);
  REQUIRE_FALSE(message.empty());
  CHECK(nlohmann::json::parse(message)["title"] == "over tls");

  // 100 MB up as a case document and back, byte for byte, over one TLS connection.
  auto made = client.request(
      "POST", "/api/v1/users",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + admin}},
      nlohmann::json{
          {"email", "big@clinic.example"}, {"roles", {"patient"}}, {"password", kPassword}}
          .dump());
  REQUIRE(made.status == 201);
  const std::string patient = token_over_tls(client, "big@clinic.example");
  auto created =
      client.request("POST", "/api/v1/cases",
                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + patient}},
                     nlohmann::json{{"patient", {{"name", "B"}}}}.dump());
  REQUIRE(created.status == 201);
  const std::string id = created.json()["id"];
  std::string body(100 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 7919) >> 3);
  auto up = client.request(
      "POST", "/api/v1/cases/" + id + "/documents?name=scan.bin",
      {{"Content-Type", "application/octet-stream"}, {"Authorization", "Bearer " + patient}}, body);
  INFO(up.summary());
  REQUIRE(up.status == 201);
  CHECK(up.json()["sha256"] == carehub::sha256_hex(body));
  auto down = client.request(
      "GET", "/api/v1/cases/" + id + "/documents/" + up.json()["id"].get<std::string>(),
      {{"Authorization", "Bearer " + patient}});
  REQUIRE(down.status == 200);
  CHECK(down.body.size() == body.size());
  CHECK(down.body == body);
  CHECK(client.connected());  // all of it on the one keep-alive connection
}
