// Configuration as a deployer meets it: file, environment overrides, secrets from files, and
// errors that name the offending key with exit code 2.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

struct ConfigDir {
  TempDir dir;
  std::string file = dir.path() + "/carehub.json";

  explicit ConfigDir(const std::string& content) { write_file(file, content); }
  RunResult run(std::vector<std::string> args, const EnvOverrides& env = {}) const {
    args.insert(args.begin(), {"--config", file});
    return run_carehub(std::move(args), env, dir.path());
  }
};

// A failure as scripts rely on it: the exit code and one line on stderr, "carehub: ...".
void check_failure(const RunResult& r, int exit_code, const std::vector<std::string>& any_of) {
  INFO(describe(r));
  CHECK(r.exit_code == exit_code);
  CHECK(r.err.rfind("carehub: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 1);
  bool named = false;
  for (const auto& needle : any_of) named = named || r.err.find(needle) != std::string::npos;
  CHECK(named);
}

nlohmann::json printed(const RunResult& r) {
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace

TEST_CASE("config check accepts a commented file", "[e2e]") {
  ConfigDir cfg(R"({
    // the port scripts expect
    "server": { "port": 9001 /* block comments too */ },
    "log": { "level": "debug" }
  })");
  auto r = cfg.run({"config", "check"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("configuration ok") != std::string::npos);
}

TEST_CASE("config check rejects an unknown key, naming it", "[e2e]") {
  ConfigDir cfg(R"({"server": {"prot": 8000}})");
  check_failure(cfg.run({"config", "check"}), 2, {"server.prot"});
  // serve refuses the same file before touching anything.
  check_failure(cfg.run({"serve"}), 2, {"server.prot"});
}

TEST_CASE("config check rejects a wrong type or range, naming the key", "[e2e]") {
  check_failure(ConfigDir(R"({"server": {"port": "abc"}})").run({"config", "check"}), 2,
                {"server.port"});
  check_failure(ConfigDir(R"({"server": {"port": 70000}})").run({"config", "check"}), 2,
                {"server.port"});
  check_failure(ConfigDir(R"({"log": {"level": "loud"}})").run({"config", "check"}), 2,
                {"log.level"});
  check_failure(ConfigDir(R"({"jobs": {"enabled": "yes"}})").run({"config", "check"}), 2,
                {"jobs.enabled"});
  check_failure(ConfigDir(R"({"server": {"port": 80)").run({"config", "check"}), 2,
                {"carehub.json", "JSON", "json", "parse"});
}

TEST_CASE("environment overrides are typed and checked like the file", "[e2e]") {
  ConfigDir cfg(R"({"server": {"port": 9001}})");

  check_failure(cfg.run({"config", "check"}, {{"CAREHUB_SERVER__PORT", "abc"}}), 2,
                {"server.port", "CAREHUB_SERVER__PORT"});
  check_failure(cfg.run({"config", "check"}, {{"CAREHUB_SERVER__PROT", "9000"}}), 2,
                {"server.prot", "CAREHUB_SERVER__PROT"});

  const auto j = printed(cfg.run({"config", "print"}, {{"CAREHUB_SERVER__PORT", "9123"},
                                                       {"CAREHUB_LOG__LEVEL", "warn"},
                                                       {"CAREHUB_JOBS__ENABLED", "false"}}));
  CHECK(j["server"]["port"] == 9123);
  CHECK(j["log"]["level"] == "warn");
  CHECK(j["jobs"]["enabled"] == false);
}

TEST_CASE("CAREHUB_CONFIG_FILE names the configuration file", "[e2e]") {
  ConfigDir cfg(R"({"server": {"port": 9002}})");
  const auto via_env = printed(
      run_carehub({"config", "print"}, {{"CAREHUB_CONFIG_FILE", cfg.file}}, cfg.dir.path()));
  CHECK(via_env["server"]["port"] == 9002);
}

TEST_CASE("the config option may come after the command", "[e2e]") {
  TempDir dir;
  ConfigDir cfg(nlohmann::json{{"server", {{"port", 9003}}},
                               {"database", {{"url", "sqlite://" + dir.path() + "/after.db"}}},
                               {"blob", {{"path", dir.path() + "/blobs"}}}}
                    .dump());
  const auto migrated = run_carehub({"migrate", "--config", cfg.file}, {}, cfg.dir.path());
  INFO(describe(migrated));
  CHECK(migrated.exit_code == 0);
  CHECK(std::filesystem::exists(dir.path() + "/after.db"));

  const auto checked = run_carehub({"config", "check", "--config", cfg.file}, {}, cfg.dir.path());
  INFO(describe(checked));
  CHECK(checked.exit_code == 0);

  const auto after =
      printed(run_carehub({"config", "print", "--config", cfg.file}, {}, cfg.dir.path()));
  CHECK(after["server"]["port"] == 9003);
}

TEST_CASE("a missing configuration file is a usage error naming it", "[e2e]") {
  TempDir cwd;
  check_failure(
      run_carehub({"--config", cwd.path() + "/missing.json", "config", "check"}, {}, cwd.path()), 2,
      {"missing.json"});
}

TEST_CASE("with no file the embedded defaults apply", "[e2e]") {
  TempDir cwd;
  const auto j = printed(run_carehub({"config", "print"}, {}, cwd.path()));
  CHECK(j["server"]["host"] == "127.0.0.1");
  CHECK(j["server"]["port"] == 8000);
  CHECK(j["server"]["max_body_bytes"] == 1048576);
  CHECK(j["blob"]["path"] == "./data/blobs");
  CHECK(j["jobs"]["enabled"] == true);
  CHECK(j["diag"]["enabled"] == false);
  CHECK(j["database"]["url"] == "<redacted>");
}

TEST_CASE("config print redacts the database URL", "[e2e]") {
  ConfigDir cfg(R"({"database": {"url": "postgresql://u:secretpw@127.0.0.1/db"}})");
  const auto r = cfg.run({"config", "print"});
  CHECK(r.out.find("secretpw") == std::string::npos);
  CHECK(r.err.find("secretpw") == std::string::npos);
  const auto j = printed(r);
  CHECK(j["database"]["url"] == "<redacted>");
}

TEST_CASE("database.url_file reads the secret from a file", "[e2e]") {
  TempDir dir;
  const std::string db_path = dir.path() + "/from-secret-file.db";
  const std::string secret = dir.path() + "/db-url";
  write_file(secret, "sqlite://" + db_path + "\n");  // mounted secrets usually end in a newline
  ConfigDir cfg(nlohmann::json{{"database", {{"url_file", secret}}},
                               {"blob", {{"path", dir.path() + "/blobs"}}}}
                    .dump());

  const auto r = cfg.run({"config", "print"});
  CHECK(r.out.find("<redacted>") != std::string::npos);
  CHECK(r.out.find("from-secret-file") == std::string::npos);

  const auto migrated = cfg.run({"migrate"});
  INFO(describe(migrated));
  CHECK(migrated.exit_code == 0);
  CHECK(std::filesystem::exists(db_path));
  CHECK_FALSE(std::filesystem::exists(cfg.dir.path() + "/data"));

  ConfigDir missing(R"({"database": {"url_file": "/nonexistent/carehub-secret"}})");
  check_failure(missing.run({"config", "check"}), 2, {"database.url"});
}
