#include "cli/cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "carehub/migrations.hpp"

namespace carehub {
namespace {

constexpr int kUsageError = 2;
constexpr int kRuntimeError = 1;

int fail(int code, std::string_view message) {
  std::string line(message);
  for (auto& c : line) {
    if (c == '\n') c = ' ';
  }
  std::cerr << "carehub: " << line << "\n";
  return code;
}

std::string version_text() {
  return fmt::format("carehub {} (C++20, g++ {}.{}, {})", CAREHUB_VERSION, __GNUC__, __GNUC_MINOR__,
#ifdef NDEBUG
                     "release"
#else
                     "debug"
#endif
  );
}

}  // namespace

int run_cli(int argc, char** argv, ModuleList modules) {
  CLI::App app{"carehub: a clinic's backend in one binary"};
  app.require_subcommand(1);
  std::string config_file;
  app.add_option("--config", config_file,
                 "configuration file (else CAREHUB_CONFIG_FILE, else defaults)");

  auto* serve = app.add_subcommand(
      "serve", "run the HTTP API (and in-process job workers unless jobs.enabled=false)");
  auto* migrate = app.add_subcommand("migrate", "apply pending database migrations and exit");
  auto* bootstrap = app.add_subcommand("bootstrap", "register the initial admin once");
  std::string admin_email;
  bootstrap->add_option("--admin-email", admin_email, "overrides initial_setup.admin_email");
  std::string password_file;
  bootstrap->add_option(
      "--password-file", password_file,
      "file holding the admin's password (else a one-time set-password token is printed)");
  auto* worker = app.add_subcommand("worker", "run background job workers only");
  std::vector<std::string> queues;
  worker->add_option("--queue", queues,
                     "queue to work on (repeatable; default: jobs.queues, else all)");
  auto* config = app.add_subcommand("config", "check or print the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate the configuration");
  auto* print =
      config->add_subcommand("print", "print the effective configuration, secrets redacted");
  auto* health = app.add_subcommand("healthcheck", "exit 0 if the local server answers /healthz");
  std::string url;
  health->add_option("--url", url, "default: http://<server.host>:<server.port>/healthz");
  auto* version = app.add_subcommand("version", "print version and build information");
  auto* mail_test = app.add_subcommand(
      "mail-test", "queue test messages (the workers of serve or worker deliver them)");
  std::string mail_to;
  int mail_count = 1;
  mail_test->add_option("--to", mail_to, "recipient address")->required();
  mail_test->add_option("--count", mail_count, "how many (default 1)")
      ->check(CLI::Range(1, 1'000'000));
  for (auto* sub :
       {serve, migrate, bootstrap, worker, config, check, print, health, version, mail_test}) {
    sub->add_option("--config", config_file, "configuration file");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return fail(kUsageError, std::string(e.what()) + " (see carehub --help)");
  }

  if (version->parsed()) {
    std::cout << version_text() << "\n";
    return 0;
  }
  std::optional<std::string> file;
  if (!config_file.empty()) {
    file = config_file;
  } else if (const char* env = std::getenv("CAREHUB_CONFIG_FILE"); env && *env) {
    file = env;
  }

  try {
    auto loaded = load_config(file, modules);
    if (check->parsed()) {
      for (const auto& m : modules) m->check_config(loaded->config);
      std::cout << "configuration ok\n";
      return 0;
    }
    if (print->parsed()) {
      std::cout << loaded->config.redacted().dump(2) << "\n";
      return 0;
    }
    if (serve->parsed()) return cmd_serve(*loaded, modules);
    if (worker->parsed()) return cmd_worker(*loaded, modules, queues);
    if (migrate->parsed()) return cmd_migrate(*loaded);
    if (bootstrap->parsed()) return cmd_bootstrap(*loaded, modules, admin_email, password_file);
    if (health->parsed()) return cmd_healthcheck(*loaded, url);
    if (mail_test->parsed()) return cmd_mail_test(*loaded, modules, mail_to, mail_count);
  } catch (const ConfigError& e) {
    return fail(kUsageError, e.what());
  } catch (const std::exception& e) {
    return fail(kRuntimeError, e.what());
  }
  return fail(kUsageError, "no command given (see carehub --help)");
}

}  // namespace carehub
