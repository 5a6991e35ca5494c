#include "support/e2e_server.hpp"

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "carehub/config.hpp"
#include "support/tls_client.hpp"

namespace carehub::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kPollEvery = std::chrono::milliseconds(50);

nlohmann::json base_config(const std::string& dir, const std::string& url, int port) {
  return {
      {"server", {{"host", "127.0.0.1"}, {"port", port}}},
      {"database", {{"url", url}}},
      {"blob", {{"path", dir + "/blobs"}}},
      {"log", {{"level", "info"}}},
      // A separate worker process finds new jobs by polling: keep the tests quick.
      {"jobs", {{"poll_interval_ms", 200}}},
      {"diag", {{"enabled", true}}},
  };
}

}  // namespace

ServerUnderTest::ServerUnderTest(ServerOptions options)
    : options_(std::move(options)), dir_(std::make_unique<TempDir>()) {
  config_path_ = dir_->path() + "/carehub.json";
  database_url_ = options_.database_url.value_or("sqlite://" + dir_->path() + "/carehub.db");
  port_ = free_loopback_port();
  config_ = base_config(dir_->path(), database_url_, port_);
  config_.merge_patch(options_.extra);
  port_ = config_["server"]["port"].get<int>();
  write_file(config_path_, config_.dump(2));

  if (options_.migrate) {
    migrate_result_ = cli({"migrate"});
    if (migrate_result_.exit_code != 0) {
      throw std::runtime_error("carehub migrate failed before the server could start:\n" +
                               describe(migrate_result_));
    }
    migrated_version_ = parse_schema_version(migrate_result_.out);
  }
  if (options_.start) start();
}

ServerUnderTest::~ServerUnderTest() {
  try {
    stop();
  } catch (...) {
    // Process's own destructor still kills and reaps it.
  }
}

void ServerUnderTest::start() {
  for (int attempt = 1;; ++attempt) {
    serve_ = spawn({"serve"});
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!serve_->running()) break;
      try {
        if (!options_.tls_ca_file.empty()) {
          TlsClient probe(port_, options_.tls_ca_file, std::chrono::seconds(1));
          if (probe.get("/healthz").status == 200) return;
        } else {
          HttpClient probe(port_, std::chrono::seconds(1));
          if (probe.get("/healthz").status == 200) return;
        }
      } catch (const HttpError&) {
        // not listening yet
      }
      std::this_thread::sleep_for(kPollEvery);
    }
    const std::string err = serve_->stderr_text();
    // Another process may have taken the "free" port between our probe and the server's bind.
    const bool port_taken = !serve_->running() && err.find("in use") != std::string::npos;
    const bool port_fixed =
        options_.extra.contains("server") && options_.extra["server"].contains("port");
    if (port_taken && attempt < 3 && !port_fixed) {
      port_ = free_loopback_port();
      config_["server"]["port"] = port_;
      write_file(config_path_, config_.dump(2));
      continue;
    }
    const bool exited = !serve_->running();
    const int code = serve_->stop(SIGKILL, std::chrono::seconds(5));
    throw std::runtime_error(
        std::string("carehub serve did not answer GET /healthz with 200 within 15 s (") +
        (exited ? "it exited with code " + std::to_string(code) : std::string("still running")) +
        ")\nconfig: " + config_.dump() + "\n--- stdout ---\n" + serve_->stdout_text() +
        "\n--- stderr ---\n" + err);
  }
}

int ServerUnderTest::stop(std::chrono::milliseconds grace) {
  if (!serve_) return -1;
  return serve_->stop(SIGTERM, grace);
}

bool ServerUnderTest::running() {
  return serve_ && serve_->running();
}

Process& ServerUnderTest::process() {
  if (!serve_) throw std::logic_error("the server was not started");
  return *serve_;
}

std::string ServerUnderTest::server_stderr() const {
  return serve_ ? serve_->stderr_text() : "";
}

RunResult ServerUnderTest::cli(std::vector<std::string> args,
                               std::chrono::milliseconds timeout) const {
  args.insert(args.begin(), {"--config", config_path_});
  return run_carehub(std::move(args), options_.env, dir_->path(), timeout);
}

std::unique_ptr<Process> ServerUnderTest::spawn(std::vector<std::string> args) const {
  args.insert(args.begin(), {carehub_binary(), "--config", config_path_});
  return std::make_unique<Process>(std::move(args), options_.env, dir_->path());
}

void check_start_refused(ServerOptions options, const std::string& expected) {
  options.start = false;
  ServerUnderTest server(std::move(options));
  const auto r = server.cli({"serve"}, std::chrono::seconds(20));
  INFO(server.config().dump() << "\n" << describe(r));
  CHECK(r.exit_code.has_value());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find(expected) != std::string::npos);
}

std::optional<int> parse_schema_version(const std::string& migrate_stdout) {
  static const std::regex kVersion(R"(version (\d+))");
  std::optional<int> found;
  for (auto it = std::sregex_iterator(migrate_stdout.begin(), migrate_stdout.end(), kVersion);
       it != std::sregex_iterator(); ++it) {
    found = std::stoi((*it)[1].str());
  }
  return found;
}

std::vector<std::string> shipped_migration_files(const std::string& backend_dir) {
  std::vector<std::string> names;
  const auto dir = std::filesystem::path(source_dir()) / "migrations" / backend_dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".sql") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

int latest_shipped_version(const std::string& backend_dir) {
  int latest = 0;
  for (const auto& name : shipped_migration_files(backend_dir)) {
    latest = std::max(latest, std::stoi(name.substr(0, name.find('_'))));
  }
  return latest;
}

std::unique_ptr<Database> open_test_database(const std::string& url) {
  DatabaseConfig config{url, 2, 5000, 5};
  return open_database(config);
}

JobProbe::JobProbe(const std::string& database_url) : db_(open_test_database(database_url)) {
  JobsConfig config{false, 1, {}, 1000, 30000, 5, 1000, 600000};
  queue_ = std::make_unique<JobQueue>(*db_, clock_, config);
}

std::optional<JobInfo> JobProbe::get(std::int64_t id) {
  return queue_->get(id);
}

std::optional<JobInfo> JobProbe::wait_until(std::int64_t id,
                                            const std::function<bool(const JobInfo&)>& pred,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto job = get(id);
    if ((job && pred(*job)) || std::chrono::steady_clock::now() >= deadline) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string describe(const std::optional<JobInfo>& job) {
  if (!job) return "(no such job)";
  return "id=" + std::to_string(job->id) + " state=" + std::string(job_state_name(job->state)) +
         " attempts=" + std::to_string(job->attempts) +
         " progress=" + std::to_string(job->progress) + " result=" + job->result.dump() +
         " last_error=" + job->last_error.value_or("(none)");
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace carehub::test
