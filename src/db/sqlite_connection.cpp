#include "db/sqlite_connection.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <thread>

namespace carehub::detail {
namespace {

// Bounds the cache when a caller builds SQL dynamically; constant SQL never comes near it.
constexpr std::size_t kMaxCachedStatements = 256;

// Resets a statement after use whatever happens, so it holds no locks and no stale bindings
// (bound text is SQLITE_STATIC: it points into the caller's params, which die after the call).
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

bool only_separators(const char* tail) {
  for (; *tail; ++tail) {
    if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r')
      return false;
  }
  return true;
}

std::optional<std::string> column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL: return std::nullopt;
    case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return fmt::format("{}", sqlite3_column_double(stmt, i));  // shortest exact round trip
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return std::string(data ? data : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
    default: {
      const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(data ? data : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}

}  // namespace

void throw_sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const std::string message =
      fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: throw DbError(message, true);
    case SQLITE_CONSTRAINT: throw ConstraintError(message);
    default: throw DbError(message, false);
  }
}

namespace {
// SQLite keeps process-wide allocation statistics behind one global mutex taken on every
// sqlite3_malloc; nothing here reads them, and with several threads reading at once that mutex is
// contended. It can only be switched off before SQLite initialises, hence once, before any open.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)done;
}
}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, int busy_timeout_ms, Role role) {
  configure_sqlite_once();
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc, "cannot open SQLite database " + path);
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
  // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and a write
  // acknowledged to a client must survive that.
  exec_script("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;");
  // SQLite's default page cache is 2 MB per connection: an index of a million rows (EMPI's
  // blocking keys, record hashes) then lives in the kernel's cache and every lookup copies pages in
  // again (a third of an import's time in the profile). The one writer gets 256 MB, each reader
  // 16 MB; a cache grows only as pages are used, so a small database never pays for it.
  // A million-record EMPI import took 121 s with a 64 MB writer cache, 115 s with 256 MB.
  exec_script(role == Role::kWriter ? "PRAGMA cache_size=-262144;" : "PRAGMA cache_size=-16384;");
  if (role == Role::kWriter) {
    // Switching a fresh file to WAL can answer SQLITE_BUSY without consulting the busy handler
    // when another process is doing the same (two `migrate` runs at once): retry until the timeout.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    Rows mode;
    for (;;) {
      try {
        mode = query("PRAGMA journal_mode=WAL", {});
        break;
      } catch (const DbError& e) {
        if (!e.retryable() || std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (mode.empty() || mode.front().opt_text(0) != "wal") {
      throw DbError("SQLite database " + path + " cannot use WAL journal mode", false);
    }
  } else {
    exec_script("PRAGMA query_only=ON;");
  }
}

const SqliteConnection::Prepared& SqliteConnection::prepare(std::string_view sql) {
  const std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second;
  if (statements_.size() >= kMaxCachedStatements) statements_.clear();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), key.c_str(), static_cast<int>(key.size()) + 1,
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  Prepared prepared{SqliteStmtPtr(raw), {}};
  if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc, "cannot prepare statement");
  if (!prepared.stmt) throw DbError("empty SQL statement", false);
  if (tail && !only_separators(tail)) {
    throw DbError("one statement per query/exec call (exec_script runs several)", false);
  }
  // Placeholders are $N. Binding by name lets one $N appear several times, as in PostgreSQL.
  const int count = sqlite3_bind_parameter_count(raw);
  prepared.param_of_slot.reserve(static_cast<std::size_t>(count));
  for (int slot = 1; slot <= count; ++slot) {
    const char* name = sqlite3_bind_parameter_name(raw, slot);
    std::size_t n = 0;
    const std::string_view sv = name ? name : "";
    const auto [ptr, ec] = sv.size() > 1
                               ? std::from_chars(sv.data() + 1, sv.data() + sv.size(), n)
                               : std::from_chars_result{sv.data(), std::errc::invalid_argument};
    if (sv.empty() || sv[0] != '$' || ec != std::errc() || ptr != sv.data() + sv.size() || n == 0) {
      throw DbError(fmt::format("unsupported placeholder '{}' (use $1, $2 ...)", sv), false);
    }
    prepared.param_of_slot.push_back(n);
  }
  return statements_.emplace(key, std::move(prepared)).first->second;
}

void SqliteConnection::bind(const Prepared& prepared, const Params& params) {
  sqlite3_stmt* stmt = prepared.stmt.get();
  int slot = 0;
  for (const std::size_t n : prepared.param_of_slot) {
    ++slot;
    if (n > params.size()) {
      throw DbError(fmt::format("placeholder ${} has no parameter ({} given)", n, params.size()),
                    false);
    }
    const Param& p = params[n - 1];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(p)) {
      rc = sqlite3_bind_null(stmt, slot);
    } else if (const auto* i = std::get_if<std::int64_t>(&p)) {
      rc = sqlite3_bind_int64(stmt, slot, *i);
    } else if (const auto* d = std::get_if<double>(&p)) {
      rc = sqlite3_bind_double(stmt, slot, *d);
    } else {
      const auto& s = std::get<std::string>(p);
      rc = sqlite3_bind_text64(stmt, slot, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc, "cannot bind parameter");
  }
}

Rows SqliteConnection::query(std::string_view sql, const Params& params) {
  const Prepared& prepared = prepare(sql);
  sqlite3_stmt* stmt = prepared.stmt.get();
  StatementReset reset(stmt);
  bind(prepared, params);
  Rows rows;
  const int columns = sqlite3_column_count(stmt);
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_sqlite_error(db_.get(), rc, "query failed");
    std::vector<std::optional<std::string>> cells;
    cells.reserve(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i) cells.push_back(column_value(stmt, i));
    rows.emplace_back(std::move(cells));
  }
  return rows;
}

std::int64_t SqliteConnection::exec(std::string_view sql, const Params& params) {
  const Prepared& prepared = prepare(sql);
  sqlite3_stmt* stmt = prepared.stmt.get();
  StatementReset reset(stmt);
  bind(prepared, params);
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) throw_sqlite_error(db_.get(), rc, "statement failed");
  return sqlite3_changes64(db_.get());
}

void SqliteConnection::exec_script(std::string_view sql) {
  const std::string script(sql);
  char* raw_error = nullptr;
  const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, &raw_error);
  std::unique_ptr<char, decltype(&sqlite3_free)> error(raw_error, &sqlite3_free);
  if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc, "script failed");
}

void SqliteConnection::begin(TxMode mode) {
  switch (mode) {
    case TxMode::kRead: exec("BEGIN DEFERRED", {}); break;
    case TxMode::kWrite: exec("BEGIN IMMEDIATE", {}); break;
    case TxMode::kExclusive: exec("BEGIN EXCLUSIVE", {}); break;
  }
}

void SqliteConnection::commit() {
  exec("COMMIT", {});
}

void SqliteConnection::rollback() noexcept {
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace carehub::detail
