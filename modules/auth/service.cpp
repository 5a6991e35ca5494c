#include "auth/service.hpp"

#include <fmt/format.h>

#include "auth/jwt.hpp"
#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/json_time.hpp"
#include "carehub/log.hpp"
#include "carehub/notifications.hpp"
#include "carehub/texts.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kLoginWindowMs = 60'000;
constexpr std::int64_t kRegistrationWindowMs = 3'600'000;
// The same words whatever went wrong, so the answer never tells whether an account exists.
constexpr const char* kBadCredentials =
    "invalid credentials (or the account is temporarily locked)";

// "1 h", "90 s", "500 ms": the same in English and Spanish.
std::string duration_text(std::int64_t ms) {
  if (ms % 3'600'000 == 0) return fmt::format("{} h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{} min", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

std::string actor_of(const User& user) {
  return "user:" + std::to_string(user.id);
}

}  // namespace

std::string format_api_token(std::int64_t id, const std::string& secret) {
  return fmt::format("cht_{}_{}", id, secret);
}

nlohmann::json user_json(const User& u) {
  // Tuva EMPI's user shape: a string id and one "role" (admin or member); carehub adds the rest.
  const char* tuva_role = u.has_role("admin") ? "admin" : u.has_role("member") ? "member" : nullptr;
  return {{"id", std::to_string(u.id)},
          {"role", tuva_role ? nlohmann::json(tuva_role) : nlohmann::json()},
          {"email", u.email ? nlohmann::json(*u.email) : nlohmann::json()},
          {"username", u.username ? nlohmann::json(*u.username) : nlohmann::json()},
          {"first_name", u.first_name},
          {"last_name", u.last_name},
          {"language", u.language},
          {"roles", u.roles},
          {"status", u.status},
          {"has_password", u.password_hash.has_value()},
          {"created_at", format_rfc3339_ms(u.created_at_ms)},
          {"updated_at", format_rfc3339_ms(u.updated_at_ms)},
          {"last_login", rfc3339_or_null(u.last_login_ms)}};
}

AuthService::AuthService(AuthConfig config, Database& db, AuditLog& audit, const Clock& clock)
    : config_(std::move(config)),
      db_(db),
      audit_(audit),
      clock_(clock),
      store_(clock),
      login_limiter_(clock, config_.login_rate_per_minute, kLoginWindowMs),
      registration_limiter_(clock, config_.registration_rate_per_hour, kRegistrationWindowMs),
      throttle_(config_) {
  for (const char* lang : {"en", "es"}) {
    const auto text = shipped_text(std::string("auth/") + lang + ".json");
    if (!text) throw std::logic_error(std::string("auth texts missing for ") + lang);
    texts_[lang] = nlohmann::json::parse(*text);
  }
  reload_keys(false);
  if (!config_.oidc.issuer.empty()) {
    OidcConfig oc;
    oc.issuer = config_.oidc.issuer;
    oc.audience = config_.oidc.audience;
    oc.jwks_url = config_.oidc.jwks_url;
    oc.email_claim = config_.oidc.email_claim;
    oc.header = config_.oidc.header;
    oc.min_refresh_interval_s = config_.oidc.min_refresh_interval_s;
    oidc_ = std::make_unique<OidcVerifier>(oc, clock_);
    if (!config_.oidc.client_id.empty()) {
      oidc_login_ = std::make_unique<OidcLogin>(config_.oidc, clock_);
    }
  }
}

PasswordParams AuthService::password_params() const {
  return {config_.password_memory_kib, config_.password_iterations, config_.password_parallelism};
}

std::string AuthService::issue_access_token(const User& user) {
  const std::int64_t now = clock_.now_ms() / 1000;
  nlohmann::json claims = {{"sub", std::to_string(user.id)},
                           {"roles", user.roles},
                           {"iat", now},
                           {"gen", user.token_generation},
                           {"exp", now + config_.access_token_ttl_s},
                           {"iss", config_.issuer},
                           {"aud", config_.audience},
                           {"jti", random_hex(16)}};
  if (user.email) claims["email"] = *user.email;
  return signing()->ring.sign(claims);
}

Session AuthService::open_session(Tx& tx, const User& user, const std::string& family,
                                  const Request& request) {
  auto refresh = store_.create_refresh_token(
      tx, user.id, family, config_.refresh_token_ttl_s * 1000, request.client_address);
  return {issue_access_token(user), refresh.secret, config_.access_token_ttl_s, user};
}

Session AuthService::login(const Request& request, const std::string& login,
                           const std::string& password) {
  if (auto wait_ms = login_limiter_.hit(request.client_address)) {
    const auto seconds = std::to_string((wait_ms + 999) / 1000);
    throw ApiError(ErrorCode::kTooManyRequests,
                   "too many sign-in attempts; retry in " + seconds + " s")
        .with_header("Retry-After", seconds);
  }
  const std::int64_t now = clock_.now_ms();
  struct Lookup {
    std::optional<User> user;
    std::string key;
    std::int64_t wait_ms = 0;
  };
  auto found = db_.transact(
      [&](Tx& tx) {
        Lookup l;
        l.user = store_.find_by_login(tx, login);
        l.key = LoginThrottle::key_of(l.user ? std::optional(l.user->id) : std::nullopt, login);
        l.wait_ms = throttle_.wait_ms(tx, store_, l.key, request.client_address, now);
        return l;
      },
      TxMode::kRead);
  const auto& user = found.user;
  AuditEvent event =
      AuditLog::from_request(request, "auth.login", "user", user ? std::to_string(user->id) : "");
  if (found.wait_ms > 0) {
    // Not tried: no password is checked while the login is held back (known or not alike).
    event.outcome = "denied";
    event.detail = {{"reason", "throttled"}};
    db_.transact([&](Tx& tx) { audit_.record(tx, event); });
    throw too_many_failures(found.wait_ms);
  }
  // Hashing runs whether or not the account exists or may sign in: equal work, equal time.
  const bool usable = user && user->active() && user->password_hash;
  const bool password_ok = verify_password(
      password, usable ? *user->password_hash : dummy_password_hash(password_params()));
  if (!usable || !password_ok) {
    event.outcome = "failure";
    event.detail = {{"reason", !user                  ? "unknown_login"
                               : !user->active()      ? "disabled"
                               : !user->password_hash ? "no_local_password"
                                                      : "wrong_password"}};
    db_.transact([&](Tx& tx) {
      audit_.record(tx, event);
      count_failure(tx, request, found.key, user ? std::optional(user->id) : std::nullopt);
    });
    throw ApiError(ErrorCode::kUnauthorized, kBadCredentials);
  }
  return db_.transact([&](Tx& tx) {
    // The right password of an account whose address is not confirmed yet: told so (only to
    // whoever knows the password), and not signed in.
    if (store_.email_verification_pending_since(tx, user->id)) {
      event.outcome = "denied";
      event.detail = {{"reason", "email_not_verified"}};
      audit_.record(tx, event);
      throw ApiError(ErrorCode::kForbidden,
                     "confirm your email address first: open the link in the message we sent to "
                     "it (POST /api/v1/auth/verify-email/resend sends a new one)");
    }
    store_.record_login_success(tx, user->id);
    throttle_.record_success(tx, store_, found.key, request.client_address);
    if (needs_rehash(*user->password_hash, password_params())) {
      UserPatch patch;
      patch.password_hash = hash_password(password, password_params());
      store_.update_user(tx, user->id, patch);
    }
    event.actor = actor_of(*user);
    audit_.record(tx, event);
    auto fresh = store_.find_user(tx, user->id);
    return open_session(tx, *fresh, AuthStore::new_family_id(), request);
  });
}

ApiError AuthService::too_many_failures(std::int64_t wait_ms) const {
  const auto seconds = std::to_string((wait_ms + 999) / 1000);
  return std::move(
      ApiError(ErrorCode::kTooManyRequests,
               "too many failed sign-ins for this login from here; retry in " + seconds + " s")
          .with_header("Retry-After", seconds));
}

void AuthService::count_failure(Tx& tx, const Request& request, const std::string& key,
                                std::optional<std::int64_t> user_id) {
  const auto failure =
      throttle_.record_failure(tx, store_, key, request.client_address, clock_.now_ms());
  if (!failure.ceiling_reached || !user_id) return;
  AuditEvent e =
      AuditLog::from_request(request, "auth.login_ceiling", "user", std::to_string(*user_id));
  e.outcome = "alert";
  e.detail = {{"failures", failure.failures_in_window},
              {"addresses", failure.addresses},
              {"window_s", config_.login_ceiling_window_s}};
  audit_.record(tx, e);
  log_warn("login_ceiling_reached", {{"user_id", *user_id},
                                     {"failures", failure.failures_in_window},
                                     {"addresses", failure.addresses}});
  auto* publisher = services_ ? services_->notifications.get() : nullptr;
  if (!publisher) return;
  const auto account = store_.find_user(tx, *user_id);
  const std::string name = account && account->email      ? *account->email
                           : account && account->username ? *account->username
                                                          : "#" + std::to_string(*user_id);
  for (const auto admin : store_.admin_ids(tx)) {
    const auto who = store_.find_user(tx, admin);
    const auto& texts = texts_.at(who && who->language == "es" ? "es" : "en")["login_ceiling"];
    Notification n;
    n.user_id = admin;
    n.type = "auth.login_ceiling";
    n.title = texts.at("title").get<std::string>();
    n.body = fmt::format(
        fmt::runtime(texts.at("body").get<std::string>()), fmt::arg("account", name),
        fmt::arg("failures", failure.failures_in_window), fmt::arg("addresses", failure.addresses),
        fmt::arg("window", duration_text(config_.login_ceiling_window_s * 1000)),
        fmt::arg("interval", duration_text(config_.login_ceiling_interval_ms)));
    n.data = {{"user_id", std::to_string(*user_id)}};
    publisher->publish(tx, n);
  }
}

Session AuthService::refresh(const Request& request, const std::string& refresh_token,
                             bool shared_cookie) {
  struct Outcome {
    std::optional<Session> session;
    RotateResult::Outcome result;
  };
  auto out = db_.transact([&](Tx& tx) {
    auto r = store_.rotate_refresh_token(tx, refresh_token, config_.refresh_token_ttl_s * 1000,
                                         request.client_address,
                                         shared_cookie ? config_.refresh_reuse_grace_ms : 0);
    if (r.within_grace) {
      AuditEvent e = AuditLog::from_request(request, "auth.refresh_within_grace", "user",
                                            std::to_string(r.user_id));
      audit_.record(tx, e);
    }
    if (r.outcome == RotateResult::Outcome::kReused) {
      AuditEvent e =
          AuditLog::from_request(request, "auth.refresh_reuse", "user", std::to_string(r.user_id));
      e.outcome = "denied";
      e.detail = {{"family_revoked", true}};
      audit_.record(tx, e);
      revoke_access(tx, r.user_id);  // whoever holds the family's access token too
    }
    if (r.outcome != RotateResult::Outcome::kRotated) return Outcome{std::nullopt, r.outcome};
    auto user = store_.find_user(tx, r.user_id);
    if (!user || !user->active()) {
      store_.revoke_refresh_family_of(tx, r.secret);
      return Outcome{std::nullopt, RotateResult::Outcome::kRevoked};
    }
    return Outcome{Session{issue_access_token(*user), r.secret, config_.access_token_ttl_s, *user},
                   r.outcome};
  });
  if (!out.session) {
    throw ApiError(ErrorCode::kUnauthorized, out.result == RotateResult::Outcome::kExpired
                                                 ? "refresh token expired; sign in again"
                                                 : "refresh token is not valid; sign in again");
  }
  return *out.session;
}

void AuthService::logout(const Request& request, const std::string& refresh_token) {
  db_.transact([&](Tx& tx) {
    auto user_id = store_.revoke_refresh_family_of(tx, refresh_token);
    // The signed-out session's access token must stop too. Access tokens do not name their
    // session, so the user's other sessions refresh once.
    if (user_id) revoke_access(tx, *user_id);
    AuditEvent e = AuditLog::from_request(request, "auth.logout", "user",
                                          user_id ? std::to_string(*user_id) : "");
    e.outcome = user_id ? "success" : "failure";
    audit_.record(tx, e);
  });
}

std::int64_t AuthService::user_id_of(const Request& request) const {
  const auto id = request.principal->user_id();
  if (!id) throw ApiError(ErrorCode::kForbidden, "this route is for users");
  return *id;
}

User AuthService::current_user(const Request& request) {
  const auto id = user_id_of(request);
  auto user = db_.transact([&](Tx& tx) { return store_.find_user(tx, id); }, TxMode::kRead);
  if (!user || !user->active())
    throw ApiError(ErrorCode::kUnauthorized, "the account no longer exists or is disabled");
  return *user;
}

User AuthService::update_me(const Request& request, const UserPatch& patch) {
  if (auto problem = patch_problem(patch)) throw ApiError(ErrorCode::kValidationFailed, *problem);
  const auto id = user_id_of(request);
  return db_.transact([&](Tx& tx) {
    auto user = store_.update_user(tx, id, patch);
    if (!user) throw ApiError(ErrorCode::kNotFound, "the account no longer exists");
    audit_.record(tx,
                  AuditLog::from_request(request, "user.update_self", "user", std::to_string(id)));
    return *user;
  });
}

void AuthService::change_password(const Request& request, const std::string& current,
                                  const std::string& next,
                                  const std::optional<std::string>& keep_refresh_token) {
  if (auto problem = password_problem(next)) throw ApiError(ErrorCode::kValidationFailed, *problem);
  const User user = current_user(request);
  // Guessing the current password with a stolen session counts like failed sign-ins, and waits
  // like them.
  const std::string key = LoginThrottle::key_of(user.id, "");
  const auto wait = db_.transact(
      [&](Tx& tx) {
        return throttle_.wait_ms(tx, store_, key, request.client_address, clock_.now_ms());
      },
      TxMode::kRead);
  if (wait > 0) throw too_many_failures(wait);
  if (!user.password_hash || !verify_password(current, *user.password_hash)) {
    db_.transact([&](Tx& tx) {
      AuditEvent e =
          AuditLog::from_request(request, "auth.password_change", "user", std::to_string(user.id));
      e.outcome = "failure";
      audit_.record(tx, e);
      count_failure(tx, request, key, user.id);
    });
    throw ApiError(ErrorCode::kForbidden, "the current password is not correct");
  }
  const std::string hash = hash_password(next, password_params());
  db_.transact([&](Tx& tx) {
    UserPatch patch;
    patch.password_hash = hash;
    store_.update_user(tx, user.id, patch);
    std::optional<std::string> keep;
    if (keep_refresh_token) keep = store_.family_of(tx, *keep_refresh_token);
    auto ended = store_.revoke_user_sessions(tx, user.id, keep);
    revoke_access(tx, user.id);  // the kept session refreshes; the others cannot
    AuditEvent e =
        AuditLog::from_request(request, "auth.password_change", "user", std::to_string(user.id));
    e.detail = {{"sessions_ended", ended}};
    audit_.record(tx, e);
  });
}

}  // namespace carehub::auth
