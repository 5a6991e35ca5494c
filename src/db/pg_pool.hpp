// A pool of PostgreSQL connections: opened lazily up to max, lent to one unit of work at a time.
// A connection that broke is discarded, and so are the idle ones opened before it broke: when
// the server restarted they are all dead, and the retry should get a fresh connection, not the
// next dead one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "carehub/db.hpp"
#include "db/pg_connection.hpp"

namespace carehub::detail {

class PgPool {
 public:
  PgPool(std::string url, int connect_timeout_s, int max_size);

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> conn)
        : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() { reset(); }
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }
    void reset() {
      if (conn_) pool_->release(std::move(conn_));
    }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Lease acquire();  // blocks while every connection is lent out
  // A connection outside the pool (LISTEN, advisory locks): it is held for long stretches.
  std::unique_ptr<PgConnection> connect_dedicated() const;
  PoolStats stats() const;

 private:
  void release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const int connect_timeout_s_;
  const int max_size_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
  int in_use_ = 0;
  std::int64_t waits_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace carehub::detail
