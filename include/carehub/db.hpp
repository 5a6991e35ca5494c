// The database layer: one interface, two backends chosen by URL (sqlite:///path or
// postgresql://...). SQL is written once with $1, $2 ... placeholders, which both backends accept.
// Every statement is parameterised; values travel as text or integers, never spliced into SQL.
// Times are stored as BIGINT epoch milliseconds and booleans as SMALLINT 0/1 on both backends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace carehub {

enum class Backend { kSqlite, kPostgres };

class DbError : public std::runtime_error {
 public:
  DbError(std::string message, bool retryable)
      : std::runtime_error(std::move(message)), retryable_(retryable) {}
  // Busy/locked (SQLite), serialization failure, deadlock or a lost connection (PostgreSQL):
  // the whole unit of work may be run again.
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

// A unique or foreign-key constraint refused the write (not retryable).
class ConstraintError : public DbError {
 public:
  explicit ConstraintError(std::string message) : DbError(std::move(message), false) {}
};

using Param = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using Params = std::vector<Param>;

class Row {
 public:
  Row() = default;
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  std::size_t size() const { return cells_.size(); }
  bool is_null(std::size_t i) const { return !cells_.at(i).has_value(); }
  const std::string& text(std::size_t i) const;  // throws DbError on NULL
  std::int64_t integer(std::size_t i) const;     // throws DbError on NULL or non-integer
  double real(std::size_t i) const;
  std::optional<std::string> opt_text(std::size_t i) const { return cells_.at(i); }
  std::optional<std::int64_t> opt_integer(std::size_t i) const;

 private:
  std::vector<std::optional<std::string>> cells_;
};

using Rows = std::vector<Row>;

// A parameter that is SQL NULL when the value is absent.
template <typename T>
Param nullable(const std::optional<T>& value) {
  return value ? Param(*value) : Param(nullptr);
}

class Tx {
 public:
  virtual ~Tx() = default;
  virtual Backend backend() const = 0;
  virtual Rows query(std::string_view sql, const Params& params = {}) = 0;
  // Returns the number of rows changed.
  virtual std::int64_t exec(std::string_view sql, const Params& params = {}) = 0;
  // Several statements, no parameters: for migrations only.
  virtual void exec_script(std::string_view sql) = 0;
  // Runs after a successful commit (not on rollback). Used for in-process wake-ups.
  virtual void on_commit(std::function<void()> fn) = 0;

  std::optional<Row> query_one(std::string_view sql, const Params& params = {});
};

enum class TxMode {
  kWrite,      // SQLite: BEGIN IMMEDIATE on the one writer; PostgreSQL: READ COMMITTED
  kRead,       // SQLite: a reader connection; PostgreSQL: READ ONLY
  kExclusive,  // SQLite: BEGIN EXCLUSIVE; PostgreSQL: SERIALIZABLE
};

struct PoolStats {
  int size = 0;    // connections open
  int in_use = 0;  // lent to a unit of work right now
  int max = 0;
  std::int64_t waits = 0;  // times a caller had to wait for a connection
};

// Wake-ups across processes: PostgreSQL LISTEN/NOTIFY; SQLite delivers in-process only (other
// processes find the work on their next poll).
class Subscription {
 public:
  virtual ~Subscription() = default;
  // True when a notification arrived (or wake() was called) before the timeout.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;  // from another thread: end the current or next wait now
  // The payloads of the notifications that ended waits so far (PostgreSQL), oldest first; empty
  // where the backend carries none.
  virtual std::vector<std::string> take_payloads() { return {}; }
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Backend backend() const = 0;

  // One attempt at a unit of work: commit if fn returns, roll back if it throws.
  virtual void run_once(const std::function<void(Tx&)>& fn, TxMode mode) = 0;

  // A unit of work, retried with exponential backoff and jitter while it fails with a retryable
  // DbError (up to max_attempts in all). fn must be safe to run again from the start.
  template <typename F>
  auto transact(F&& fn, TxMode mode = TxMode::kWrite) {
    using R = std::invoke_result_t<F&, Tx&>;
    if constexpr (std::is_void_v<R>) {
      with_retries([&](Tx& tx) { fn(tx); }, mode);
    } else {
      std::optional<R> out;
      with_retries([&](Tx& tx) { out.emplace(fn(tx)); }, mode);
      return std::move(*out);
    }
  }

  // Database reachable: a trivial query answers. Throws DbError when not.
  virtual void ping() = 0;
  virtual PoolStats pool_stats() const = 0;

  // Queue a notification on channel, delivered when tx commits. PostgreSQL hands the payload
  // (under 8000 bytes) to every listener, in any process; SQLite wakes in-process subscribers
  // only, without payloads.
  void notify(Tx& tx, const std::string& channel) { notify(tx, channel, std::string()); }
  virtual void notify(Tx& tx, const std::string& channel, const std::string& payload) = 0;
  virtual std::unique_ptr<Subscription> subscribe(const std::string& channel) = 0;

  // Runs fn while holding a lock that one process at a time may hold (PostgreSQL: a session
  // advisory lock; SQLite: fn's own exclusive transactions serialise it). For migrations.
  virtual void with_global_lock(const std::string& name, const std::function<void()>& fn) = 0;

  int max_attempts = 8;

 private:
  void with_retries(const std::function<void(Tx&)>& fn, TxMode mode);
};

struct DatabaseConfig;
// Opens the backend named by config.url. Throws DbError (not retryable) on a malformed URL.
std::unique_ptr<Database> open_database(const DatabaseConfig& config);

}  // namespace carehub
