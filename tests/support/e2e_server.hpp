// The real carehub binary as a server under test: a config file in a temp directory (SQLite
// database and blobs there unless a database URL is given, a free loopback port, diagnostics on),
// `carehub migrate`, then `carehub serve`, ready once GET /healthz answers 200. The destructor
// stops it with SIGTERM (SIGKILL after 10 s). Failures to start throw, quoting the server's stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

namespace carehub::test {

// An Authorization header carrying token as a Bearer credential.
inline HttpHeaders bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// headers with one more.
inline HttpHeaders with(HttpHeaders headers, std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return headers;
}

// The "code" of an error envelope, or a placeholder that no test expects.
inline std::string error_code(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "(no error envelope)";
  return j["error"].value("code", "(no code)");
}

struct ServerOptions {
  std::optional<std::string> database_url;          // default: sqlite://<dir>/carehub.db
  nlohmann::json extra = nlohmann::json::object();  // merged into the config (JSON merge patch)
  bool migrate = true;                              // run `carehub migrate` first
  bool start = true;                                // start `serve` in the constructor
  EnvOverrides env;                                 // for every carehub process started
  std::string tls_ca_file;  // the server speaks HTTPS: readiness is probed trusting this CA
};

class ServerUnderTest {
 public:
  explicit ServerUnderTest(ServerOptions options = {});
  ~ServerUnderTest();
  ServerUnderTest(const ServerUnderTest&) = delete;
  ServerUnderTest& operator=(const ServerUnderTest&) = delete;

  // Starts `serve` and waits (up to 15 s) for /healthz 200. Throws with stderr when it does not.
  void start();
  // SIGTERM, then SIGKILL after grace. Returns the exit code (128+N for a signal).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  bool running();

  // `carehub --config FILE args...`, with the server's environment, cwd = the temp directory.
  RunResult cli(std::vector<std::string> args,
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  std::unique_ptr<Process> spawn(std::vector<std::string> args) const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_->path(); }
  const std::string& config_path() const { return config_path_; }
  const std::string& database_url() const { return database_url_; }
  const nlohmann::json& config() const { return config_; }
  // The version printed by the migrate run of the constructor ("schema is at version N").
  std::optional<int> migrated_version() const { return migrated_version_; }
  const RunResult& migrate_result() const { return migrate_result_; }
  Process& process();  // the serve process; throws when not started
  std::string server_stderr() const;

  HttpClient client(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpClient(port_, timeout);
  }

 private:
  ServerOptions options_;
  std::unique_ptr<TempDir> dir_;
  std::string config_path_;
  std::string database_url_;
  nlohmann::json config_;
  int port_ = 0;
  RunResult migrate_result_;
  std::optional<int> migrated_version_;
  std::unique_ptr<Process> serve_;
};

// The last "version N" number printed by `carehub migrate` (either of its closing lines).
// `carehub serve` with options (never started by the constructor) must refuse to start, with a
// message holding expected (the key at fault and why): checked here, with the output in view.
void check_start_refused(ServerOptions options, const std::string& expected);

std::optional<int> parse_schema_version(const std::string& migrate_stdout);

// The shipped migration files for a backend directory name ("sqlite" or "postgres"), sorted.
std::vector<std::string> shipped_migration_files(const std::string& backend_dir);

// The highest NNNN prefix among those files: the version `migrate` must reach.
int latest_shipped_version(const std::string& backend_dir);

// A database handle on url, for checking what the binary stored.
std::unique_ptr<Database> open_test_database(const std::string& url);

// Reads jobs the way the API would (carehub::JobQueue::get on the same database).
class JobProbe {
 public:
  explicit JobProbe(const std::string& database_url);
  std::optional<JobInfo> get(std::int64_t id);
  // Polls every 50 ms until pred holds (returns the job) or the timeout (returns the last state).
  std::optional<JobInfo> wait_until(std::int64_t id,
                                    const std::function<bool(const JobInfo&)>& pred,
                                    std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<Database> db_;
  SystemClock clock_;
  std::unique_ptr<JobQueue> queue_;
};

// "state=running attempts=1 ..." for failure messages.
std::string describe(const std::optional<JobInfo>& job);

// The process's peak resident memory (VmHWM) in KiB; -1 when it cannot be read.
long peak_rss_kib(pid_t pid);

// Polls pred every 20 ms until it is true or the timeout passes; returns its last value.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace carehub::test
