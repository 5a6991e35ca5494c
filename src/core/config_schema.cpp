#include "carehub/config.hpp"

namespace carehub {

ConfigSchema& ConfigSchema::section(const std::string& name) {
  current_ = name;
  sections_[name];
  return *this;
}

ConfigSchema& ConfigSchema::key(ConfigKey key) {
  sections_[current_].push_back(std::move(key));
  return *this;
}

ConfigSchema& ConfigSchema::string(const std::string& name, std::string def, std::string help) {
  return key({name, ConfigType::kString, def, false, INT64_MIN, INT64_MAX, {}, std::move(help)});
}

ConfigSchema& ConfigSchema::integer(const std::string& name, std::int64_t def, std::int64_t min,
                                    std::int64_t max, std::string help) {
  return key({name, ConfigType::kInt, def, false, min, max, {}, std::move(help)});
}

ConfigSchema& ConfigSchema::boolean(const std::string& name, bool def, std::string help) {
  return key({name, ConfigType::kBool, def, false, INT64_MIN, INT64_MAX, {}, std::move(help)});
}

ConfigSchema& ConfigSchema::secret(const std::string& name, std::optional<std::string> def,
                                   std::string help) {
  nlohmann::json d = def ? nlohmann::json(*def) : nlohmann::json();
  return key({name, ConfigType::kString, d, true, INT64_MIN, INT64_MAX, {}, std::move(help)});
}

ConfigSchema& ConfigSchema::string_list(const std::string& name, std::vector<std::string> def,
                                        std::string help) {
  return key(
      {name, ConfigType::kStringList, def, false, INT64_MIN, INT64_MAX, {}, std::move(help)});
}

ConfigSchema& ConfigSchema::object_list(const std::string& name, nlohmann::json def,
                                        std::string help) {
  return key({name,
              ConfigType::kObjectList,
              std::move(def),
              false,
              INT64_MIN,
              INT64_MAX,
              {},
              std::move(help)});
}

const ConfigKey* ConfigSchema::find(const std::string& section, const std::string& key) const {
  auto it = sections_.find(section);
  if (it == sections_.end()) return nullptr;
  for (const auto& k : it->second) {
    if (k.name == key) return &k;
  }
  return nullptr;
}

void add_core_config_schema(ConfigSchema& s) {
  constexpr std::int64_t kHour = 3'600'000;
  s.section("server")
      .string("host", "127.0.0.1", "address to listen on")
      .integer("port", 8000, 0, 65535, "TCP port")
      .integer("io_threads", 2, 1, 256, "threads serving sockets")
      .integer("worker_threads", 0, 0, 1024,
               "threads for blocking work (SQL, files, hashing); 0: the cores on SQLite, "
               "twice the cores on PostgreSQL, at least 2")
      .integer("max_header_bytes", 16384, 1024, 1 << 20, "request line and headers")
      .integer("max_body_bytes", 1 << 20, 0, INT64_C(1) << 40,
               "default body limit; routes may raise theirs")
      .integer("header_timeout_ms", 10000, 100, kHour, "the whole header must arrive within this")
      .integer("body_timeout_ms", 30000, 100, kHour, "the body must arrive within this")
      .integer("write_timeout_ms", 30000, 100, kHour, "a response must be written within this")
      .integer("idle_timeout_ms", 60000, 100, kHour, "keep-alive wait for the next request")
      .integer("shutdown_grace_ms", 10000, 0, kHour, "on SIGTERM, requests in flight get this long")
      .integer("max_requests_per_connection", 1000, 1, INT32_MAX, "then the connection is closed")
      .integer("max_connections", 10000, 1, 1'000'000,
               "then the oldest idle connection that never authenticated is closed to make "
               "room; with none, further connections are refused")
      .integer("max_anonymous_connections", 0, 0, 1'000'000,
               "connections that have not authenticated yet, at most; past it the oldest idle "
               "one is closed; 0: three quarters of max_connections")
      .integer("min_body_bytes_per_s", 16384, 0, INT64_C(1) << 30,
               "a request body slower than this, averaged over min_body_rate_window_ms, is cut "
               "off with 408; 0: no floor")
      .integer("min_body_rate_window_ms", 30000, 1000, kHour, "the window of that average")
      .integer("max_uploads_per_principal", 8, 1, 100000,
               "uploads (imports, DICOM, documents) one caller may send at once; then 429")
      .boolean("metrics_from_loopback", true,
               "GET /metrics answers loopback clients without credentials (turn off behind a "
               "proxy on the same host); others need an admin or a metrics:read token")
      .string("upload_dir", "./data/uploads",
              "large request bodies (imports, DICOM) are written here while they arrive")
      .integer("redirect_http_port", 0, 0, 65535,
               "with HTTPS on: a plain-HTTP port (80) answering every request with a 301 to the "
               "https URL, host, path and query kept; 0: none")
      .string_list("trusted_proxies", {},
                   "addresses or CIDRs of reverse proxies in front of carehub: from these peers "
                   "only, X-Forwarded-For gives the client address (for rate limits, the audit "
                   "log and the request log) and X-Forwarded-Proto whether it came over https")
      .string_list("cors_origins", {},
                   "origins (scheme://host[:port]) whose pages may call the APIs with "
                   "credentials, such as a DICOMweb viewer on another host; empty: none");
  s.section("server.rate_limits")
      .integer("authentication_per_minute", 120, 0, 1'000'000,
               "sign-in, refresh and token requests a minute, per client address and per "
               "principal (a minute's worth may come at once); 0: unlimited. Password guessing is "
               "slowed further per login")
      .integer("writes_per_minute", 3000, 0, 100'000'000,
               "POST, PUT, PATCH and DELETE requests a minute, likewise")
      .integer("reads_per_minute", 12000, 0, 100'000'000,
               "GET and HEAD requests a minute, likewise")
      .integer("uploads_per_minute", 600, 0, 100'000'000,
               "uploads (imports, DICOM, documents) a minute, likewise; server."
               "max_uploads_per_principal caps those under way at once")
      .integer("streams_per_minute", 120, 0, 100'000'000,
               "WebSocket and event streams opened a minute, likewise");
  s.section("server.tls")
      .string("cert_file", "",
              "HTTPS: the certificate and its chain (PEM); empty: plain HTTP. Checked at start: "
              "readable, not expired, matching the key")
      .secret("key", std::nullopt, "the certificate's private key (PEM); give it as key_file")
      .integer("reload_check_s", 10, 0, 86400,
               "the certificate and key files are read again when they change, checked this "
               "often (and on SIGHUP); 0: on SIGHUP only")
      .integer("hsts_max_age_s", 31'536'000, 0, 63'072'000,
               "Strict-Transport-Security max-age on every HTTPS answer; 0: no header")
      .string("client_ca_file", "",
              "mutual TLS: CA certificates (PEM) whose client certificates are asked for and "
              "verified (a certificate they did not sign ends the handshake); one authenticates "
              "only as auth.client_certificates maps it. Empty: none asked");
  s.section("database")
      .secret("url", "sqlite://./data/carehub.db",
              "sqlite:///path/file.db or postgresql://user@host:port/db")
      .integer("pool_size", 8, 1, 1000, "connections (PostgreSQL) or readers (SQLite)")
      .integer("busy_timeout_ms", 5000, 0, kHour, "SQLite: wait this long for a lock")
      .integer("connect_timeout_s", 5, 1, 3600, "PostgreSQL connect timeout");
  s.section("blob")
      .key({"backend",
            ConfigType::kString,
            "filesystem",
            false,
            INT64_MIN,
            INT64_MAX,
            {"filesystem"},
            "where blobs live"})
      .string("path", "./data/blobs", "filesystem backend: root folder");
  s.section("log").key({"level",
                        ConfigType::kString,
                        "info",
                        false,
                        INT64_MIN,
                        INT64_MAX,
                        {"debug", "info", "warn", "error"},
                        "least severe level logged"});
  s.section("jobs")
      .boolean("enabled", true, "serve runs job workers in-process")
      .integer("concurrency", 2, 1, 256, "worker threads")
      .string_list("queues", {}, "queues this process works on; empty: all")
      .integer("poll_interval_ms", 1000, 10, kHour, "longest wait between looks for work")
      .integer("lease_ms", 30000, 100, 24 * kHour,
               "a claimed job is reclaimed when its lease expires")
      .integer("max_attempts", 5, 1, 1000, "then the job goes to dead letter")
      .integer("backoff_base_ms", 1000, 0, kHour, "retry delay after the first failure, doubling")
      .integer("backoff_max_ms", 600000, 0, 24 * kHour, "longest retry delay");
  s.section("initial_setup").string("admin_email", "", "the admin `carehub bootstrap` registers");
  s.section("mail")
      .key({"provider",
            ConfigType::kString,
            "log",
            false,
            INT64_MIN,
            INT64_MAX,
            {"smtp", "log", "none"},
            "smtp delivers through smtp_url; log writes a line per message (development); none "
            "drops them"})
      .string("smtp_url", "", "smtp://host[:port] (STARTTLS, 587) or smtps://host[:port] (465)")
      .string("smtp_user", "", "AUTH user; empty: no AUTH")
      .secret("smtp_password", std::nullopt, "AUTH password")
      .string("ca_file", "", "extra CA certificates (PEM) trusted for the SMTP server")
      .string("from", "carehub <no-reply@localhost>", "the From of every message")
      .string("public_url", "",
              "where the console is reached, for links in messages (https://carehub.clinic.example)"
              "; empty: http://server.host:server.port")
      .integer("max_attempts", 10, 1, 100, "deliveries tried, with the jobs' backoff, then dead")
      .integer("timeout_s", 30, 1, 600, "the SMTP connection's connect, read and write timeout");
}

}  // namespace carehub
