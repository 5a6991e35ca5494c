// The console's "Sign in with <provider>": OpenID Connect's authorization-code flow with PKCE
// (RFC 7636, S256) against the provider's discovery document. The server runs it, not the page:
// the browser is sent to the provider with a state, a code challenge and a nonce, comes back to
// the callback with a code, and the server exchanges the code (with the verifier, and the
// client's secret when it has one) for an ID token, which is verified like the provider's access
// tokens (signature from its JWKS, iss, exp) with the client as audience and the nonce matching.
// The person is then signed in here with a session of our own, in the refresh cookie.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "auth/auth_config.hpp"
#include "auth/oidc.hpp"
#include "carehub/clock.hpp"

namespace carehub::auth {

class OidcLogin {
 public:
  // config.issuer and config.client_id are set.
  OidcLogin(const AuthConfig::Oidc& config, const Clock& clock);

  const std::string& display_name() const { return config_.display_name; }
  // Where the provider sends the browser back: the configured URL, else derived from the
  // address the browser used for this server (origin: "http://host:port").
  std::string redirect_uri(const std::string& origin) const;

  // The provider's authorization URL for one login. Throws ApiError(kUnavailable) when its
  // discovery document cannot be read.
  std::string authorization_url(const std::string& redirect_uri, const std::string& state,
                                const std::string& code_verifier, const std::string& nonce);

  // The identity in the ID token the code is exchanged for. Throws ApiError: kUnavailable when
  // the provider cannot be reached, kUnauthorized when it refuses the code or its ID token is
  // not valid for this login (the message is for the person; details go to the log).
  OidcResult redeem(const std::string& code, const std::string& redirect_uri,
                    const std::string& code_verifier, const std::string& nonce);

 private:
  struct Endpoints {
    std::string authorization;
    std::string token;
  };
  Endpoints endpoints();

  AuthConfig::Oidc config_;
  OidcVerifier id_tokens_;
  std::mutex mutex_;
  std::optional<Endpoints> endpoints_;  // read once, kept
};

// Percent-encoding of everything but RFC 3986's unreserved characters (form bodies, queries).
std::string form_encode(std::string_view text);

// "S256" code challenge of a PKCE verifier: base64url(SHA-256(verifier)).
std::string pkce_challenge(const std::string& code_verifier);

}  // namespace carehub::auth
