#include "auth/oidc.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <utility>

#include "carehub/http_fetch.hpp"
#include "carehub/json.hpp"

namespace carehub::auth {

namespace {

// A provider that could not be reached is tried again sooner than the refresh interval, so a
// short outage at start-up does not lock every user out for a full interval.
constexpr std::int64_t kRetryAfterFailureMs = 5000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void require_fetchable(const std::string& url, const char* what) {
  const auto parsed = parse_url(url);
  if (!parsed) throw std::invalid_argument(std::string("auth.oidc: ") + what + " is not a URL");
  if (!parsed->tls && !is_loopback_host(parsed->host)) {
    throw std::invalid_argument(std::string("auth.oidc: ") + what +
                                " must be https (plain http only to a loopback host)");
  }
}

OidcResult failure(OidcFailure kind, std::string reason) {
  OidcResult result;
  result.failure = kind;
  result.reason = std::move(reason);
  return result;
}

}  // namespace

std::string discovery_url(std::string_view issuer) {
  while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

// The JSON object at url with status 200, or why not.
std::optional<nlohmann::json> fetch_json(const std::string& url, std::int64_t timeout_ms,
                                         std::string& error) {
  const auto fetched = http_get(url, std::chrono::milliseconds(timeout_ms));
  if (!fetched.ok()) {
    error = url + ": " + fetched.error;
    return std::nullopt;
  }
  if (fetched.status != 200) {
    error = url + ": HTTP " + std::to_string(fetched.status);
    return std::nullopt;
  }
  auto parsed = parse_json(fetched.body);
  const nlohmann::json json = parsed ? std::move(parsed).value() : nlohmann::json();
  if (!json.is_object()) {
    error = url + ": not a JSON object";
    return std::nullopt;
  }
  return json;
}

OidcVerifier::OidcVerifier(OidcConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  if (config_.issuer.empty()) throw std::invalid_argument("auth.oidc: issuer is required");
  if (config_.audience.empty()) throw std::invalid_argument("auth.oidc: audience is required");
  if (config_.email_claim.empty()) throw std::invalid_argument("auth.oidc: email_claim is empty");
  if (config_.jwks_url.empty()) {
    require_fetchable(discovery_url(config_.issuer), "issuer");
  } else {
    require_fetchable(config_.jwks_url, "jwks_url");
  }
}

OidcResult OidcVerifier::verify(std::string_view token) {
  auto current = snapshot();
  if (!current.keys) {
    current = refresh(current.generation);
    if (!current.keys) {
      return failure(OidcFailure::kProviderUnavailable,
                     "no keys from the provider: " + current.error);
    }
  }
  auto checked = verify_jwt(token, *current.keys, verify_options());
  if (checked.error() == JwtError::kUnknownKid) {
    // The provider may have rotated its keys since they were fetched.
    const auto refreshed = refresh(current.generation);
    if (refreshed.generation != current.generation) {
      checked = verify_jwt(token, *refreshed.keys, verify_options());
    } else if (!refreshed.error.empty()) {
      return failure(
          OidcFailure::kInvalidToken,
          "unknown kid '" + checked.kid() + "' (keys not refreshed: " + refreshed.error + ")");
    }
  }
  if (!checked.ok()) {
    return failure(OidcFailure::kInvalidToken,
                   std::string(to_string(*checked.error())) + ": " + checked.message());
  }
  return identity_from(checked.claims());
}

OidcVerifier::Snapshot OidcVerifier::snapshot() const {
  std::lock_guard lock(keys_mutex_);
  return {keys_, generation_, {}};
}

OidcVerifier::Snapshot OidcVerifier::refresh(std::uint64_t seen) {
  std::lock_guard fetch_lock(fetch_mutex_);
  auto current = snapshot();
  if (current.generation != seen) return current;  // fetched by another caller meanwhile

  const std::int64_t now = clock_.now_ms();
  const std::int64_t interval = config_.min_refresh_interval_s * 1000;
  const std::int64_t wait =
      last_error_.empty() ? interval : std::min(interval, kRetryAfterFailureMs);
  if (last_attempt_ms_ && now - *last_attempt_ms_ < wait) {
    current.error = last_error_.empty()
                        ? "keys were fetched less than " +
                              std::to_string(config_.min_refresh_interval_s) + " s ago"
                        : last_error_;
    return current;
  }
  last_attempt_ms_ = now;
  fetches_.fetch_add(1);

  std::string error;
  auto keys = fetch_keys(error);
  if (!keys) {
    last_error_ = error;
    current.error = std::move(error);
    return current;
  }
  last_error_.clear();
  std::lock_guard lock(keys_mutex_);
  keys_ = std::move(keys);
  ++generation_;
  return {keys_, generation_, {}};
}

std::shared_ptr<const JwkSet> OidcVerifier::fetch_keys(std::string& error) {
  if (jwks_url_.empty()) jwks_url_ = config_.jwks_url;
  if (jwks_url_.empty()) {
    const auto url = discovery_url(config_.issuer);
    const auto document = fetch_json(url, config_.fetch_timeout_ms, error);
    if (!document) return nullptr;
    const auto issuer = document->find("issuer");
    if (issuer == document->end() || !issuer->is_string() || *issuer != config_.issuer) {
      // OpenID Connect Discovery 1.0, section 4.3: a mismatch means the document is not this
      // issuer's, so its keys must not be trusted.
      error = url + ": its issuer does not equal the configured " + config_.issuer;
      return nullptr;
    }
    const auto jwks_uri = document->find("jwks_uri");
    if (jwks_uri == document->end() || !jwks_uri->is_string()) {
      error = url + ": no jwks_uri";
      return nullptr;
    }
    const std::string discovered = *jwks_uri;
    const auto parsed = parse_url(discovered);
    if (!parsed || (!parsed->tls && !is_loopback_host(parsed->host))) {
      error = url + ": jwks_uri is not an https URL";
      return nullptr;
    }
    jwks_url_ = discovered;
  }

  const auto document = fetch_json(jwks_url_, config_.fetch_timeout_ms, error);
  std::shared_ptr<const JwkSet> keys;
  if (document) {
    try {
      auto set = std::make_shared<JwkSet>(JwkSet::from_json(*document));
      if (set->empty()) {
        error = jwks_url_ + ": no usable keys";
      } else {
        keys = std::move(set);
      }
    } catch (const std::exception& e) {
      error = jwks_url_ + ": " + e.what();
    }
  }
  // A discovered URL may have moved: look it up again next time.
  if (!keys && config_.jwks_url.empty()) jwks_url_.clear();
  return keys;
}

VerifyOptions OidcVerifier::verify_options() const {
  VerifyOptions options;
  options.algorithms = config_.algorithms;
  options.issuer = config_.issuer;
  options.audience = config_.audience;
  options.now_s = clock_.now_ms() / 1000;
  options.require_kid = true;
  return options;
}

OidcResult OidcVerifier::identity_from(const nlohmann::json& claims) const {
  const auto email = claims.find(config_.email_claim);
  if (email == claims.end() || !email->is_string() ||
      email->get_ref<const std::string&>().empty()) {
    return failure(OidcFailure::kNoEmail, "the token has no '" + config_.email_claim + "' claim");
  }
  // A provider that lets users type any address marks it unverified; such an address must not
  // open the account of whoever really owns it.
  const auto verified = claims.find("email_verified");
  if (verified != claims.end() && verified->is_boolean() && !verified->get<bool>()) {
    return failure(OidcFailure::kNoEmail, "the token's email is not verified");
  }
  OidcResult result;
  result.email = email->get<std::string>();
  const auto subject = claims.find("sub");
  if (subject != claims.end() && subject->is_string()) result.subject = subject->get<std::string>();
  const auto nonce = claims.find("nonce");
  if (nonce != claims.end() && nonce->is_string()) result.nonce = nonce->get<std::string>();
  return result;
}

std::optional<std::string> token_from_header(std::string_view header_name,
                                             std::string_view header_value) {
  std::string_view value = trim(header_value);
  if (iequals(header_name, "Authorization")) {
    constexpr std::string_view kScheme = "bearer";
    if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme) ||
        (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
      return std::nullopt;
    }
    value = trim(value.substr(kScheme.size()));
  }
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

}  // namespace carehub::auth
