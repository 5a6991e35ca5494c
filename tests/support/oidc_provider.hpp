// A real OpenID provider for tests (tests/oidc/provider.mjs, the npm package oidc-provider),
// started on loopback through scripts/oidc-test-provider.sh and stopped at the end.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

namespace carehub::test {

// The provider, started in a temp directory and stopped (directory removed) at the end.
class OidcTestProvider {
 public:
  OidcTestProvider() {
    const std::string cmd =
        "bash " + script() + " start " + dir_ + " >" + tmp_.path() + "/start.log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("oidc-test-provider.sh start failed:\n" +
                               read_file(tmp_.path() + "/start.log"));
    }
    issuer_ = read_file(dir_ + "/url");
    while (!issuer_.empty() && (issuer_.back() == '\n' || issuer_.back() == '\r'))
      issuer_.pop_back();
    port_ = std::stoi(issuer_.substr(issuer_.rfind(':') + 1));
  }
  ~OidcTestProvider() {
    [[maybe_unused]] int rc =
        std::system(("bash " + script() + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  OidcTestProvider(const OidcTestProvider&) = delete;
  OidcTestProvider& operator=(const OidcTestProvider&) = delete;

  const std::string& issuer() const { return issuer_; }

  // A client_credentials access token for client (alice, bob, carol, service) and resource.
  std::string token(const std::string& client, const std::string& resource) const {
    std::string resource_param;
    for (char c : resource) resource_param += c == ':' ? std::string("%3A") : std::string(1, c);
    HttpClient http(port_);
    auto r = http.request("POST", "/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
                          "grant_type=client_credentials&client_id=" + client +
                              "&client_secret=" + client + "-secret&resource=" + resource_param);
    if (r.status != 200) throw std::runtime_error("token endpoint: " + r.summary());
    return r.json().at("access_token").get<std::string>();
  }
  // New signing keys at the provider; answers their kids.
  std::vector<std::string> rotate() const {
    HttpClient http(port_);
    auto r = http.request("POST", "/admin/rotate");
    if (r.status != 200) throw std::runtime_error("rotate: " + r.summary());
    return r.json().at("kids").get<std::vector<std::string>>();
  }
  // How often the JWKS was fetched, counted by the provider itself.
  int jwks_requests() const {
    HttpClient http(port_);
    return http.get("/admin/jwks-requests").json().at("count").get<int>();
  }

 private:
  static std::string script() {
    return std::string(CAREHUB_TEST_SOURCE_DIR) + "/scripts/oidc-test-provider.sh";
  }

  TempDir tmp_;
  std::string dir_ = tmp_.path() + "/provider";
  std::string issuer_;
  int port_ = 0;
};

}  // namespace carehub::test
