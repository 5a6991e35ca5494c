#include "auth/auth_config.hpp"

namespace carehub::auth {

void add_auth_config_schema(ConfigSchema& s) {
  constexpr std::int64_t kDay = 86400;
  s.section("auth")
      .string("issuer", "carehub", "iss of the access tokens this server signs")
      .string("audience", "carehub", "aud of the access tokens this server signs")
      .integer("access_token_ttl_s", 900, 60, kDay, "access token lifetime")
      .integer("refresh_token_ttl_s", 30 * kDay, 300, 365 * kDay, "refresh token lifetime")
      .integer("refresh_reuse_grace_ms", 10'000, 0, 60'000,
               "a browser's refresh cookie presented again this soon after its rotation, from the "
               "same address, is two tabs refreshing at once, not theft (0: never)")
      .key({"signing_algorithm",
            ConfigType::kString,
            "EdDSA",
            false,
            INT64_MIN,
            INT64_MAX,
            {"EdDSA", "ES256"},
            "algorithm of generated signing keys"})
      .secret("signing_key", std::nullopt,
              "PEM private key; else keys_dir (generated on first run)")
      .string("keys_dir", "./data/keys", "signing keys, one PEM per kid (0600)")
      .integer("password_memory_kib", 19456, 8192, 4 * 1024 * 1024, "argon2id memory cost")
      .integer("password_iterations", 2, 1, 100, "argon2id time cost")
      .integer("password_parallelism", 1, 1, 64, "argon2id lanes")
      .integer("lockout_failures", 5, 1, 1000,
               "failed sign-ins in a row of one account from one address before each further "
               "try from there waits (1 s, then doubling)")
      .integer("lockout_s", 900, 1, 30 * kDay, "the longest of those waits")
      .integer("login_ceiling", 100, 1, 1'000'000,
               "failed sign-ins of one account from all addresses within "
               "login_ceiling_window_s that alert the admins; from then on one try per "
               "login_ceiling_interval_ms")
      .integer("login_ceiling_window_s", 3600, 60, 30 * kDay, "the window of login_ceiling")
      .integer("login_ceiling_interval_ms", 1000, 0, 3'600'000,
               "past the ceiling, the least time between two tries of the account")
      .integer("login_rate_per_minute", 20, 1, 100000, "login attempts per client address")
      .integer("registration_rate_per_hour", 10, 1, 100000,
               "self-registrations per client address (each costs an argon2id hash)")
      .string_list("registration_roles", {}, "roles open to self-registration (patient, user)")
      .integer("reset_token_ttl_s", kDay, 300, 30 * kDay, "one-time set-password token lifetime");
  s.section("auth.oidc")
      .string("issuer", "", "external OpenID provider; empty: local passwords")
      .string("audience", "", "aud (or client_id) the provider's tokens carry")
      .string("jwks_url", "", "else discovered from <issuer>/.well-known/openid-configuration")
      .string("email_claim", "email", "claim holding the user's email")
      .string("header", "Authorization",
              "header carrying the token (e.g. X-Forwarded-Access-Token)")
      .integer("min_refresh_interval_s", 60, 1, kDay, "least time between JWKS fetches")
      .string("client_id", "", "the console's client at the provider; empty: no browser sign-in")
      .secret("client_secret", "", "the console client's secret; empty: a public client (PKCE)")
      .string("display_name", "your identity provider", "the sign-in button: Sign in with <this>")
      .string("scopes", "openid email profile", "scopes the console asks for")
      .string("redirect_url", "",
              "the callback registered at the provider; empty: derived from the request's host");
}

AuthConfig read_auth_config(const Config& config) {
  const auto& a = config.section("auth");
  const auto& o = config.section("auth.oidc");
  AuthConfig c;
  c.issuer = a["issuer"];
  c.audience = a["audience"];
  c.access_token_ttl_s = a["access_token_ttl_s"];
  c.refresh_token_ttl_s = a["refresh_token_ttl_s"];
  c.refresh_reuse_grace_ms = a["refresh_reuse_grace_ms"];
  c.signing_algorithm = a["signing_algorithm"];
  c.signing_key = a.value("signing_key", "");
  c.keys_dir = a["keys_dir"];
  c.password_memory_kib = a["password_memory_kib"];
  c.password_iterations = a["password_iterations"];
  c.password_parallelism = a["password_parallelism"];
  c.lockout_failures = a["lockout_failures"];
  c.lockout_s = a["lockout_s"];
  c.login_ceiling = a["login_ceiling"];
  c.login_ceiling_window_s = a["login_ceiling_window_s"];
  c.login_ceiling_interval_ms = a["login_ceiling_interval_ms"];
  c.login_rate_per_minute = a["login_rate_per_minute"];
  c.registration_rate_per_hour = a["registration_rate_per_hour"];
  c.registration_roles = a["registration_roles"].get<std::vector<std::string>>();
  c.reset_token_ttl_s = a["reset_token_ttl_s"];
  c.oidc = {o["issuer"],       o["audience"],
            o["jwks_url"],     o["email_claim"],
            o["header"],       o["min_refresh_interval_s"],
            o["client_id"],    o.value("client_secret", ""),
            o["display_name"], o["scopes"],
            o["redirect_url"]};
  if (!c.oidc.client_id.empty() && c.oidc.issuer.empty()) {
    throw ConfigError("config: 'auth.oidc.client_id' needs 'auth.oidc.issuer'");
  }
  if (!c.oidc.issuer.empty() && c.oidc.audience.empty()) {
    throw ConfigError("config: 'auth.oidc.audience' is required when 'auth.oidc.issuer' is set");
  }
  return c;
}

}  // namespace carehub::auth
