// Mutual TLS for machine clients (issue 19): server.tls.client_ca_file asks for client
// certificates, auth.client_certificates maps a verified one's subject or subjectAltName to scopes.
// curl presents the certificates over loopback, as an integrator's script would.
#include <catch2/catch.hpp>
#include <chrono>

#include "carehub/db.hpp"
#include "support/e2e_server.hpp"
#include "support/test_pki.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

struct Answer {
  std::string status;  // "000": no HTTP answer at all (the handshake failed)
  std::string body;
  std::string curl_error;
};

// GET path over HTTPS, presenting the client certificate name.pem from pki (none when empty).
Answer get(int port, const TestPki& server_pki, const TestPki* client_pki, const std::string& name,
           const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{"/usr/bin/curl",  "-sS",        "--cacert", server_pki.ca(), "-w",
                                "\n%{http_code}", "--max-time", "20"};
  if (client_pki) {
    argv.insert(argv.end(), {"--cert", client_pki->path(name + ".pem"), "--key",
                             client_pki->path(name + ".key")});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
  const auto r = run_to_completion(argv, {}, {}, 30s);
  Answer a;
  const auto cut = r.out.rfind('\n');
  a.status = cut == std::string::npos ? r.out : r.out.substr(cut + 1);
  a.body = cut == std::string::npos ? std::string() : r.out.substr(0, cut);
  a.curl_error = r.err;
  return a;
}

nlohmann::json mtls_config(const TestPki& pki, nlohmann::json grants) {
  return {{"server",
           {{"tls",
             {{"cert_file", pki.path("server.pem")},
              {"key_file", pki.path("server.key")},
              {"client_ca_file", pki.ca()}}}}},
          {"auth", {{"client_certificates", std::move(grants)}}}};
}

}  // namespace

TEST_CASE("mtls: a mapped client certificate authenticates with its scopes, others get nothing",
          "[e2e][tls][mtls]") {
  TestPki pki;
  pki.issue("server");
  pki.issue_client("scanner-1", "URI:urn:carehub:scanner-1");  // mapped by subject
  pki.issue_client("feed", "URI:urn:carehub:empi-feed");       // mapped by subjectAltName
  pki.issue_client("stranger", "URI:urn:carehub:stranger");    // verified, not mapped
  TestPki elsewhere("another");                                // a CA the server does not know
  elsewhere.issue_client("scanner-1", "URI:urn:carehub:scanner-1");  // the mapped subject, forged

  ServerUnderTest server(
      {.extra = mtls_config(
           pki, nlohmann::json::array({{{"subject", "CN=scanner-1"}, {"scopes", {"dicom:read"}}},
                                       {{"san", "URI:urn:carehub:empi-feed"},
                                        {"name", "empi-feed"},
                                        {"scopes", {"empi:read"}}}})),
       .tls_ca_file = pki.ca()});
  const int port = server.port();

  SECTION("mapped by subject: its scope's routes answer, others are forbidden") {
    const auto studies = get(port, pki, &pki, "scanner-1", "/dicom-web/studies");
    INFO(studies.body << studies.curl_error);
    CHECK(studies.status == "200");
    const auto persons = get(port, pki, &pki, "scanner-1", "/api/v1/persons?last_name=x");
    INFO(persons.body);
    CHECK(persons.status == "403");
    CHECK(persons.body.find("this route needs") != std::string::npos);
  }

  SECTION("mapped by subjectAltName: the other way round") {
    const auto persons = get(port, pki, &pki, "feed", "/api/v1/persons?last_name=x");
    INFO(persons.body << persons.curl_error);
    CHECK(persons.status == "200");
    CHECK(get(port, pki, &pki, "feed", "/dicom-web/studies").status == "403");
    // The audit log names the machine by its mapping's name.
    auto db = open_test_database(server.database_url());
    const auto searches = db->transact(
        [](carehub::Tx& tx) {
          return tx
              .query_one(
                  "SELECT COUNT(*) FROM audit_events WHERE action = 'empi.persons.search' AND "
                  "actor = 'cert:empi-feed'")
              ->integer(0);
        },
        carehub::TxMode::kRead);
    CHECK(searches == 1);
  }

  SECTION("a verified certificate that is not mapped grants nothing") {
    const auto studies = get(port, pki, &pki, "stranger", "/dicom-web/studies");
    INFO(studies.body << studies.curl_error);
    CHECK(studies.status == "401");
    CHECK(studies.body.find("authentication required") != std::string::npos);
    // ... and public routes still answer it.
    CHECK(get(port, pki, &pki, "stranger", "/healthz").status == "200");
  }

  SECTION("no certificate grants nothing; public routes answer") {
    CHECK(get(port, pki, nullptr, "", "/dicom-web/studies").status == "401");
    CHECK(get(port, pki, nullptr, "", "/healthz").status == "200");
  }

  SECTION("an Authorization header is judged on its own, not helped by the certificate") {
    const auto forged = get(port, pki, &pki, "scanner-1", "/dicom-web/studies",
                            {"-H", "Authorization: Bearer cht_1_not-a-secret"});
    INFO(forged.body);
    CHECK(forged.status == "401");
    CHECK(forged.body.find("API token is not valid") != std::string::npos);
  }

  SECTION("a certificate with a mapped subject from a CA the server does not trust is refused") {
    const auto forged = get(port, pki, &elsewhere, "scanner-1", "/dicom-web/studies");
    INFO(forged.body << forged.curl_error);
    CHECK(forged.status == "000");  // the handshake ended: no HTTP answer at all
    CHECK(forged.body.empty());
    // The server goes on serving the rightful holder.
    CHECK(get(port, pki, &pki, "scanner-1", "/dicom-web/studies").status == "200");
  }
}

TEST_CASE("mtls: misconfigurations stop the start, naming the key", "[e2e][tls][mtls]") {
  TestPki pki;
  pki.issue("server");
  struct Case {
    nlohmann::json extra;
    std::string expected;
  };
  const auto grants = [](nlohmann::json g) { return nlohmann::json::array({std::move(g)}); };
  auto no_ca = mtls_config(pki, grants({{"subject", "CN=a"}, {"scopes", {"dicom:read"}}}));
  no_ca["server"]["tls"].erase("client_ca_file");
  auto missing_ca = mtls_config(pki, nlohmann::json::array());
  missing_ca["server"]["tls"]["client_ca_file"] = pki.path("nowhere.pem");
  const std::vector<Case> cases{
      {no_ca, "'auth.client_certificates' needs 'server.tls.client_ca_file'"},
      {missing_ca, "'server.tls.client_ca_file': cannot use"},
      {mtls_config(pki, grants({{"scopes", {"dicom:read"}}})),
       "'auth.client_certificates[0]' needs exactly one of subject and san"},
      {mtls_config(pki, grants({{"subject", "CN=a"}, {"san", "DNS:a"}, {"scopes", {"x:read"}}})),
       "'auth.client_certificates[0]' needs exactly one of subject and san"},
      {mtls_config(pki, grants({{"subject", "CN=a"}, {"scopes", {"dicom:everything"}}})),
       "'auth.client_certificates[0].scopes'"},
      {mtls_config(pki, grants({{"subject", "CN=a"}})),
       "'auth.client_certificates[0].scopes' must list at least one scope"},
      {mtls_config(pki, grants({{"subject", "CN=a"}, {"scope", {"dicom:read"}}})),
       "'auth.client_certificates[0].scope' is not a known field"},
  };
  for (const auto& c : cases) check_start_refused({.extra = c.extra}, c.expected);
}
