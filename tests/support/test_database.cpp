#include "support/test_database.hpp"

#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

namespace carehub::test {
namespace {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// Runs one statement outside any transaction (CREATE/DROP DATABASE refuse to run inside one).
void admin_exec(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to the PostgreSQL test server at " + url + ": " +
                             PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, PgResultDeleter> res(PQexec(conn.get(), sql.c_str()));
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error("test server refused `" + sql + "`: " + PQerrorMessage(conn.get()));
  }
}

// Replaces the database name (the path of a postgresql:// URI), keeping any ?query.
std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme_end = url.find("://");
  const auto authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto query = url.find('?', authority);
  const auto path = url.find('/', authority);
  const auto host_end =
      path != std::string::npos && (query == std::string::npos || path < query) ? path : query;
  std::string out = url.substr(0, host_end == std::string::npos ? url.size() : host_end);
  out += "/" + name;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 12; ++i) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

}  // namespace

std::string pg_admin_url() {
  if (const char* url = std::getenv("CAREHUB_TEST_PG_URL"); url && *url) return url;
  std::string file;
  if (const char* f = std::getenv("CAREHUB_TEST_PG_URL_FILE"); f && *f) {
    file = f;
  } else {
#ifdef CAREHUB_TEST_PG_URL_FILE
    file = CAREHUB_TEST_PG_URL_FILE;
#endif
  }
  if (!file.empty()) {
    if (auto url = read_first_line(file); !url.empty()) return url;
  }
  throw std::runtime_error(
      "no PostgreSQL test server: set CAREHUB_TEST_PG_URL, or CAREHUB_TEST_PG_URL_FILE naming a "
      "file "
      "holding the URL (looked in '" +
      file + "'); `ctest` starts one via scripts/pg-test-server.sh");
}

TempDir::TempDir() {
  std::string tmpl = "/tmp/carehub-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestDatabase::TestDatabase(Backend b) : backend_(b) {
  config_.pool_size = 4;
  config_.busy_timeout_ms = 5000;
  config_.connect_timeout_s = 5;
  if (b == Backend::kSqlite) {
    dir_ = std::make_unique<TempDir>();
    config_.url = "sqlite://" + dir_->path() + "/test.db";
  } else {
    pg_admin_url_ = pg_admin_url();
    pg_db_name_ = "carehub_test_" + random_suffix();
    admin_exec(pg_admin_url_, "CREATE DATABASE " + pg_db_name_);
    config_.url = with_database(pg_admin_url_, pg_db_name_);
  }
  try {
    db_ = open_database(config_);
  } catch (...) {
    if (b == Backend::kPostgres)
      admin_exec(pg_admin_url_, "DROP DATABASE IF EXISTS " + pg_db_name_);
    throw;
  }
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (backend_ == Backend::kPostgres) {
    try {
      admin_exec(pg_admin_url_, "DROP DATABASE IF EXISTS " + pg_db_name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
      // A leftover test database is harmless: the test server is thrown away after the run.
    }
  }
}

std::string backend_name(Backend b) {
  return b == Backend::kSqlite ? "sqlite" : "postgres";
}

}  // namespace carehub::test
