#include "carehub/config.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "support/test_database.hpp"

using namespace carehub;
using Catch::Matchers::Contains;

namespace {

ConfigSchema core_schema() {
  ConfigSchema s;
  add_core_config_schema(s);
  return s;
}

std::string write_file(const test::TempDir& dir, const std::string& name, const std::string& text) {
  auto path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("embedded defaults run on SQLite under ./data on port 8000", "[config]") {
  auto schema = core_schema();
  auto c = Config::load(schema, std::nullopt, {});
  CHECK(c.database().url == "sqlite://./data/carehub.db");
  CHECK(c.blob().path == "./data/blobs");
  CHECK(c.server().port == 8000);
  CHECK(c.server().host == "127.0.0.1");
  CHECK(c.log_level() == "info");
  CHECK(c.jobs().enabled);
}

TEST_CASE("file values, comments, and environment overrides", "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  auto file = write_file(dir, "c.json", R"({
    // a comment, as in the example files
    "server": { "port": 9100, "io_threads": 3 },
    "jobs": { "queues": ["a", "b"] }
  })");
  auto c = Config::load(schema, file,
                        {{"CAREHUB_SERVER__PORT", "9200"},
                         {"CAREHUB_JOBS__ENABLED", "false"},
                         {"CAREHUB_JOBS__QUEUES", "x,y"},
                         {"CAREHUB_CONFIG_FILE", "ignored"},
                         {"UNRELATED", "1"}});
  CHECK(c.server().port == 9200);
  CHECK(c.server().io_threads == 3);
  CHECK_FALSE(c.jobs().enabled);
  CHECK(c.jobs().queues == std::vector<std::string>{"x", "y"});
}

TEST_CASE("unknown keys and sections are rejected with their path", "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  auto bad_key = write_file(dir, "k.json", R"({"server": {"prot": 1}})");
  CHECK_THROWS_WITH(Config::load(schema, bad_key, {}), Contains("server.prot"));
  auto bad_section = write_file(dir, "s.json", R"({"serverr": {}})");
  CHECK_THROWS_WITH(Config::load(schema, bad_section, {}), Contains("serverr"));
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_SERVER__PROT", "1"}}),
                    Contains("server.prot"));
}

TEST_CASE("wrong types and out-of-range values name the key", "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  auto wrong = write_file(dir, "w.json", R"({"server": {"port": "abc"}})");
  CHECK_THROWS_WITH(Config::load(schema, wrong, {}),
                    Contains("server.port") && Contains("integer"));
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_SERVER__PORT", "70000"}}),
                    Contains("server.port"));
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_LOG__LEVEL", "loud"}}),
                    Contains("log.level"));
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_JOBS__ENABLED", "maybe"}}),
                    Contains("jobs.enabled"));
  auto not_json = write_file(dir, "n.json", "{ nope");
  CHECK_THROWS_AS(Config::load(schema, not_json, {}), ConfigError);
  CHECK_THROWS_WITH(Config::load(schema, dir.path() + "/missing.json", {}),
                    Contains("missing.json"));
}

TEST_CASE("secrets come from <key>_file and are redacted when printed", "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  auto secret = write_file(dir, "db_url", "postgresql://carehub:s3cret@127.0.0.1:5432/carehub\n");
  auto file = write_file(dir, "c.json", R"({"database": {"url_file": ")" + secret + R"("}})");
  auto c = Config::load(schema, file, {});
  CHECK(c.database().url == "postgresql://carehub:s3cret@127.0.0.1:5432/carehub");
  CHECK(c.redacted().dump().find("s3cret") == std::string::npos);
  CHECK(c.redacted()["database"]["url"] == "<redacted>");

  auto via_env = Config::load(schema, std::nullopt, {{"CAREHUB_DATABASE__URL_FILE", secret}});
  CHECK(via_env.database().url.find("s3cret") != std::string::npos);
  CHECK_THROWS_WITH(
      Config::load(schema, std::nullopt, {{"CAREHUB_DATABASE__URL_FILE", dir.path() + "/none"}}),
      Contains("database.url_file"));
  // Only secrets take the _file form.
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_SERVER__HOST_FILE", secret}}),
                    Contains("server.host_file"));
}

TEST_CASE("module sections are validated like core ones", "[config]") {
  auto schema = core_schema();
  schema.section("empi").integer("threshold", 80, 0, 100, "match score");
  CHECK(Config::load(schema, std::nullopt, {}).section("empi")["threshold"] == 80);
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_EMPI__THRESHOLD", "101"}}),
                    Contains("empi.threshold"));
}

TEST_CASE("nested sections: file objects and double-underscore environment paths", "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  schema.section("auth").string("issuer", "carehub");
  schema.section("auth.oidc").string("issuer", "").secret("client_secret", std::nullopt);
  auto file = write_file(dir, "c.json",
                         R"({"auth": {"issuer": "clinic", "oidc": {"issuer": "https://idp"}}})");
  auto c = Config::load(schema, file, {{"CAREHUB_AUTH__OIDC__CLIENT_SECRET", "s3"}});
  CHECK(c.section("auth")["issuer"] == "clinic");
  CHECK(c.section("auth.oidc")["issuer"] == "https://idp");
  CHECK(c.section("auth.oidc")["client_secret"] == "s3");
  CHECK(c.effective()["auth"]["oidc"]["issuer"] == "https://idp");
  CHECK(c.redacted()["auth"]["oidc"]["client_secret"] == "<redacted>");
  auto bad = write_file(dir, "b.json", R"({"auth": {"oidc": {"isuer": "x"}}})");
  CHECK_THROWS_WITH(Config::load(schema, bad, {}), Contains("auth.oidc.isuer"));
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_AUTH__OIDC__NOPE", "1"}}),
                    Contains("auth.oidc.nope"));
}

TEST_CASE("object lists: from the file, from the environment as JSON, wrong shapes named",
          "[config]") {
  test::TempDir dir;
  auto schema = core_schema();
  schema.section("demo").object_list("items", nlohmann::json::array({{{"id", 1}}}), "a list");
  CHECK(Config::load(schema, std::nullopt, {}).section("demo")["items"][0]["id"] == 1);
  auto file = write_file(dir, "o.json", R"({"demo": {"items": [{"id": 2}, {"id": 3}]}})");
  CHECK(Config::load(schema, file, {}).section("demo")["items"].size() == 2);
  auto env = Config::load(schema, std::nullopt, {{"CAREHUB_DEMO__ITEMS", R"([{"id": 4}])"}});
  CHECK(env.section("demo")["items"][0]["id"] == 4);
  CHECK_THROWS_WITH(Config::load(schema, std::nullopt, {{"CAREHUB_DEMO__ITEMS", "nope"}}),
                    Contains("demo.items") && Contains("list of objects"));
  auto numbers = write_file(dir, "p.json", R"({"demo": {"items": [1, 2]}})");
  CHECK_THROWS_WITH(Config::load(schema, numbers, {}), Contains("demo.items"));
}
