#include "db/pg_connection.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>

namespace carehub::detail {
namespace {

// Type OIDs from pg_type.h (not installed with libpq's client headers).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;

struct PgFreer {
  void operator()(unsigned char* p) const { PQfreemem(p); }
};

std::string render_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);  // shortest text that reads back to the same double
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Server notices ("relation already exists, skipping") are not errors and errors arrive with
// their results; libpq's default would print them on stderr, outside the structured log.
void ignore_notice(void*, const char*) {}

bool connection_lost_state(std::string_view state) {
  // Class 08: connection exception. 57P01-57P03: the server is shutting down or restarting.
  return state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

PgConnection::PgConnection(const std::string& url, int connect_timeout_s) {
  const std::string timeout = std::to_string(connect_timeout_s > 0 ? connect_timeout_s : 10);
  // dbname comes last and is expanded as a URI, so what the URL says wins over these defaults.
  const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                        nullptr};
  const char* values[] = {timeout.c_str(), "carehub", "UTF8", url.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!conn_) throw DbError("postgres: cannot allocate a connection", true);
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw DbError("postgres: cannot connect: " + trimmed(PQerrorMessage(conn_.get())), true);
  }
  PQsetNoticeProcessor(conn_.get(), &ignore_notice, nullptr);
}

PgResultPtr PgConnection::exec(std::string_view sql, const Params& params) {
  const std::string text(sql);
  std::vector<std::string> storage(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<Oid> types(params.size(), 0);  // 0: the server infers the type from context
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    if (const auto* n = std::get_if<std::int64_t>(&p)) {
      storage[i] = std::to_string(*n);
      types[i] = kInt8Oid;
    } else if (const auto* d = std::get_if<double>(&p)) {
      storage[i] = render_double(*d);
      types[i] = kFloat8Oid;
    } else if (const auto* s = std::get_if<std::string>(&p)) {
      storage[i] = *s;
    } else {
      continue;  // NULL: values[i] stays nullptr
    }
    values[i] = storage[i].c_str();
  }
  PgResultPtr res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(params.size()),
                               types.data(), values.data(), nullptr, nullptr, 0));
  return check(std::move(res), "statement failed");
}

PgResultPtr PgConnection::exec_script(std::string_view sql) {
  const std::string text(sql);
  return check(PgResultPtr(PQexec(conn_.get(), text.c_str())), "script failed");
}

PgResultPtr PgConnection::check(PgResultPtr res, std::string_view what) {
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return res;
  }
  const char* raw_state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = raw_state ? raw_state : "";
  // Only the primary message: DETAIL lines quote row values ("Key (email)=(...)"), which are
  // patient data and must not reach logs.
  const char* primary = res ? PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message = primary ? trimmed(primary) : trimmed(PQerrorMessage(conn_.get()));
  const std::string full = fmt::format("postgres: {}: {}{}", what, message,
                                       state.empty() ? "" : fmt::format(" (SQLSTATE {})", state));

  // A broken connection often reports no SQLSTATE at all (libpq's own "server closed the
  // connection unexpectedly"); PQstatus is the reliable signal.
  if (!res || PQstatus(conn_.get()) != CONNECTION_OK || connection_lost_state(state)) {
    lost_ = true;
    last_error_retryable_ = true;
    throw DbError(full, true);
  }
  last_error_retryable_ = state == "40001" || state == "40P01";
  if (state.substr(0, 2) == "23") throw ConstraintError(full);
  throw DbError(full, last_error_retryable_);
}

Rows rows_from_result(const PGresult* res) {
  const int nrows = PQntuples(res);
  const int ncols = PQnfields(res);
  Rows rows;
  rows.reserve(static_cast<std::size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        cells.emplace_back(std::nullopt);
        continue;
      }
      const char* value = PQgetvalue(res, r, c);
      const Oid type = PQftype(res, c);
      if (type == kBoolOid) {
        // Booleans read as 1/0, as SQLite returns them, so Row::integer works on both.
        cells.emplace_back(value[0] == 't' ? "1" : "0");
      } else if (type == kByteaOid) {
        std::size_t length = 0;
        std::unique_ptr<unsigned char, PgFreer> bytes(
            PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length));
        if (!bytes) throw DbError("postgres: cannot decode a bytea value", false);
        cells.emplace_back(std::string(reinterpret_cast<const char*>(bytes.get()), length));
      } else {
        cells.emplace_back(std::string(value, static_cast<std::size_t>(PQgetlength(res, r, c))));
      }
    }
    rows.emplace_back(std::move(cells));
  }
  return rows;
}

std::int64_t PgTx::exec(std::string_view sql, const Params& params) {
  const auto res = conn_.exec(sql, params);
  const std::string_view tuples = PQcmdTuples(res.get());
  std::int64_t count = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
  return count;
}

}  // namespace carehub::detail
