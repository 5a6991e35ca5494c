// The auth module's service and routes on a fresh migrated database (either backend), behind the
// same Pipeline the server uses (no sockets), on a clock the test moves by hand. Cheap argon2
// parameters keep the tests fast; the signing keys live in their own temporary directory.
#pragma once

#include <openssl/evp.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/routes.hpp"
#include "auth/service.hpp"
#include "carehub/core_routes.hpp"
#include "carehub/migrations.hpp"
#include "contract/jobs_support.hpp"
#include "http/pipeline.hpp"
#include "support/auth_forge.hpp"

namespace carehub::test {

inline const std::string kTestPassword = "correct horse battery";
inline const std::string kClientAddress = "192.0.2.10";

inline auth::AuthConfig test_auth_config(const std::string& keys_dir) {
  auth::AuthConfig c;
  c.issuer = "carehub-test";
  c.audience = "carehub-test-api";
  c.access_token_ttl_s = 900;
  c.refresh_token_ttl_s = 30 * 86400;
  c.signing_algorithm = "EdDSA";
  c.signing_key = "";
  c.keys_dir = keys_dir;
  c.password_memory_kib = 8192;
  c.password_iterations = 1;
  c.password_parallelism = 1;
  c.lockout_failures = 5;
  c.lockout_s = 900;
  c.login_rate_per_minute = 1000;
  c.registration_roles = {};
  c.reset_token_ttl_s = 86400;
  c.oidc = {"", "", "", "email", "Authorization", 60, "", "", "", "openid email profile", ""};
  return c;
}

inline std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

inline nlohmann::json body_of(const Response& r) {
  return r.body.empty() ? nlohmann::json() : nlohmann::json::parse(r.body);
}

inline std::optional<std::string> header_of(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == name) return v;
  }
  return std::nullopt;
}

struct AuthServiceFixture {
  explicit AuthServiceFixture(Backend backend,
                              const std::function<void(auth::AuthConfig&)>& tweak = {})
      : database(backend),
        audit(database.db(), clock),
        jobs(database.db(), clock, test_jobs_config()),
        pipeline(router) {
    migrate(database.db(), {});
    config = test_auth_config(keys.path() + "/keys");
    if (tweak) tweak(config);
    service = std::make_unique<auth::AuthService>(config, database.db(), audit, clock);
    register_core_routes(router, database.db(), jobs, metrics);
    auth::register_session_routes(router, *service);
    auth::register_admin_routes(router, *service);
    auth::register_key_routes(router, *service);
    pipeline.set_authenticator([this](const Request& r) { return service->authenticate(r); });
  }

  Database& db() { return database.db(); }
  auth::AuthStore& store() { return service->store(); }

  Request request(Method method, const std::string& path, const std::string& body = {},
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  const std::string& address = kClientAddress) {
    Request req;
    req.method = method;
    req.path = path;
    req.target = path;
    req.body = body;
    req.request_id = "test-rid";
    req.client_address = address;
    for (const auto& h : headers) req.headers.push_back(h);
    if (!body.empty()) req.headers.emplace_back("content-type", "application/json");
    return req;
  }

  Response call(Request req) {
    Response early;
    const Route* route = pipeline.route(req, early);
    return route ? pipeline.handle(*route, req) : early;
  }

  Response call(Method method, const std::string& path, const nlohmann::json& body = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                const std::string& address = kClientAddress) {
    return call(
        request(method, path, body.is_null() ? std::string() : body.dump(), headers, address));
  }

  Response post(const std::string& path, const nlohmann::json& body,
                const std::string& address = kClientAddress) {
    return call(Method::kPost, path, body, {}, address);
  }

  Response login(const std::string& email, const std::string& password,
                 const std::string& address = kClientAddress) {
    return post("/api/v1/auth/login", {{"email", email}, {"password", password}}, address);
  }

  // Signs in and returns the session body; throws when the answer is not 200.
  nlohmann::json session(const std::string& email, const std::string& password = kTestPassword) {
    auto r = login(email, password);
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    return body_of(r);
  }

  Response refresh(const std::string& token) {
    return post("/api/v1/auth/refresh", {{"refresh_token", token}});
  }

  Response with_bearer(Method method, const std::string& path, const std::string& token,
                       const nlohmann::json& body = {}) {
    return call(method, path, body, {{"authorization", "Bearer " + token}});
  }

  auth::User add_user(const std::string& email, std::vector<std::string> roles = {"physician"},
                      std::optional<std::string> password = kTestPassword,
                      const std::string& status = "active") {
    auth::NewUser nu;
    nu.email = email;
    nu.roles = std::move(roles);
    nu.status = status;
    if (password) nu.password_hash = auth::hash_password(*password, service->password_params());
    auto r = db().transact([&](Tx& tx) { return store().create_user(tx, nu); });
    if (!r.created()) throw std::runtime_error("test user not created: " + r.problem);
    return *r.user;
  }

  // A signed-in admin (root@clinic.example): its access token.
  std::string admin_token() {
    add_user("root@clinic.example", {"admin"});
    return session("root@clinic.example")["access_token"].get<std::string>();
  }

  // Runs bootstrap for email; returns the set-password token its output holds.
  std::string bootstrap_admin(const std::string& email) {
    bootstrap_output = service->bootstrap(email, std::nullopt);
    for (const auto& line : bootstrap_output) {
      const std::string marker = "\"token\":\"";
      const auto at = line.find(marker);
      if (at == std::string::npos) continue;
      const auto start = at + marker.size();
      return line.substr(start, line.find('"', start) - start);
    }
    throw std::runtime_error("bootstrap printed no set-password token");
  }

  // An API token as its Bearer string and its id/secret.
  struct ApiTokenSecret {
    std::int64_t id;
    std::string secret;
    std::string bearer() const { return auth::format_api_token(id, secret); }
  };
  ApiTokenSecret api_token(const std::vector<std::string>& scopes,
                           std::optional<std::int64_t> expires_at_ms = std::nullopt) {
    auto issued = db().transact([&](Tx& tx) {
      return store().create_api_token(tx, "device", scopes, std::nullopt, expires_at_ms);
    });
    return {issued.id, issued.secret};
  }

  // Audit events about one user, with the given action.
  std::vector<AuditEvent> audit_of(std::int64_t user_id, const std::string& action) {
    AuditQuery q;
    q.resource_type = "user";
    q.resource_id = std::to_string(user_id);
    q.limit = 1000;
    std::vector<AuditEvent> found;
    for (auto& rec : audit.find(q)) {
      if (rec.event.action == action) found.push_back(rec.event);
    }
    return found;
  }

  TestDatabase database;
  ManualClock clock;
  TempDir keys;
  AuditLog audit;
  JobQueue jobs;
  Metrics metrics;
  Router router;
  Pipeline pipeline;
  auth::AuthConfig config;
  std::unique_ptr<auth::AuthService> service;
  std::vector<std::string> bootstrap_output;
};

}  // namespace carehub::test
