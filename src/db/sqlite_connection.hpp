// One SQLite connection with its prepared-statement cache, and the Tx that runs on it.
// A connection is used by one thread at a time (the database's writer mutex or reader pool
// ensures that), so it is opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "carehub/db.hpp"

namespace carehub::detail {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// Busy/locked -> retryable DbError; constraint -> ConstraintError; anything else not retryable.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int rc, std::string_view what);

class SqliteConnection {
 public:
  enum class Role { kWriter, kReader };
  SqliteConnection(const std::string& path, int busy_timeout_ms, Role role);

  Rows query(std::string_view sql, const Params& params);
  std::int64_t exec(std::string_view sql, const Params& params);
  void exec_script(std::string_view sql);

  void begin(TxMode mode);
  void commit();
  void rollback() noexcept;  // no-op when no transaction is open

 private:
  struct Prepared {
    SqliteStmtPtr stmt;
    // The N of each slot's $N, read once here: SQLite finds a slot's name by a linear search, so
    // reading names on every bind was quadratic in the placeholders (most of a 384-value insert).
    std::vector<std::size_t> param_of_slot;
  };
  const Prepared& prepare(std::string_view sql);
  void bind(const Prepared& prepared, const Params& params);

  SqlitePtr db_;
  // Declared after db_ so the statements are finalized before the connection closes.
  std::unordered_map<std::string, Prepared> statements_;
};

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(SqliteConnection& conn) : conn_(conn) {}
  Backend backend() const override { return Backend::kSqlite; }
  Rows query(std::string_view sql, const Params& params = {}) override {
    return conn_.query(sql, params);
  }
  std::int64_t exec(std::string_view sql, const Params& params = {}) override {
    return conn_.exec(sql, params);
  }
  void exec_script(std::string_view sql) override { conn_.exec_script(sql); }
  void on_commit(std::function<void()> fn) override { callbacks_.push_back(std::move(fn)); }
  std::vector<std::function<void()>>& callbacks() { return callbacks_; }

 private:
  SqliteConnection& conn_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace carehub::detail
