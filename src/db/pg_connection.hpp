// One libpq connection with error classification, and the Tx that runs on it.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/db.hpp"

namespace carehub::detail {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultClearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

class PgConnection {
 public:
  // Throws a retryable DbError when the server cannot be reached (it may be restarting).
  PgConnection(const std::string& url, int connect_timeout_s);

  // Runs one parameterised statement (text parameters). Throws DbError: retryable for
  // serialization failures, deadlocks and lost connections; ConstraintError for class 23.
  PgResultPtr exec(std::string_view sql, const Params& params = {});
  // Several statements, no parameters.
  PgResultPtr exec_script(std::string_view sql);

  // False once the connection broke: it must be discarded, not reused.
  bool usable() const { return !lost_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  bool in_transaction() const { return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }
  // Whether the last failed statement may succeed on a retry (decides the error raised when a
  // caller swallowed that failure and the transaction then cannot commit).
  bool last_error_retryable() const { return last_error_retryable_; }
  PGconn* get() const { return conn_.get(); }

  std::uint64_t generation = 0;  // the pool's generation when this connection was opened

 private:
  PgResultPtr check(PgResultPtr res, std::string_view what);

  PgConnPtr conn_;
  bool lost_ = false;
  bool last_error_retryable_ = false;
};

Rows rows_from_result(const PGresult* res);

class PgTx final : public Tx {
 public:
  explicit PgTx(PgConnection& conn) : conn_(conn) {}
  Backend backend() const override { return Backend::kPostgres; }
  Rows query(std::string_view sql, const Params& params = {}) override {
    return rows_from_result(conn_.exec(sql, params).get());
  }
  std::int64_t exec(std::string_view sql, const Params& params = {}) override;
  void exec_script(std::string_view sql) override { conn_.exec_script(sql); }
  void on_commit(std::function<void()> fn) override { callbacks_.push_back(std::move(fn)); }
  std::vector<std::function<void()>>& callbacks() { return callbacks_; }

 private:
  PgConnection& conn_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace carehub::detail
