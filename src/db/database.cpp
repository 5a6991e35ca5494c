#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "db/backends.hpp"

namespace carehub {
namespace {

constexpr std::chrono::milliseconds kBackoffBase{5};
constexpr std::chrono::milliseconds kBackoffMax{500};

// Full backoff 5ms * 2^n capped, with jitter in [half, full] so retrying writers spread out.
std::chrono::milliseconds backoff(int attempt) {
  const auto full =
      std::min<std::int64_t>(kBackoffMax.count(), kBackoffBase.count() << std::min(attempt, 16));
  static thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> dist(full / 2, full);
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace

std::optional<Row> Tx::query_one(std::string_view sql, const Params& params) {
  Rows rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

void Database::with_retries(const std::function<void(Tx&)>& fn, TxMode mode) {
  for (int attempt = 0;; ++attempt) {
    try {
      run_once(fn, mode);
      return;
    } catch (const ConstraintError&) {
      throw;
    } catch (const DbError& e) {
      if (!e.retryable() || attempt + 1 >= max_attempts) throw;
    }
    std::this_thread::sleep_for(backoff(attempt));
  }
}

namespace detail {

ParsedDatabaseUrl parse_database_url(const std::string& url) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) {
    const auto colon = url.find(':');
    if (colon != std::string::npos && colon > 0) {
      throw DbError("unsupported database URL scheme '" + url.substr(0, colon) +
                        "' (expected sqlite:///path/file.db or postgresql://user@host:port/db)",
                    false);
    }
    throw DbError(
        "database URL has no scheme (expected sqlite:///path/file.db or "
        "postgresql://user@host:port/db)",
        false);
  }
  const std::string scheme = url.substr(0, sep);
  if (scheme == "sqlite") {
    std::string path = url.substr(sep + 3);
    if (path.empty()) throw DbError("database URL 'sqlite://' names no file", false);
    return {Backend::kSqlite, path};
  }
  if (scheme == "postgresql" || scheme == "postgres") return {Backend::kPostgres, url};
  throw DbError("unsupported database URL scheme '" + scheme +
                    "' (expected sqlite:///path/file.db or postgresql://user@host:port/db)",
                false);
}

void run_commit_callbacks(std::vector<std::function<void()>>& callbacks) noexcept {
  for (auto& fn : callbacks) {
    try {
      fn();
    } catch (...) {
      // The transaction is committed; a failed wake-up only delays whoever polls next.
    }
  }
  callbacks.clear();
}

}  // namespace detail

std::unique_ptr<Database> open_database(const DatabaseConfig& config) {
  const auto parsed = detail::parse_database_url(config.url);
  if (parsed.backend == Backend::kSqlite)
    return detail::open_sqlite_database(parsed.target, config);
  return detail::open_postgres_database(parsed.target, config);
}

}  // namespace carehub
