// A module's one entry point receives this context and registers its routes, job handlers and
// background work on it. Modules talk to each other only through the core's interfaces.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/audit.hpp"
#include "carehub/blob.hpp"
#include "carehub/clock.hpp"
#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "carehub/mail.hpp"
#include "carehub/principal.hpp"
#include "carehub/router.hpp"
#include "carehub/services.hpp"
#include "carehub/tickets.hpp"

namespace carehub {

class TlsReloads;  // carehub/tls.hpp

// Turns a request's credentials into a principal. Installed by the auth module; without one every
// non-public route answers 401. Returns nullopt when the request carries no credentials; throws
// ApiError (kUnauthorized for a bad or expired credential, kForbidden for a valid identity that
// has no account here) to refuse with a reason.
using Authenticator = std::function<std::optional<Principal>(const Request&)>;

struct ModuleContext {
  const Config& config;
  Database& db;
  BlobStore& blobs;
  JobQueue& jobs;
  JobRegistry& job_handlers;
  AuditLog& audit;
  Router& router;
  const Clock& clock;
  std::function<void(Authenticator)> set_authenticator;
  Services& services;
  TicketStore& tickets;
  // A module's own TLS listener (the DICOM port) adds its certificate here, before the server
  // runs, to have it reloaded on SIGHUP and when its files change, as HTTPS's is.
  TlsReloads& certificates;
  // Outgoing email: enqueue inside the unit of work of the change that causes it.
  Mail& mail;
};

// What `carehub bootstrap` was given.
struct BootstrapOptions {
  std::string admin_email;
  std::optional<std::string> admin_password;  // from --password-file; else a set-password token
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  // Declares the module's config section (its keys, types and defaults).
  virtual void add_config_schema(ConfigSchema& /*schema*/) const {}
  // Rules across keys that the schema cannot state (throws ConfigError). `config check` runs it.
  virtual void check_config(const Config& /*config*/) const {}
  // Registers routes and job handlers. Called once, after migrations are checked.
  virtual void start(ModuleContext& context) = 0;
  // `carehub serve` only, once the HTTP server listens: the module's own listeners (the DICOM
  // port). Throws to stop the server from starting (a port in use).
  virtual void serve(ModuleContext& /*context*/) {}
  // `carehub serve` is stopping: stop accepting, let work in flight finish within grace.
  virtual void drain(std::chrono::milliseconds /*grace*/) {}
  // `carehub bootstrap`: one-time setup (the auth module registers the initial admin). Must be
  // idempotent: a second run changes nothing. Returns lines saying what it did or found.
  virtual std::vector<std::string> bootstrap(ModuleContext& /*context*/,
                                             const BootstrapOptions& /*options*/) {
    return {};
  }
};

}  // namespace carehub
