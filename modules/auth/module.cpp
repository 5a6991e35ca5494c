#include "auth/module.hpp"

#include <fmt/format.h>

#include "auth/auth_config.hpp"
#include "auth/routes.hpp"
#include "auth/service.hpp"
#include "carehub/jobs.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kPurgeIntervalMs = 3'600'000;  // hourly: expired tokens are only clutter

}  // namespace

AuthModule::AuthModule() = default;
AuthModule::~AuthModule() = default;

void AuthModule::add_config_schema(ConfigSchema& schema) const {
  add_auth_config_schema(schema);
}

void AuthModule::check_config(const Config& config) const {
  read_auth_config(config);
}

void AuthModule::start(ModuleContext& ctx) {
  service_ =
      std::make_unique<AuthService>(read_auth_config(ctx.config), ctx.db, ctx.audit, ctx.clock);
  ctx.set_authenticator(
      [service = service_.get()](const Request& req) { return service->authenticate(req); });
  service_->set_services(&ctx.services);
  service_->set_mail(&ctx.mail);
  ctx.services.principals.install(service_.get());
  ctx.services.accounts.install(service_.get());
  register_session_routes(ctx.router, *service_);
  register_admin_routes(ctx.router, *service_);
  register_key_routes(ctx.router, *service_);
  ctx.job_handlers.add("auth.purge_tokens", [service = service_.get()](JobContext&) {
    return nlohmann::json{{"deleted", service->purge_expired_tokens()}};
  });
  JobSpec purge;
  purge.type = "auth.purge_tokens";
  ctx.jobs.schedule("auth.purge_tokens", purge, kPurgeIntervalMs);
  service_->start_background();
}

void AuthModule::serve(ModuleContext& ctx) {
  const auto token = service_->issue_setup_token();
  if (!token) return;
  const auto& server = ctx.config.server();
  // A wildcard address is no place to browse to: this machine's loopback is (or the server's
  // name, which the person opening it knows and the server may not).
  const std::string host = server.host == "0.0.0.0"                     ? "127.0.0.1"
                           : server.host == "::"                        ? "[::1]"
                           : server.host.find(':') != std::string::npos ? "[" + server.host + "]"
                                                                        : server.host;
  // The one secret ever logged, on purpose: single-use, valid for an hour, only while no admin
  // exists, and only its hash is stored. `carehub bootstrap` is the way that logs nothing.
  log_info("setup_link",
           {{"url", fmt::format("http://{}:{}/setup#token={}", host, server.port, *token)},
            {"message", "no administrator yet: open this link within an hour to set one up"}});
}

std::vector<std::string> AuthModule::bootstrap(ModuleContext& /*context*/,
                                               const BootstrapOptions& options) {
  return service_->bootstrap(options.admin_email, options.admin_password);
}

}  // namespace carehub::auth
