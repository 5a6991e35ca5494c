#include "auth/oidc_login.hpp"

#include <openssl/sha.h>

#include "auth/jws.hpp"
#include "carehub/error.hpp"
#include "carehub/http_fetch.hpp"
#include "carehub/json.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kFetchTimeoutMs = 5000;

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += form_encode(name) + "=" + form_encode(value);
  }
  return out;
}

ApiError refused_sign_in(const std::string& why) {
  // The person reads the message; the reason (URLs, provider errors) is only for the log.
  log_warn("oidc_login_refused", {{"reason", why}});
  return ApiError(ErrorCode::kUnauthorized,
                  "the identity provider's answer could not be used to sign you in; try again");
}

OidcConfig id_token_config(const AuthConfig::Oidc& c) {
  OidcConfig oc;
  oc.issuer = c.issuer;
  oc.audience = c.client_id;  // an ID token is for the client, not an API
  oc.jwks_url = c.jwks_url;
  oc.email_claim = c.email_claim;
  oc.min_refresh_interval_s = c.min_refresh_interval_s;
  return oc;
}

}  // namespace

// application/x-www-form-urlencoded, and the query of the authorization URL (RFC 3986 unreserved
// characters stay, everything else is %XX).
std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string pkce_challenge(const std::string& code_verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(code_verifier.data()), code_verifier.size(),
         digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

OidcLogin::OidcLogin(const AuthConfig::Oidc& config, const Clock& clock)
    : config_(config), id_tokens_(id_token_config(config), clock) {}

std::string OidcLogin::redirect_uri(const std::string& origin) const {
  if (!config_.redirect_url.empty()) return config_.redirect_url;
  return origin + "/api/v1/auth/oidc/callback";
}

OidcLogin::Endpoints OidcLogin::endpoints() {
  std::lock_guard lock(mutex_);
  if (endpoints_) return *endpoints_;
  std::string error;
  const auto document = fetch_json(discovery_url(config_.issuer), kFetchTimeoutMs, error);
  if (!document) {
    log_warn("oidc_discovery_failed", {{"error", error}});
    throw ApiError(ErrorCode::kUnavailable,
                   "the identity provider cannot be reached; try again later");
  }
  Endpoints e{document->value("authorization_endpoint", ""), document->value("token_endpoint", "")};
  for (const auto* url : {&e.authorization, &e.token}) {
    const auto parsed = parse_url(*url);
    // The code and the client's secret go to the token endpoint: never over plain http to
    // another machine.
    if (!parsed || (!parsed->tls && !is_loopback_host(parsed->host))) {
      log_warn("oidc_discovery_failed", {{"error", "an endpoint is missing or not https"}});
      throw ApiError(ErrorCode::kUnavailable,
                     "the identity provider's configuration cannot be used; ask an administrator");
    }
  }
  endpoints_ = e;
  return e;
}

std::string OidcLogin::authorization_url(const std::string& redirect_uri, const std::string& state,
                                         const std::string& code_verifier,
                                         const std::string& nonce) {
  const auto e = endpoints();
  const char separator = e.authorization.find('?') == std::string::npos ? '?' : '&';
  return e.authorization + separator +
         form({{"response_type", "code"},
               {"client_id", config_.client_id},
               {"redirect_uri", redirect_uri},
               {"scope", config_.scopes},
               {"state", state},
               {"nonce", nonce},
               {"code_challenge", pkce_challenge(code_verifier)},
               {"code_challenge_method", "S256"}});
}

OidcResult OidcLogin::redeem(const std::string& code, const std::string& redirect_uri,
                             const std::string& code_verifier, const std::string& nonce) {
  const auto e = endpoints();
  std::string body = form({{"grant_type", "authorization_code"},
                           {"code", code},
                           {"redirect_uri", redirect_uri},
                           {"client_id", config_.client_id},
                           {"code_verifier", code_verifier}});
  if (!config_.client_secret.empty()) {
    body += "&" + form({{"client_secret", config_.client_secret}});
  }
  const auto answer = http_call(
      "POST", e.token,
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}}, body,
      std::chrono::milliseconds(kFetchTimeoutMs));
  if (!answer.ok()) {
    log_warn("oidc_token_exchange_failed", {{"error", answer.error}});
    throw ApiError(ErrorCode::kUnavailable,
                   "the identity provider cannot be reached; try again later");
  }
  auto parsed = parse_json(answer.body);
  const nlohmann::json tokens = parsed ? std::move(parsed).value() : nlohmann::json();
  if (answer.status != 200 || !tokens.is_object()) {
    throw refused_sign_in("token endpoint answered HTTP " + std::to_string(answer.status) +
                          (tokens.is_object() ? " " + tokens.value("error", std::string()) : ""));
  }
  const auto id_token = tokens.find("id_token");
  if (id_token == tokens.end() || !id_token->is_string()) {
    throw refused_sign_in("the token answer has no id_token");
  }
  auto identity = id_tokens_.verify(id_token->get<std::string>());
  if (!identity.ok()) {
    if (identity.failure == OidcFailure::kProviderUnavailable) {
      log_warn("oidc_keys_unavailable", {{"reason", identity.reason}});
      throw ApiError(ErrorCode::kUnavailable,
                     "the identity provider cannot be reached; try again later");
    }
    if (identity.failure == OidcFailure::kNoEmail) {
      log_warn("oidc_login_refused", {{"reason", identity.reason}});
      throw ApiError(ErrorCode::kForbidden,
                     "the identity provider did not give a verified email address for you");
    }
    throw refused_sign_in(identity.reason);
  }
  // The nonce ties the ID token to this browser's login: a token replayed from another is refused.
  if (identity.nonce != nonce) throw refused_sign_in("the ID token's nonce does not match");
  return identity;
}

}  // namespace carehub::auth
