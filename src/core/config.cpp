#include "carehub/config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "carehub/json.hpp"

extern char** environ;

namespace carehub {
namespace {

constexpr std::string_view kFileSuffix = "_file";
constexpr std::string_view kRedacted = "<redacted>";

std::string type_name(ConfigType t) {
  switch (t) {
    case ConfigType::kString: return "a string";
    case ConfigType::kInt: return "an integer";
    case ConfigType::kBool: return "true or false";
    case ConfigType::kStringList: return "a list of strings";
    case ConfigType::kObjectList: return "a list of objects";
  }
  return "?";
}

std::string json_type(const nlohmann::json& v) {
  return v.type_name();
}

// Checks one value against its key; returns the value to store. origin says where it came from.
nlohmann::json check_value(const std::string& path, const ConfigKey& key, const nlohmann::json& v,
                           const std::string& origin) {
  bool ok = false;
  switch (key.type) {
    case ConfigType::kString: ok = v.is_string(); break;
    case ConfigType::kInt: ok = v.is_number_integer(); break;
    case ConfigType::kBool: ok = v.is_boolean(); break;
    case ConfigType::kStringList:
      ok = v.is_array() &&
           std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); });
      break;
    case ConfigType::kObjectList:
      ok = v.is_array() &&
           std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_object(); });
      break;
  }
  if (!ok) {
    throw ConfigError(fmt::format("config: '{}' must be {} (got {}{})", path, type_name(key.type),
                                  json_type(v), origin));
  }
  if (key.type == ConfigType::kInt) {
    auto n = v.get<std::int64_t>();
    if (n < key.min || n > key.max) {
      throw ConfigError(fmt::format("config: '{}' must be between {} and {} (got {}{})", path,
                                    key.min, key.max, n, origin));
    }
  }
  if (key.type == ConfigType::kString && !key.allowed.empty() &&
      std::find(key.allowed.begin(), key.allowed.end(), v.get<std::string>()) ==
          key.allowed.end()) {
    throw ConfigError(fmt::format("config: '{}' must be one of {} (got \"{}\"{})", path,
                                  fmt::join(key.allowed, ", "), v.get<std::string>(), origin));
  }
  return v;
}

std::string read_secret_file(const std::string& path, const std::string& key_path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("config: '{}_file': cannot read {}", key_path, path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string value = ss.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

// "auth.oidc" -> /auth/oidc: nested sections live nested in the effective JSON.
nlohmann::json::json_pointer section_pointer(const std::string& section) {
  std::string path = "/" + section;
  std::replace(path.begin(), path.end(), '.', '/');
  return nlohmann::json::json_pointer(path);
}

// Resolves a name inside a section to its key: "url" or, for a secret, "url_file".
struct Resolved {
  const ConfigKey* key = nullptr;
  bool from_file = false;
};

Resolved resolve(const ConfigSchema& schema, const std::string& section, const std::string& name) {
  if (const auto* k = schema.find(section, name)) return {k, false};
  if (name.size() > kFileSuffix.size() && name.ends_with(kFileSuffix)) {
    const auto* k = schema.find(section, name.substr(0, name.size() - kFileSuffix.size()));
    if (k && k->secret) return {k, true};
  }
  return {};
}

// paths: where each secret read from a file came from ("server.tls.key" -> its key_file), for
// what reloads it later; a secret given inline forgets an earlier file.
void apply(const ConfigSchema& schema, nlohmann::json& out, const std::string& section,
           const std::string& name, const nlohmann::json& value, const std::string& origin,
           std::map<std::string, std::string>& paths) {
  const std::string path = section + "." + name;
  if (!schema.sections().count(section)) {
    throw ConfigError(fmt::format("config: unknown section '{}'{}", section, origin));
  }
  auto r = resolve(schema, section, name);
  if (!r.key) throw ConfigError(fmt::format("config: unknown key '{}'{}", path, origin));
  const std::string key_path = section + "." + r.key->name;
  if (r.from_file) {
    if (!value.is_string()) {
      throw ConfigError(fmt::format("config: '{}' must be a file path string{}", path, origin));
    }
    out[section_pointer(section)][r.key->name] =
        check_value(key_path, *r.key, read_secret_file(value, key_path), origin);
    paths[key_path] = value.get<std::string>();
  } else {
    out[section_pointer(section)][r.key->name] = check_value(key_path, *r.key, value, origin);
    paths.erase(key_path);
  }
}

nlohmann::json parse_env_value(const ConfigKey& key, const std::string& raw,
                               const std::string& var) {
  switch (key.type) {
    case ConfigType::kString: return raw;
    case ConfigType::kInt: {
      std::int64_t n = 0;
      auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
      if (ec != std::errc{} || p != raw.data() + raw.size() || raw.empty())
        return raw;  // wrong type
      return n;
    }
    case ConfigType::kBool:
      if (raw == "true" || raw == "1") return true;
      if (raw == "false" || raw == "0") return false;
      return raw;
    case ConfigType::kStringList: {
      nlohmann::json list = nlohmann::json::array();
      std::stringstream ss(raw);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (!item.empty()) list.push_back(item);
      }
      (void)var;
      return list;
    }
    case ConfigType::kObjectList: {
      auto parsed = parse_json(raw);
      return parsed ? std::move(parsed).value() : nlohmann::json(raw);
    }
  }
  return raw;
}

// A section's body from the file; an object under a name that is itself a section
// ("oidc" inside "auth" when "auth.oidc" is declared) is that nested section.
void apply_section(const ConfigSchema& schema, nlohmann::json& out, const std::string& section,
                   const nlohmann::json& body, const std::string& origin,
                   std::map<std::string, std::string>& paths) {
  if (!body.is_object()) {
    throw ConfigError(fmt::format("config: '{}' must be an object{}", section, origin));
  }
  for (const auto& [name, value] : body.items()) {
    const std::string nested = section + "." + name;
    if (schema.sections().count(nested)) {
      apply_section(schema, out, nested, value, origin, paths);
    } else {
      apply(schema, out, section, name, value, origin, paths);
    }
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Config Config::load(const ConfigSchema& schema, const std::optional<std::string>& file,
                    const std::map<std::string, std::string>& env) {
  Config config;
  config.schema_ = &schema;
  nlohmann::json& out = config.effective_;
  out = nlohmann::json::object();
  for (const auto& [section, keys] : schema.sections()) {
    auto& body = out[section_pointer(section)];
    if (!body.is_object()) body = nlohmann::json::object();
    for (const auto& k : keys) {
      if (!k.default_value.is_null()) body[k.name] = k.default_value;
    }
  }

  if (file) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("config: cannot read file {}", *file));
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_json(text.str(), {.allow_comments = true});
    if (!parsed)
      throw ConfigError(fmt::format("config: {} is not valid JSON: {}", *file, parsed.error()));
    const nlohmann::json doc = std::move(parsed).value();
    if (!doc.is_object())
      throw ConfigError(fmt::format("config: {} must hold a JSON object", *file));
    const std::string origin = " in " + *file;
    for (const auto& [section, body] : doc.items()) {
      if (!schema.sections().count(section)) {
        throw ConfigError(fmt::format("config: unknown section '{}'{}", section, origin));
      }
      apply_section(schema, out, section, body, origin, config.secret_files_);
    }
  }

  // Environment variables in name order, so within one layer "<KEY>_FILE" is applied after
  // "<KEY>" and wins (as "url_file" does after "url" in a file, whose keys are also sorted).
  for (const auto& [var, raw] : env) {
    if (!var.starts_with("CAREHUB_")) continue;
    auto rest = var.substr(8);
    // CAREHUB_AUTH__OIDC__ISSUER: the last part is the key, the ones before it the section.
    auto sep = rest.rfind("__");
    if (sep == std::string::npos) continue;  // CAREHUB_CONFIG_FILE and other non-key variables
    std::string section = lower(rest.substr(0, sep));
    for (auto pos = section.find("__"); pos != std::string::npos;
         pos = section.find("__", pos + 1)) {
      section.replace(pos, 2, ".");
    }
    const std::string name = lower(rest.substr(sep + 2));
    const std::string origin = " from environment variable " + var;
    auto r = schema.sections().count(section) ? resolve(schema, section, name) : Resolved{};
    nlohmann::json value =
        r.key && !r.from_file ? parse_env_value(*r.key, raw, var) : nlohmann::json(raw);
    apply(schema, out, section, name, value, origin, config.secret_files_);
  }
  return config;
}

std::optional<std::string> Config::secret_file(const std::string& key_path) const {
  auto it = secret_files_.find(key_path);
  if (it == secret_files_.end()) return std::nullopt;
  return it->second;
}

const nlohmann::json& Config::section(const std::string& name) const {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto pointer = section_pointer(name);
  return effective_.contains(pointer) ? effective_.at(pointer) : kEmpty;
}

nlohmann::json Config::redacted() const {
  nlohmann::json copy = effective_;
  if (!schema_) return copy;
  for (const auto& [section, keys] : schema_->sections()) {
    for (const auto& k : keys) {
      auto& body = copy[section_pointer(section)];
      if (k.secret && body.contains(k.name)) body[k.name] = kRedacted;
    }
  }
  return copy;
}

ServerConfig Config::server() const {
  const auto& s = section("server");
  const int max_connections = s["max_connections"];
  const int anonymous = s["max_anonymous_connections"];
  return {s["host"],
          s["port"],
          s["io_threads"],
          s["worker_threads"],
          s["max_header_bytes"],
          s["max_body_bytes"],
          s["header_timeout_ms"],
          s["body_timeout_ms"],
          s["write_timeout_ms"],
          s["idle_timeout_ms"],
          s["shutdown_grace_ms"],
          s["max_requests_per_connection"],
          s["max_connections"],
          s["upload_dir"],
          anonymous > 0 ? anonymous : std::max(1, max_connections * 3 / 4),
          s["min_body_bytes_per_s"],
          s["min_body_rate_window_ms"],
          s["max_uploads_per_principal"],
          s["metrics_from_loopback"],
          tls(),
          s["redirect_http_port"],
          s["trusted_proxies"].get<std::vector<std::string>>(),
          s["cors_origins"].get<std::vector<std::string>>(),
          rate_limits()};
}

RateLimitConfig Config::rate_limits() const {
  const auto& r = section("server.rate_limits");
  return {r["authentication_per_minute"], r["writes_per_minute"], r["reads_per_minute"],
          r["uploads_per_minute"], r["streams_per_minute"]};
}

TlsConfig Config::tls(const std::string& name) const {
  const auto& t = section(name);
  const std::int64_t max_age = t.value("hsts_max_age_s", std::int64_t{0});
  TlsConfig c{
      t["cert_file"],
      t.contains("key") && t["key"].is_string() ? t["key"].get<std::string>() : std::string(),
      secret_file(name + ".key").value_or(""),
      t["reload_check_s"],
      max_age > 0 ? fmt::format("max-age={}", max_age) : std::string(),
      t["client_ca_file"]};
  c.section = name;
  return c;
}

DatabaseConfig Config::database() const {
  const auto& s = section("database");
  return {s["url"], s["pool_size"], s["busy_timeout_ms"], s["connect_timeout_s"]};
}

BlobConfig Config::blob() const {
  const auto& s = section("blob");
  return {s["backend"], s["path"]};
}

JobsConfig Config::jobs() const {
  const auto& s = section("jobs");
  return {s["enabled"],  s["concurrency"],  s["queues"],          s["poll_interval_ms"],
          s["lease_ms"], s["max_attempts"], s["backoff_base_ms"], s["backoff_max_ms"]};
}

std::string Config::log_level() const {
  return section("log")["level"];
}

std::map<std::string, std::string> environment_map() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace carehub
