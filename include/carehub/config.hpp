// Configuration: embedded defaults, then the JSON file (--config or CAREHUB_CONFIG_FILE), then
// CAREHUB_<SECTION>__<KEY> environment overrides. Every key is declared in a schema (core sections
// here, module sections by the module); unknown keys and wrong types are rejected with the key's
// path. A key declared secret may instead be given as "<key>_file" naming a file that holds it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace carehub {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ConfigType { kString, kInt, kBool, kStringList, kObjectList };

struct ConfigKey {
  std::string name;
  ConfigType type;
  nlohmann::json default_value;  // null: no default (optional key)
  bool secret = false;
  std::int64_t min = INT64_MIN;  // for kInt
  std::int64_t max = INT64_MAX;
  std::vector<std::string> allowed;  // for kString: when non-empty, the value must be one of these
  std::string help;
};

class ConfigSchema {
 public:
  ConfigSchema& section(const std::string& name);  // selects (creating) the section keys go into
  ConfigSchema& key(ConfigKey key);
  ConfigSchema& string(const std::string& name, std::string def, std::string help = {});
  ConfigSchema& integer(const std::string& name, std::int64_t def, std::int64_t min,
                        std::int64_t max, std::string help = {});
  ConfigSchema& boolean(const std::string& name, bool def, std::string help = {});
  ConfigSchema& secret(const std::string& name, std::optional<std::string> def,
                       std::string help = {});
  ConfigSchema& string_list(const std::string& name, std::vector<std::string> def,
                            std::string help = {});
  // A list of JSON objects whose shape the module checks (check_config); from the environment,
  // the variable holds the list as JSON text.
  ConfigSchema& object_list(const std::string& name, nlohmann::json def, std::string help = {});

  const std::map<std::string, std::vector<ConfigKey>>& sections() const { return sections_; }
  const ConfigKey* find(const std::string& section, const std::string& key) const;

 private:
  std::map<std::string, std::vector<ConfigKey>> sections_;
  std::string current_;
};

// The core's own sections: server, database, blob, log, jobs, initial_setup.
void add_core_config_schema(ConfigSchema& schema);

// HTTPS (server.tls). With no cert_file the server speaks plain HTTP.
struct TlsConfig {
  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_pem;    // the private key (a secret)
  std::string key_file;   // where key_pem was read from (key_file), re-read on reload; or empty
  int reload_check_s;     // how often the files are checked for a change; 0: on SIGHUP only
  std::string hsts;       // the Strict-Transport-Security value; empty: not sent
  // Mutual TLS: CA certificates (PEM) whose client certificates are asked for and verified;
  // empty: none asked. A verified certificate authenticates only where auth maps it.
  std::string client_ca_file;
  std::string section = "server.tls";       // the config section, named in errors and logs
  bool require_client_certificate = false;  // with client_ca_file: a client without one is refused
  bool enabled() const { return !cert_file.empty(); }
};

// Requests a minute for each route class (server.rate_limits), per client address and per
// principal alike; 0: unlimited.
struct RateLimitConfig {
  int authentication_per_minute;
  int writes_per_minute;
  int reads_per_minute;
  int uploads_per_minute;
  int streams_per_minute;
};

struct ServerConfig {
  std::string host;
  int port;
  int io_threads;
  int worker_threads;
  std::size_t max_header_bytes;
  std::size_t max_body_bytes;
  int header_timeout_ms;  // the whole header must arrive within this
  int body_timeout_ms;    // the body, once headers are in
  int write_timeout_ms;
  int idle_timeout_ms;    // keep-alive wait for the next request
  int shutdown_grace_ms;  // SIGTERM: requests in flight get this long to finish
  int max_requests_per_connection;
  int max_connections;
  std::string upload_dir;         // spooled request bodies
  int max_anonymous_connections;  // resolved: never 0
  std::uint64_t min_body_bytes_per_s;
  int min_body_rate_window_ms;
  int max_uploads_per_principal;
  bool metrics_from_loopback;
  TlsConfig tls;
  int redirect_http_port;                    // 0: none; else a listener answering 301 to https
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-* headers are believed
  std::vector<std::string> cors_origins;     // origins whose pages may call the APIs
  RateLimitConfig rate_limits;
};

struct DatabaseConfig {
  std::string url;
  int pool_size;
  int busy_timeout_ms;
  int connect_timeout_s;
};

struct BlobConfig {
  std::string backend;
  std::string path;
};

struct JobsConfig {
  bool enabled;  // serve runs workers in-process
  int concurrency;
  std::vector<std::string> queues;  // empty: all
  int poll_interval_ms;
  int lease_ms;
  int max_attempts;
  int backoff_base_ms;
  int backoff_max_ms;
};

class Config {
 public:
  // Loads and validates. file: nullopt means only defaults and environment. env: the environment
  // as name=value pairs (taken from environ by the CLI; tests pass their own).
  static Config load(const ConfigSchema& schema, const std::optional<std::string>& file,
                     const std::map<std::string, std::string>& env);

  const nlohmann::json& effective() const { return effective_; }
  // The file a secret was read from ("server.tls.key" given as key_file), for a reload.
  std::optional<std::string> secret_file(const std::string& key_path) const;
  const nlohmann::json& section(const std::string& name) const;
  nlohmann::json redacted() const;  // secrets replaced, for `config print`

  ServerConfig server() const;
  // A TLS listener's section: server.tls (HTTPS) or a module's (dicom.tls).
  TlsConfig tls(const std::string& section = "server.tls") const;
  RateLimitConfig rate_limits() const;
  DatabaseConfig database() const;
  BlobConfig blob() const;
  JobsConfig jobs() const;
  std::string log_level() const;

 private:
  nlohmann::json effective_;
  std::map<std::string, std::string> secret_files_;  // key path -> the file it was read from
  const ConfigSchema* schema_ = nullptr;
};

std::map<std::string, std::string> environment_map();

}  // namespace carehub
