// LISTEN on a dedicated connection. wait() sleeps in poll() on the connection's socket and an
// eventfd that wake() writes to. When the connection drops it reconnects and re-LISTENs, and
// reports a wake-up: notifications sent while it was away are lost, so the caller should look.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "carehub/db.hpp"
#include "carehub/unique_fd.hpp"
#include "db/pg_pool.hpp"

namespace carehub::detail {

class PgSubscription final : public Subscription {
 public:
  PgSubscription(const PgPool& pool, std::string channel);
  ~PgSubscription() override;
  PgSubscription(const PgSubscription&) = delete;
  PgSubscription& operator=(const PgSubscription&) = delete;

  bool wait(std::chrono::milliseconds timeout) override;
  void wake() override;
  std::vector<std::string> take_payloads() override;

 private:
  bool try_connect();  // true when a (new) connection listens
  bool take_notifications();

  const PgPool& pool_;
  const std::string channel_;
  std::unique_ptr<PgConnection> conn_;
  UniqueFd wake_fd_;  // an eventfd that ends a wait() early
  std::chrono::steady_clock::time_point next_connect_attempt_{};
  std::vector<std::string> payloads_;
};

}  // namespace carehub::detail
