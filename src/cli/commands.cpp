#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <thread>

#include "carehub/audit.hpp"
#include "carehub/log.hpp"
#include "carehub/mail.hpp"
#include "carehub/migrations.hpp"
#include "carehub/spool.hpp"
#include "cli/cli.hpp"
#include "cli/http_probe.hpp"
#include "http/server.hpp"

namespace carehub {
namespace {

std::string worker_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host, getpid(), rd());
}

// Running jobs get up to grace_ms to finish after the HTTP drain.
bool stop_within(JobRunner& runner, int grace_ms) {
  std::promise<void> stopped;
  auto done = stopped.get_future();
  std::thread([&runner, p = std::move(stopped)]() mutable {
    runner.stop();
    p.set_value();
  }).detach();
  return done.wait_for(std::chrono::milliseconds(grace_ms)) == std::future_status::ready;
}

// server.worker_threads = 0 (the default) sizes the pool from the machine and the database. On
// SQLite a worker never waits (WAL readers do not block, the writer is taken in turn), so threads
// beyond the cores only add wake-ups and context switches: measured, /api/v1/auth/me at 64
// connections ran 20-30% faster with 2 workers than with 4 on 2 cores. On PostgreSQL a worker
// waits for every round trip, so twice as many keep the cores busy.
ServerConfig resolve_server_config(ServerConfig server, Backend backend) {
  if (server.worker_threads > 0) return server;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  server.worker_threads = std::max(2, backend == Backend::kSqlite ? cores : 2 * cores);
  return server;
}

}  // namespace

int cmd_serve(const LoadedConfig& loaded, ModuleList& modules) {
  Runtime rt(loaded.config, modules);
  const ServerConfig server_config =
      resolve_server_config(loaded.config.server(), rt.db->backend());
  log_info("server_threads", {{"io_threads", server_config.io_threads},
                              {"worker_threads", server_config.worker_threads}});
  if (auto removed = clean_spool_dir(server_config.upload_dir)) {
    log_info("upload_leftovers_removed", {{"files", removed}, {"dir", server_config.upload_dir}});
  }
  HttpServer server(server_config, rt.router, rt.pipeline, rt.metrics, rt.certificates);
  server.listen();
  for (auto& m : modules) m->serve(*rt.context);
  std::unique_ptr<JobRunner> runner;
  if (loaded.config.jobs().enabled) {
    runner = std::make_unique<JobRunner>(*rt.jobs, rt.job_handlers, worker_id());
    runner->start();
  }
  const bool drained = server.run();  // until SIGTERM/SIGINT and the drain
  for (auto& m : modules)
    m->drain(std::chrono::milliseconds(loaded.config.server().shutdown_grace_ms));
  if (drained && (!runner || stop_within(*runner, loaded.config.server().shutdown_grace_ms)))
    return 0;
  // Handlers or jobs are still running past the grace period. Their transactions roll back and
  // their jobs are reclaimed when the lease expires, so ending now loses nothing acknowledged.
  log_warn("forced_exit", {{"reason", "shutdown grace period expired with work in flight"}});
  std::_Exit(0);
}

int cmd_worker(const LoadedConfig& loaded, ModuleList& modules,
               const std::vector<std::string>& queues) {
  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Runtime rt(loaded.config, modules);
  JobsConfig jobs_config = loaded.config.jobs();
  if (!queues.empty()) jobs_config.queues = queues;
  JobQueue queue(*rt.db, rt.clock, jobs_config);
  const std::string id = worker_id();
  JobRunner runner(queue, rt.job_handlers, id);
  runner.start();
  log_info("worker_started", {{"worker_id", id},
                              {"queues", jobs_config.queues},
                              {"concurrency", jobs_config.concurrency}});
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log_info("worker_stopping", {{"signal", sig}});
  if (stop_within(runner, loaded.config.server().shutdown_grace_ms)) return 0;
  log_warn("forced_exit", {{"reason", "shutdown grace period expired with jobs running"}});
  std::_Exit(0);
}

int cmd_migrate(const LoadedConfig& loaded) {
  auto db = open_database(loaded.config.database());
  int applied = migrate(*db, [](const Migration& m) {
    std::cout << fmt::format("applied {:04}_{}.sql", m.version, m.name) << std::endl;
  });
  auto status = schema_status(*db);
  if (applied == 0) {
    std::cout << "schema is up to date (version " << status.current << ")\n";
  } else {
    std::cout << "schema is at version " << status.current << "\n";
  }
  return 0;
}

int cmd_bootstrap(const LoadedConfig& loaded, ModuleList& modules,
                  const std::string& admin_email_flag, const std::string& password_file) {
  BootstrapOptions options;
  options.admin_email =
      admin_email_flag.empty()
          ? loaded.config.section("initial_setup")["admin_email"].get<std::string>()
          : admin_email_flag;
  if (options.admin_email.empty()) {
    throw ConfigError(
        "config: no admin email: set 'initial_setup.admin_email' or pass --admin-email");
  }
  if (!password_file.empty()) {
    std::ifstream in(password_file, std::ios::binary);
    if (!in) throw ConfigError("bootstrap: cannot read --password-file " + password_file);
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back();
    options.admin_password = std::move(password);
  }
  Runtime rt(loaded.config, modules);
  std::size_t said = 0;
  for (auto& m : modules) {
    for (const auto& line : m->bootstrap(*rt.context, options)) {
      std::cout << m->name() << ": " << line << "\n";
      ++said;
    }
  }
  if (said == 0) std::cout << "nothing to bootstrap: no module has one-time setup\n";
  return 0;
}

int cmd_healthcheck(const LoadedConfig& loaded, const std::string& url_flag) {
  auto server = loaded.config.server();
  std::string host = server.host == "0.0.0.0" ? "127.0.0.1"
                     : server.host == "::"    ? "::1"
                                              : server.host;
  std::string url =
      url_flag.empty() ? fmt::format("http://{}:{}/healthz", host, server.port) : url_flag;
  auto status = http_probe(url, std::chrono::seconds(3));
  if (status == 200) {
    std::cout << "ok\n";
    return 0;
  }
  throw std::runtime_error(status ? fmt::format("{} answered HTTP {}", url, status)
                                  : fmt::format("{} did not answer", url));
}

int cmd_mail_test(const LoadedConfig& loaded, ModuleList& modules, const std::string& to,
                  int count) {
  Runtime rt(loaded.config, modules);
  MailMessage message;
  message.to = to;
  message.template_name = "test";
  rt.db->transact([&](Tx& tx) {
    for (int i = 0; i < count; ++i) rt.mail->enqueue(tx, message);
    AuditEvent e;
    e.actor = "system";
    e.action = "mail.test";
    e.resource_type = "mail";
    e.detail = {{"count", count}};
    rt.audit->record(tx, e);
  });
  std::cout << "queued " << count << " test message(s) for mail.provider "
            << loaded.config.section("mail")["provider"].get<std::string>()
            << "; the workers of carehub serve or carehub worker deliver them\n";
  return 0;
}

}  // namespace carehub
