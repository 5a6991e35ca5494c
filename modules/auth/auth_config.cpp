#include "auth/auth_config.hpp"

#include <fmt/format.h>

#include <regex>

namespace carehub::auth {

bool valid_scope(const std::string& scope) {
  static const std::regex kScope("^[a-z][a-z0-9_-]{0,31}:(read|write)$");
  return std::regex_match(scope, kScope);
}

namespace {

// auth.client_certificates, each entry checked: one of subject or san, a name (defaulting to
// what it matches), scopes of the API tokens' form. Mutual TLS must be on to use any.
std::vector<AuthConfig::CertificateGrant> read_certificate_grants(const Config& config) {
  const nlohmann::json& list = config.section("auth")["client_certificates"];
  std::vector<AuthConfig::CertificateGrant> grants;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto key = fmt::format("auth.client_certificates[{}]", i);
    const auto& entry = list[i];
    const auto text = [&](const char* field) {
      if (!entry.contains(field)) return std::string();
      if (!entry[field].is_string() || entry[field].get<std::string>().empty())
        throw ConfigError(fmt::format("config: '{}.{}' must be a non-empty string", key, field));
      return entry[field].get<std::string>();
    };
    for (const auto& [field, value] : entry.items()) {
      if (field != "subject" && field != "san" && field != "name" && field != "scopes")
        throw ConfigError(fmt::format(
            "config: '{}.{}' is not a known field (subject, san, name, scopes)", key, field));
    }
    AuthConfig::CertificateGrant g{text("subject"), text("san"), text("name"), {}};
    if (g.subject.empty() == g.san.empty())
      throw ConfigError(fmt::format("config: '{}' needs exactly one of subject and san", key));
    if (g.name.empty()) g.name = g.subject.empty() ? g.san : g.subject;
    if (!entry.contains("scopes") || !entry["scopes"].is_array() || entry["scopes"].empty())
      throw ConfigError(fmt::format("config: '{}.scopes' must list at least one scope", key));
    for (const auto& scope : entry["scopes"]) {
      if (!scope.is_string() || !valid_scope(scope.get<std::string>()))
        throw ConfigError(
            fmt::format("config: '{}.scopes': {} is not of the form <area>:read or <area>:write",
                        key, scope.dump()));
      g.scopes.push_back(scope.get<std::string>());
    }
    grants.push_back(std::move(g));
  }
  if (!grants.empty() && config.tls().client_ca_file.empty())
    throw ConfigError(
        "config: 'auth.client_certificates' needs 'server.tls.client_ca_file' (mutual TLS), "
        "or no client certificate is ever asked for");
  return grants;
}

}  // namespace

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
      .boolean("verify_email", false,
               "a self-registered account signs in only once its address is confirmed through an "
               "emailed link")
      .integer("reset_token_ttl_s", kDay, 300, 30 * kDay, "one-time set-password token lifetime")
      .object_list("client_certificates", nlohmann::json::array(),
                   "mutual TLS (server.tls.client_ca_file): {\"subject\": \"CN=..,O=..\" (RFC "
                   "2253) or \"san\": \"DNS:..\" / \"URI:..\" / \"email:..\", \"scopes\": "
                   "[\"dicom:write\"], \"name\": audit name}; a verified certificate listed "
                   "here authenticates with those scopes, one not listed gets nothing");
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
  c.verify_email = a["verify_email"];
  c.reset_token_ttl_s = a["reset_token_ttl_s"];
  c.client_certificates = read_certificate_grants(config);
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
