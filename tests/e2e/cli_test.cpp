// The command line as scripts and container health checks use it: version, --help everywhere,
// usage errors with exit 2, bootstrap's second run and the healthcheck subcommand.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

TEST_CASE("version and --help exit 0", "[e2e]") {
  TempDir cwd;
  const auto version = run_carehub({"version"}, {}, cwd.path());
  INFO(describe(version));
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("carehub 0.1.0", 0) == 0);

  const auto help = run_carehub({"--help"}, {}, cwd.path());
  INFO(describe(help));
  CHECK(help.exit_code == 0);
  for (const char* command : {"serve", "migrate", "worker", "config", "healthcheck", "version"}) {
    INFO(command);
    CHECK(help.out.find(command) != std::string::npos);
  }
}

TEST_CASE("every command answers --help with help and does nothing else", "[e2e]") {
  TempDir cwd;
  const std::vector<std::vector<std::string>> commands = {
      {"serve", "--help"},       {"migrate", "--help"},         {"bootstrap", "--help"},
      {"worker", "--help"},      {"config", "check", "--help"}, {"config", "print", "--help"},
      {"healthcheck", "--help"}, {"version", "--help"}};
  for (const auto& args : commands) {
    const auto r = run_carehub(args, {}, cwd.path(), 10s);
    INFO(args[0] << " " << args[1] << "\n" << describe(r));
    CHECK(r.exit_code == 0);
    CHECK(!r.out.empty());
  }
  // None of them touched the default database under ./data.
  CHECK_FALSE(std::filesystem::exists(cwd.path() + "/data/carehub.db"));
}

TEST_CASE("an unknown subcommand or option is a usage error (exit 2)", "[e2e]") {
  TempDir cwd;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"frobnicate"}, {"serve", "--no-such-flag"}, {"config", "wat"}}) {
    const auto r = run_carehub(args, {}, cwd.path(), 10s);
    INFO(args[0] << "\n" << describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("carehub: ", 0) == 0);
  }
}

TEST_CASE("bootstrap creates the admin once and a second run changes nothing", "[e2e]") {
  ServerOptions options;
  options.start = false;
  ServerUnderTest server(options);
  // Scripts run it on every deploy: both runs succeed, only the first creates the admin.
  const auto first = server.cli({"bootstrap", "--admin-email", "admin@clinic.example"});
  INFO(describe(first));
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("created admin admin@clinic.example") != std::string::npos);
  const auto second = server.cli({"bootstrap", "--admin-email", "admin@clinic.example"});
  INFO(describe(second));
  CHECK(second.exit_code == 0);
  CHECK(second.out.find("already exists") != std::string::npos);
  CHECK(second.out.find("created admin") == std::string::npos);
}

TEST_CASE("healthcheck exits 0 against a live server and non-zero otherwise", "[e2e]") {
  ServerUnderTest server;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/healthz";

  const auto ok = run_carehub({"healthcheck", "--url", url});
  INFO(describe(ok));
  CHECK(ok.exit_code == 0);
  // Without --url it finds the server from the configuration, as a container HEALTHCHECK does.
  const auto from_config = server.cli({"healthcheck"});
  INFO(describe(from_config));
  CHECK(from_config.exit_code == 0);

  const int closed_port = free_loopback_port();
  const auto down = run_carehub(
      {"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(closed_port) + "/healthz"}, {},
      {}, 15s);
  INFO(describe(down));
  REQUIRE(down.exit_code.has_value());
  CHECK(*down.exit_code != 0);

  // A path that does not answer 200 is unhealthy too.
  const auto not_found = run_carehub(
      {"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(server.port()) + "/nope"});
  INFO(describe(not_found));
  REQUIRE(not_found.exit_code.has_value());
  CHECK(*not_found.exit_code != 0);
}
