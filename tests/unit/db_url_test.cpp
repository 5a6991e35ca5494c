// database.url parsing: which schemes open_database accepts and where SQLite puts its file.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "support/test_database.hpp"

using carehub::DbError;
using carehub::test::TempDir;

namespace {

carehub::DatabaseConfig config_for(std::string url) {
  return carehub::DatabaseConfig{std::move(url), 2, 1000, 1};
}

// Changes the working directory for one scope.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~WorkingDirectory() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

}  // namespace

TEST_CASE("db url: unsupported schemes are rejected, naming the scheme", "[db][url]") {
  for (const std::string scheme : {"mysql", "http", "sqlite3", "file"}) {
    INFO(scheme);
    try {
      carehub::open_database(config_for(scheme + "://user@host/db"));
      FAIL("accepted");
    } catch (const DbError& e) {
      CHECK_FALSE(e.retryable());
      CHECK_THAT(e.what(), Catch::Matchers::Contains("'" + scheme + "'"));
    }
  }
  CHECK_THROWS_WITH(carehub::open_database(config_for("mysql:db")),
                    Catch::Matchers::Contains("'mysql'"));
  CHECK_THROWS_WITH(carehub::open_database(config_for("/var/lib/carehub.db")),
                    Catch::Matchers::Contains("no scheme"));
  CHECK_THROWS_AS(carehub::open_database(config_for("sqlite://")), DbError);
}

TEST_CASE("db url: sqlite:///abs is absolute and missing parents are created private",
          "[db][url]") {
  TempDir dir;
  const std::string path = dir.path() + "/a/b/carehub.db";
  auto db = carehub::open_database(config_for("sqlite://" + path));
  CHECK(db->backend() == carehub::Backend::kSqlite);
  db->ping();
  CHECK(std::filesystem::is_regular_file(path));
  struct stat st {};
  REQUIRE(::stat((dir.path() + "/a/b").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("db url: sqlite://relative paths are relative to the working directory", "[db][url]") {
  TempDir dir;
  WorkingDirectory cwd(dir.path());
  {
    auto dotted = carehub::open_database(config_for("sqlite://./data/x.db"));
    auto plain = carehub::open_database(config_for("sqlite://data/y.db"));
    dotted->ping();
    plain->ping();
  }
  CHECK(std::filesystem::is_regular_file(dir.path() + "/data/x.db"));
  CHECK(std::filesystem::is_regular_file(dir.path() + "/data/y.db"));
}

TEST_CASE("db url: postgresql:// and postgres:// go to libpq", "[db][url]") {
  // Nothing listens on port 1: opening is lazy, the first use reports the server unreachable.
  for (const std::string scheme : {"postgresql", "postgres"}) {
    auto db = carehub::open_database(config_for(scheme + "://nobody@127.0.0.1:1/none"));
    CHECK(db->backend() == carehub::Backend::kPostgres);
    try {
      db->ping();
      FAIL("ping succeeded");
    } catch (const DbError& e) {
      CHECK(e.retryable());
      CHECK_THAT(e.what(), Catch::Matchers::Contains("connect"));
    }
  }
}
