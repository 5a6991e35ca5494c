// Access tokens from an external OpenID Connect provider (Keycloak, Cognito, Entra ID, ...):
// checked against the provider's JWKS, which is fetched on first use (from jwks_url, or from the
// "jwks_uri" of the discovery document at issuer + "/.well-known/openid-configuration"), cached,
// and fetched again when a token names a kid the cache does not know, at most once per
// min_refresh_interval_s however many callers see unknown kids at once (after a failed fetch,
// the next try comes after at most 5 s). verify() blocks while a fetch runs: call it on a worker
// thread. It never throws for a bad token or a provider that cannot be reached; both are
// OidcResult values.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "carehub/clock.hpp"

namespace carehub::auth {

struct OidcConfig {
  std::string issuer;    // exactly as the provider writes "iss"
  std::string audience;  // "aud" must hold it (the API's audience, or the client_id)
  std::string jwks_url;  // empty: discovery
  std::string email_claim = "email";
  std::string header = "Authorization";
  std::vector<std::string> algorithms{"RS256", "ES256"};
  std::int64_t min_refresh_interval_s = 60;
  std::int64_t fetch_timeout_ms = 5000;
};

enum class OidcFailure {
  kInvalidToken,         // malformed, bad signature, expired, wrong iss/aud/alg, unknown kid
  kNoEmail,              // a valid token without a usable email claim (or email_verified false)
  kProviderUnavailable,  // no keys: the discovery document or JWKS could not be fetched or read
};

struct OidcResult {
  std::string email;    // from the configured email claim, as the provider wrote it
  std::string subject;  // "sub"
  std::string nonce;    // "nonce" (ID tokens of a browser sign-in), empty when absent
  std::optional<OidcFailure> failure;
  std::string reason;  // why not, for logs (never for the client: it may name keys or URLs)

  bool ok() const { return !failure.has_value(); }
};

// <issuer>/.well-known/openid-configuration (a trailing '/' of the issuer dropped).
std::string discovery_url(std::string_view issuer);
// The JSON object at url with status 200, or nothing and why not in error.
std::optional<nlohmann::json> fetch_json(const std::string& url, std::int64_t timeout_ms,
                                         std::string& error);

class OidcVerifier {
 public:
  // Throws std::invalid_argument when issuer or audience is empty, or when the URL keys would
  // come from is neither https nor a loopback http URL.
  OidcVerifier(OidcConfig config, const Clock& clock);
  OidcVerifier(const OidcVerifier&) = delete;
  OidcVerifier& operator=(const OidcVerifier&) = delete;

  OidcResult verify(std::string_view token);

  const OidcConfig& config() const { return config_; }
  // How many times the keys were fetched (or a fetch was tried), for metrics and tests.
  std::uint64_t jwks_fetches() const { return fetches_.load(); }

 private:
  struct Snapshot {
    std::shared_ptr<const JwkSet> keys;  // null until the first successful fetch
    std::uint64_t generation = 0;        // bumped by every successful fetch
    std::string error;                   // why the last fetch failed (when it was not used)
  };

  Snapshot snapshot() const;
  // Fetches unless the keys changed since `seen` (another caller just fetched) or the last try
  // was too recent; answers the keys to use now.
  Snapshot refresh(std::uint64_t seen);
  // The provider's current key set, or why not. Called with fetch_mutex_ held.
  std::shared_ptr<const JwkSet> fetch_keys(std::string& error);
  VerifyOptions verify_options() const;
  OidcResult identity_from(const nlohmann::json& claims) const;

  OidcConfig config_;
  const Clock& clock_;

  mutable std::mutex keys_mutex_;  // guards keys_ and generation_; never held during a fetch
  std::shared_ptr<const JwkSet> keys_;
  std::uint64_t generation_ = 0;

  std::mutex fetch_mutex_;  // one fetch at a time; guards the members below
  std::optional<std::int64_t> last_attempt_ms_;
  std::string last_error_;  // empty when the last attempt succeeded
  std::string jwks_url_;    // from the config, or discovered

  std::atomic<std::uint64_t> fetches_{0};
};

// The token a request carries in header_name: for Authorization, the credentials of a "Bearer"
// scheme (case-insensitive); for any other header (X-Forwarded-Access-Token behind oauth2-proxy)
// the whole value. Surrounding spaces are dropped; nothing when there is no token.
std::optional<std::string> token_from_header(std::string_view header_name,
                                             std::string_view header_value);

}  // namespace carehub::auth
