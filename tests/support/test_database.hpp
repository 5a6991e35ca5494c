// Databases for tests: a fresh, empty database per TestDatabase on either backend. SQLite uses a
// file in its own temporary directory; PostgreSQL creates carehub_test_<random> on the test server
// (admin URL from CAREHUB_TEST_PG_URL, CAREHUB_TEST_PG_URL_FILE or the compiled-in file) and drops
// it.
#pragma once

#include <memory>
#include <string>

#include "carehub/config.hpp"
#include "carehub/db.hpp"

namespace carehub::test {

// The admin URL of the PostgreSQL test server. Throws std::runtime_error saying where it looked.
std::string pg_admin_url();

// A directory made with mkdtemp under /tmp, removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TestDatabase {
 public:
  explicit TestDatabase(Backend b);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Database& db() { return *db_; }
  const DatabaseConfig& config() const { return config_; }
  std::string url() const { return config_.url; }
  Backend backend() const { return backend_; }

 private:
  Backend backend_;
  std::unique_ptr<TempDir> dir_;  // SQLite only
  std::string pg_admin_url_;      // PostgreSQL only
  std::string pg_db_name_;
  DatabaseConfig config_;
  std::unique_ptr<Database> db_;
};

// "sqlite" or "postgres", for test section names.
std::string backend_name(Backend b);

}  // namespace carehub::test
