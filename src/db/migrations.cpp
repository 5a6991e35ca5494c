#include "carehub/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "carehub/hash.hpp"
#include "db/migrations_data.hpp"

namespace carehub {
namespace {

constexpr const char* kLockName = "carehub-migrate";

std::string file_name(int version, const std::string& name) {
  return fmt::format("{:04d}_{}.sql", version, name);
}

// "0002_audit.sql" -> {2, "audit"}.
Migration parse_file(const std::string& file, const std::string& sql) {
  const auto underscore = file.find('_');
  const bool ok = underscore != std::string::npos && underscore > 0 && file.size() > 4 &&
                  file.compare(file.size() - 4, 4, ".sql") == 0 &&
                  std::all_of(file.begin(), file.begin() + static_cast<long>(underscore),
                              [](char c) { return c >= '0' && c <= '9'; }) &&
                  underscore + 1 < file.size() - 4;
  if (!ok) throw MigrationError("migration file name '" + file + "' is not NNNN_name.sql");
  Migration m;
  m.version = std::stoi(file.substr(0, underscore));
  m.name = file.substr(underscore + 1, file.size() - 4 - underscore - 1);
  m.sql = sql;
  m.checksum = sha256_hex(sql);
  return m;
}

std::vector<Migration> load(Backend backend) {
  const std::string wanted = backend == Backend::kSqlite ? "sqlite" : "postgres";
  std::vector<Migration> out;
  for (const auto& f : detail::embedded_migration_files()) {
    if (wanted == f.backend) out.push_back(parse_file(f.file, f.sql));
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      throw MigrationError(
          fmt::format("two {} migrations have version {}", wanted, out[i].version));
    }
  }
  return out;
}

bool migrations_table_exists(Tx& tx) {
  const auto row = tx.backend() == Backend::kSqlite
                       ? tx.query_one(
                             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'schema_migrations'")
                       : tx.query_one(
                             "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
                             "'schema_migrations' AND schemaname = current_schema()");
  return row && row->integer(0) > 0;
}

void create_migrations_table(Tx& tx) {
  tx.exec_script(tx.backend() == Backend::kSqlite
                     ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)"
                     : "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
                       "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

const std::vector<Migration>& shipped_migrations(Backend backend) {
  static const std::vector<Migration> sqlite = load(Backend::kSqlite);
  static const std::vector<Migration> postgres = load(Backend::kPostgres);
  return backend == Backend::kSqlite ? sqlite : postgres;
}

SchemaStatus schema_status(Database& db) {
  const auto& shipped = shipped_migrations(db.backend());
  std::map<std::int64_t, std::string> applied;  // version -> checksum
  db.transact(
      [&](Tx& tx) {
        applied.clear();
        if (!migrations_table_exists(tx)) return;
        for (const auto& row :
             tx.query("SELECT version, checksum FROM schema_migrations ORDER BY version")) {
          applied[row.integer(0)] = row.text(1);
        }
      },
      TxMode::kRead);

  SchemaStatus status;
  status.latest = shipped.empty() ? 0 : shipped.back().version;
  for (const auto& m : shipped) {
    const auto it = applied.find(m.version);
    if (it == applied.end()) {
      status.pending.push_back(m.version);
    } else if (it->second != m.checksum) {
      throw MigrationError(fmt::format(
          "migration {} was changed after it was applied (checksum in the database {}, in this "
          "binary {}); restore the original file and add a new migration instead",
          file_name(m.version, m.name), it->second, m.checksum));
    }
  }
  // A plain variable, not a structured binding: clang 14 (the fuzz build) cannot capture those.
  for (const auto& entry : applied) {
    const std::int64_t version = entry.first;
    const bool known = std::any_of(shipped.begin(), shipped.end(),
                                   [&](const Migration& m) { return m.version == version; });
    if (!known) {
      throw MigrationError(fmt::format(
          "the database has migration version {}, which this binary does not know: the database is "
          "newer than this binary (latest shipped version {}); run a newer carehub",
          version, status.latest));
    }
  }
  status.current = applied.empty() ? 0 : static_cast<int>(applied.rbegin()->first);
  return status;
}

int migrate(Database& db, const std::function<void(const Migration&)>& on_applied) {
  // SQLite has no DDL-safe row lock to re-check under, so each step takes the database exclusively;
  // on PostgreSQL the advisory lock already serialises migrate runs.
  const TxMode mode = db.backend() == Backend::kSqlite ? TxMode::kExclusive : TxMode::kWrite;
  int applied = 0;
  db.with_global_lock(kLockName, [&] {
    db.transact([](Tx& tx) { create_migrations_table(tx); }, mode);
    schema_status(db);  // refuses edited or unknown migrations before changing anything
    for (const auto& m : shipped_migrations(db.backend())) {
      const bool did = db.transact(
          [&](Tx& tx) {
            // Another process may have applied it before we took the lock.
            if (tx.query_one("SELECT 1 FROM schema_migrations WHERE version = $1",
                             {std::int64_t{m.version}})) {
              return false;
            }
            tx.exec_script(m.sql);
            tx.exec(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, "
                "$2, $3, $4)",
                {std::int64_t{m.version}, m.name, m.checksum, now_ms()});
            return true;
          },
          mode);
      if (did) {
        ++applied;
        if (on_applied) on_applied(m);
      }
    }
  });
  return applied;
}

}  // namespace carehub
