// Request authentication: "Authorization: Bearer <access JWT>" for users, "Bearer
// cht_<id>_<secret>" or "Basic base64(<id>:<secret>)" for API tokens.
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "auth/jws.hpp"
#include "auth/jwt.hpp"
#include "auth/service.hpp"
#include "carehub/error.hpp"
#include "carehub/json.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with("="))
    len -= 1;
  out.resize(len);
  return out;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

[[noreturn]] void refuse(const char* why) {
  throw ApiError(ErrorCode::kUnauthorized, why);
}

// The issuer a JWT claims, read without verifying anything: only to choose who verifies it.
std::string claimed_issuer(std::string_view token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return {};
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return {};
  auto parsed = parse_json(*payload);
  const nlohmann::json claims = parsed ? std::move(parsed).value() : nlohmann::json();
  return claims.is_object() && claims.contains("iss") && claims["iss"].is_string()
             ? claims["iss"].get<std::string>()
             : std::string();
}

}  // namespace

std::optional<Principal> AuthService::authenticate(const Request& request) {
  // Behind oauth2-proxy the provider's token arrives in its own header.
  if (oidc_ && oidc_->config().header != "Authorization") {
    std::string name = oidc_->config().header;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto value = request.header(name)) {
      if (auto token = token_from_header(oidc_->config().header, *value))
        return principal_from_oidc(*token);
    }
  }
  auto header = request.header("authorization");
  if (!header) return principal_from_certificate(request.client_certificate.get());
  const std::string_view value = trim(*header);
  if (starts_with_ci(value, "Bearer ")) {
    const std::string_view token = trim(value.substr(7));
    if (token.starts_with("cht_")) {
      const auto rest = token.substr(4);
      const auto sep = rest.find('_');
      auto id = sep == std::string_view::npos ? std::nullopt : parse_id(rest.substr(0, sep));
      if (!id) refuse("API token is malformed");
      return principal_from_api_token(*id, std::string(rest.substr(sep + 1)));
    }
    if (oidc_ && claimed_issuer(token) != config_.issuer)
      return principal_from_oidc(std::string(token));
    return principal_from_jwt(std::string(token));
  }
  if (starts_with_ci(value, "Basic ")) {
    auto decoded = base64_decode(trim(value.substr(6)));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) refuse("Basic credentials are malformed");
    std::string_view user = std::string_view(*decoded).substr(0, colon);
    if (user.starts_with("cht_")) user.remove_prefix(4);
    auto id = parse_id(user);
    if (!id) refuse("Basic credentials must be an API token id and its secret");
    return principal_from_api_token(*id, decoded->substr(colon + 1));
  }
  refuse("unsupported Authorization scheme: use Bearer or Basic");
}

std::optional<AccountState> AuthService::account_state(std::int64_t user_id, bool fresh) {
  const auto load = [&] {
    return db_.transact([&](Tx& tx) { return store_.account_state(tx, user_id); }, TxMode::kRead);
  };
  if (fresh) accounts_.forget(user_id);
  return accounts_.get(user_id, load);
}

void AuthService::check_account(const Principal& p) {
  const auto id = p.user_id();
  if (!id) refuse("access token is not valid");
  auto state = account_state(*id, false);
  // A token newer than what this server knows: another server changed the account and its
  // notification has not arrived yet. The row says.
  if (state && p.token_generation && *p.token_generation > state->token_generation)
    state = account_state(*id, true);
  if (!state) refuse("the account no longer exists");
  if (!state->active) refuse("this account is disabled");
  if (p.token_generation && *p.token_generation != state->token_generation) {
    refuse("access token revoked (sign-out, password or role change); refresh it or sign in again");
  }
}

std::optional<Principal> AuthService::principal_from_certificate(const ClientCertificate* cert) {
  if (!cert) return std::nullopt;
  for (const auto& grant : config_.client_certificates) {
    const bool match = grant.subject.empty() ? std::find(cert->names.begin(), cert->names.end(),
                                                         grant.san) != cert->names.end()
                                             : grant.subject == cert->subject;
    if (!match) continue;
    Principal p;
    p.kind = Principal::Kind::kApiToken;
    p.subject = "cert:" + grant.name;
    p.scopes = grant.scopes;
    return p;
  }
  // Verified but not listed: it proves who the caller is, and that grants nothing here.
  log_info("client_certificate_unmapped", {{"subject", cert->subject}});
  return std::nullopt;
}

bool AuthService::still_valid(const Principal& p) {
  if (p.subject.starts_with("cert:")) {
    // The configuration maps certificates and does not change while the server runs.
    return std::any_of(config_.client_certificates.begin(), config_.client_certificates.end(),
                       [&](const auto& g) { return p.subject == "cert:" + g.name; });
  }
  if (p.kind == Principal::Kind::kApiToken) {
    const auto colon = p.subject.find(':');
    std::int64_t id = 0;
    const std::string_view digits = std::string_view(p.subject).substr(colon + 1);
    if (colon == std::string::npos ||
        std::from_chars(digits.data(), digits.data() + digits.size(), id).ec != std::errc{}) {
      return false;
    }
    const auto token =
        db_.transact([&](Tx& tx) { return store_.find_api_token(tx, id); }, TxMode::kRead);
    return token && token->usable_at(clock_.now_ms());
  }
  try {
    check_account(p);
    return true;
  } catch (const ApiError&) {
    return false;
  }
}

std::optional<Principal> AuthService::principal_from_jwt(const std::string& token) {
  const std::int64_t now_s = clock_.now_ms() / 1000;
  const auto not_revoked = [this](Principal p) {
    check_account(p);
    return p;
  };
  if (auto cached = verified_.find(token, now_s)) return not_revoked(std::move(*cached));
  VerifyOptions options;
  options.issuer = config_.issuer;
  options.audience = config_.audience;
  options.now_s = now_s;
  auto keys = signing();
  options.algorithms = keys->algorithms;
  auto result = verify_jwt(token, keys->verify, options);
  if (!result && result.error() == JwtError::kUnknownKid) {
    // Perhaps another server sharing keys_dir rotated: look again.
    reload_keys_for_unknown_kid();
    keys = signing();
    options.algorithms = keys->algorithms;
    result = verify_jwt(token, keys->verify, options);
  }
  if (!result) {
    refuse(result.error() == JwtError::kExpired
               ? "access token expired; refresh it or sign in again"
               : "access token is not valid");
  }
  const auto& claims = result.claims();
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.subject = "user:" + claims.value("sub", std::string());
  p.email = claims.value("email", std::string());
  if (claims.contains("roles") && claims["roles"].is_array()) {
    for (const auto& r : claims["roles"]) {
      if (r.is_string()) p.roles.push_back(r.get<std::string>());
    }
  }
  // Every token carehub signs names its generation; one without is from before generations
  // existed and is refused like a revoked one (the client refreshes).
  if (!p.user_id() || !claims.contains("gen") || !claims["gen"].is_number_integer())
    refuse("access token is not valid");
  p.token_generation = claims["gen"].get<std::int64_t>();
  verified_.put(token, p, claims["exp"].get<std::int64_t>() + options.leeway_s, now_s);
  return not_revoked(std::move(p));
}

std::optional<Principal> AuthService::principal_from_oidc(const std::string& token) {
  auto identity = oidc_->verify(token);
  if (!identity.ok()) {
    switch (*identity.failure) {
      case OidcFailure::kProviderUnavailable:
        log_warn("oidc_provider_unavailable", {{"reason", identity.reason}});
        throw ApiError(ErrorCode::kUnavailable,
                       "the identity provider's keys cannot be fetched; retry later");
      case OidcFailure::kNoEmail:
        throw ApiError(ErrorCode::kForbidden, "the identity token carries no usable email");
      case OidcFailure::kInvalidToken: refuse("access token is not valid");
    }
  }
  auto user =
      db_.transact([&](Tx& tx) { return store_.find_by_login(tx, identity.email); }, TxMode::kRead);
  if (!user || !user->email) {
    throw ApiError(ErrorCode::kForbidden,
                   "no account for this identity here; an admin must create it first");
  }
  if (!user->active()) throw ApiError(ErrorCode::kForbidden, "this account is disabled");
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.subject = "user:" + std::to_string(user->id);
  p.email = *user->email;
  p.roles = user->roles;
  return p;
}

std::optional<Principal> AuthService::principal_from_api_token(std::int64_t id,
                                                               const std::string& secret) {
  auto token = db_.transact([&](Tx& tx) { return store_.authenticate_api_token(tx, id, secret); });
  if (!token) refuse("API token is not valid, revoked or expired");
  Principal p;
  p.kind = Principal::Kind::kApiToken;
  p.subject = "token:" + std::to_string(token->id);
  p.scopes = token->scopes;
  return p;
}

}  // namespace carehub::auth
