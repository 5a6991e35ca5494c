// In-process notifications: what SQLite offers for notify/subscribe. A notification bumps the
// channel's counter; a subscription remembers the counter it last saw, so a notification that
// arrives between two waits is not lost (like a PostgreSQL LISTEN queue).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "carehub/db.hpp"

namespace carehub::detail {

class LocalNotifier : public std::enable_shared_from_this<LocalNotifier> {
 public:
  void notify(const std::string& channel);
  std::unique_ptr<Subscription> subscribe(const std::string& channel);

 private:
  friend class LocalSubscription;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::uint64_t> counters_;
};

}  // namespace carehub::detail
