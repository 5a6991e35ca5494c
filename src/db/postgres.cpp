// PostgreSQL backend: a lazily grown connection pool; units of work map to one BEGIN/COMMIT on a
// pooled connection. A lost connection makes the unit of work fail as retryable, so transact()
// runs it again on a fresh connection after a server restart.
#include <string_view>

#include "carehub/config.hpp"
#include "db/backends.hpp"
#include "db/pg_pool.hpp"
#include "db/pg_subscription.hpp"

namespace carehub::detail {
namespace {

std::string_view begin_statement(TxMode mode) {
  switch (mode) {
    case TxMode::kRead: return "BEGIN READ ONLY";
    case TxMode::kExclusive: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case TxMode::kWrite: break;
  }
  return "BEGIN";
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(const std::string& url, const DatabaseConfig& config)
      : pool_(url, config.connect_timeout_s, config.pool_size) {}

  Backend backend() const override { return Backend::kPostgres; }

  void run_once(const std::function<void(Tx&)>& fn, TxMode mode) override {
    auto lease = pool_.acquire();
    PgConnection& conn = *lease;
    conn.exec(begin_statement(mode));
    PgTx tx(conn);
    try {
      fn(tx);
      const auto res = conn.exec("COMMIT");
      // COMMIT of a transaction in which a statement failed (and the caller swallowed the error)
      // succeeds as ROLLBACK: report it, or the caller would believe its writes were stored.
      if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
        throw DbError("postgres: transaction rolled back: a statement in it failed",
                      conn.last_error_retryable());
      }
    } catch (...) {
      if (conn.usable() && conn.in_transaction()) {
        try {
          conn.exec("ROLLBACK");
        } catch (const DbError&) {
          // The connection is then unusable and the pool discards it; the first error matters.
        }
      }
      throw;
    }
    lease.reset();
    run_commit_callbacks(tx.callbacks());
  }

  void ping() override {
    auto probe = [](Tx& tx) { tx.query("SELECT 1"); };
    try {
      run_once(probe, TxMode::kRead);
    } catch (const DbError& e) {
      // One more try: a pooled connection may have died with a server restart; the pool has
      // dropped it and the next attempt opens a fresh one.
      if (!e.retryable()) throw;
      run_once(probe, TxMode::kRead);
    }
  }

  PoolStats pool_stats() const override { return pool_.stats(); }

  using Database::notify;
  void notify(Tx& tx, const std::string& channel, const std::string& payload) override {
    // pg_notify inside the transaction: PostgreSQL delivers it on commit and drops it on rollback.
    tx.query("SELECT pg_notify($1, $2)", {channel, payload});
  }

  std::unique_ptr<Subscription> subscribe(const std::string& channel) override {
    return std::make_unique<PgSubscription>(pool_, channel);
  }

  void with_global_lock(const std::string& name, const std::function<void()>& fn) override {
    // A session lock on a dedicated connection: fn's own transactions use pooled connections,
    // and if this process dies the server releases the lock with the session.
    auto conn = pool_.connect_dedicated();
    conn->exec("SELECT pg_advisory_lock(hashtext($1))", {name});
    struct Unlock {
      PgConnection& conn;
      const std::string& name;
      ~Unlock() {
        try {
          conn.exec("SELECT pg_advisory_unlock(hashtext($1))", {name});
        } catch (const DbError&) {
          // Closing the connection below releases the lock anyway.
        }
      }
    } unlock{*conn, name};
    fn();
  }

 private:
  PgPool pool_;
};

}  // namespace

std::unique_ptr<Database> open_postgres_database(const std::string& url,
                                                 const DatabaseConfig& config) {
  return std::make_unique<PostgresDatabase>(url, config);
}

}  // namespace carehub::detail
