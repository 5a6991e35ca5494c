// Shared by the auth store contract tests: a migrated fresh database on either backend, an
// AuthStore on a manual clock, and short ways to make users and run units of work.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auth/auth_store.hpp"
#include "contract/jobs_support.hpp"

namespace carehub::test {

struct AuthFixture {
  explicit AuthFixture(Backend backend) : database(backend), store(clock) {
    migrate(database.db(), {});
  }
  Database& db() { return database.db(); }

  template <typename F>
  auto tx(F&& fn) {
    return database.db().transact(std::forward<F>(fn));
  }

  auth::User user(const std::string& email, std::vector<std::string> roles = {"patient"}) {
    auth::NewUser nu;
    nu.email = email;
    nu.roles = std::move(roles);
    auto r = tx([&](Tx& t) { return store.create_user(t, nu); });
    if (!r.created()) throw std::runtime_error("test user not created: " + r.problem);
    return *r.user;
  }

  std::int64_t count(const std::string& table) {
    return tx([&](Tx& t) { return t.query_one("SELECT COUNT(*) FROM " + table)->integer(0); });
  }

  TestDatabase database;
  ManualClock clock;
  auth::AuthStore store;
};

// Runs fn on `threads` threads released together; returns their results in thread order.
template <typename R>
std::vector<R> race(int threads, const std::function<R()>& fn) {
  std::vector<R> results(static_cast<std::size_t>(threads));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      const auto n = static_cast<std::size_t>(i);
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      try {
        results[n] = fn();
      } catch (...) {
        errors[n] = std::current_exception();
      }
    });
  }
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return results;
}

inline bool is_lower_hex64(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace carehub::test
