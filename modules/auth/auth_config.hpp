// The auth module's configuration: section "auth" (sessions, signing keys, passwords, brute-force
// limits, self-registration) and "auth.oidc" (an external OpenID Connect provider).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "carehub/config.hpp"

namespace carehub::auth {

struct AuthConfig {
  std::string issuer;
  std::string audience;
  std::int64_t access_token_ttl_s;
  std::int64_t refresh_token_ttl_s;
  std::int64_t refresh_reuse_grace_ms = 10'000;  // browser cookies: two tabs refreshing at once
  std::string signing_algorithm;                 // EdDSA or ES256
  std::string signing_key;  // PEM; empty: keys from keys_dir (generated on first run)
  std::string keys_dir;
  std::uint32_t password_memory_kib;
  std::uint32_t password_iterations;
  std::uint32_t password_parallelism;
  int lockout_failures;     // in a row, per account and address, before waits
  std::int64_t lockout_s;   // the longest wait
  int login_ceiling = 100;  // per account, all addresses, per window: alerts the admins
  std::int64_t login_ceiling_window_s = 3600;
  std::int64_t login_ceiling_interval_ms = 1000;
  int login_rate_per_minute;                    // per client address
  int registration_rate_per_hour = 10;          // per client address
  std::vector<std::string> registration_roles;  // roles anyone may self-register with
  bool verify_email = false;  // self-registered accounts confirm their address before signing in
  std::int64_t reset_token_ttl_s;

  // Mutual TLS (auth.client_certificates): a verified client certificate whose subject or one of
  // whose subjectAltNames is listed authenticates as that machine client, with these scopes.
  struct CertificateGrant {
    std::string subject;  // RFC 2253, as `openssl x509 -subject -nameopt RFC2253` prints it
    std::string san;      // or a subjectAltName: "DNS:pacs.example", "URI:...", "email:..."
    std::string name;     // the audit actor is "cert:<name>"
    std::vector<std::string> scopes;
  };
  std::vector<CertificateGrant> client_certificates;

  struct Oidc {
    std::string issuer;  // empty: no external provider
    std::string audience;
    std::string jwks_url;
    std::string email_claim;
    std::string header;
    std::int64_t min_refresh_interval_s;
    // The console's "Sign in with <display_name>" (authorization code with PKCE); off while
    // client_id is empty.
    std::string client_id;
    std::string client_secret;  // empty: a public client (PKCE alone)
    std::string display_name;
    std::string scopes;
    std::string
        redirect_url;  // empty: <this server as the browser named it>/api/v1/auth/oidc/callback
  } oidc;

  bool local_passwords() const { return oidc.issuer.empty(); }
};

void add_auth_config_schema(ConfigSchema& schema);
// dicom:read, empi:write, cases:read ...: an area and an access level.
bool valid_scope(const std::string& scope);
AuthConfig read_auth_config(const Config& config);

}  // namespace carehub::auth
