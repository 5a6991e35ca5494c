// Factories for the two backends, called by open_database once the URL is parsed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "carehub/config.hpp"
#include "carehub/db.hpp"

namespace carehub::detail {

// path: a filesystem path (relative to the working directory unless absolute).
std::unique_ptr<Database> open_sqlite_database(const std::string& path,
                                               const DatabaseConfig& config);
// url: a libpq connection URI (postgresql://... or postgres://...).
std::unique_ptr<Database> open_postgres_database(const std::string& url,
                                                 const DatabaseConfig& config);

// What open_database does with a URL, split out so the rules are in one place.
struct ParsedDatabaseUrl {
  Backend backend;
  std::string target;  // SQLite: the file path; PostgreSQL: the URI unchanged
};
ParsedDatabaseUrl parse_database_url(const std::string& url);  // throws DbError (not retryable)

// Runs a transaction's on-commit callbacks; the commit already happened, so none may undo it.
void run_commit_callbacks(std::vector<std::function<void()>>& callbacks) noexcept;

}  // namespace carehub::detail
