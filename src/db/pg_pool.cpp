#include "db/pg_pool.hpp"

#include <chrono>

namespace carehub::detail {
namespace {

// Far longer than any unit of work should take: reaching it means callers hold connections
// while waiting for more (nested transactions), which would otherwise hang forever.
constexpr std::chrono::seconds kAcquireTimeout{30};

}  // namespace

PgPool::PgPool(std::string url, int connect_timeout_s, int max_size)
    : url_(std::move(url)),
      connect_timeout_s_(connect_timeout_s),
      max_size_(max_size > 0 ? max_size : 1) {}

PgPool::Lease PgPool::acquire() {
  std::unique_lock lock(mutex_);
  if (idle_.empty() && open_ >= max_size_) {
    ++waits_;
    const bool got = available_.wait_for(lock, kAcquireTimeout,
                                         [&] { return !idle_.empty() || open_ < max_size_; });
    if (!got) {
      throw DbError("postgres: no connection free after 30s (pool of " + std::to_string(max_size_) +
                        "); is a unit of work waiting on another?",
                    false);
    }
  }
  ++in_use_;
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++open_;
  const std::uint64_t generation = generation_;
  lock.unlock();
  try {
    auto conn = std::make_unique<PgConnection>(url_, connect_timeout_s_);
    conn->generation = generation;
    return Lease(*this, std::move(conn));
  } catch (...) {
    lock.lock();
    --open_;
    --in_use_;
    available_.notify_one();
    throw;
  }
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
  std::vector<std::unique_ptr<PgConnection>> dropped;  // closed after the mutex is released
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (!conn->usable()) {
      ++generation_;
      dropped = std::move(idle_);
      idle_.clear();
      open_ -= static_cast<int>(dropped.size()) + 1;
      dropped.push_back(std::move(conn));
    } else if (conn->generation != generation_ || conn->in_transaction()) {
      --open_;
      dropped.push_back(std::move(conn));
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  available_.notify_all();
}

std::unique_ptr<PgConnection> PgPool::connect_dedicated() const {
  return std::make_unique<PgConnection>(url_, connect_timeout_s_);
}

PoolStats PgPool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{open_, in_use_, max_size_, waits_};
}

}  // namespace carehub::detail
