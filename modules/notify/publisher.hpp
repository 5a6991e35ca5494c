// The core's NotificationPublisher: a notification stored in the caller's unit of work (the
// outbox), its delivery to streams scheduled for the commit, and one push job per device of the
// user, all honouring the user's preferences for the notification's type.
#pragma once

#include "carehub/clock.hpp"
#include "carehub/jobs.hpp"
#include "carehub/notifications.hpp"
#include "notify/hub.hpp"
#include "notify/store.hpp"

namespace carehub::notify {

inline constexpr const char* kPushJobType = "notify.push";

class Publisher final : public NotificationPublisher {
 public:
  Publisher(Database& db, NotifyStore& store, Hub& hub, JobQueue& jobs, const Clock& clock,
            int push_max_attempts)
      : db_(db),
        store_(store),
        hub_(hub),
        jobs_(jobs),
        clock_(clock),
        push_max_attempts_(push_max_attempts) {}

  // Returns the id; 0 when the user turned both in-app and push off for this type. With in-app
  // off the notification is still stored (a push names it) but marked read and never streamed.
  std::int64_t publish(Tx& tx, const Notification& notification) override;

 private:
  Database& db_;
  NotifyStore& store_;
  Hub& hub_;
  JobQueue& jobs_;
  const Clock& clock_;
  int push_max_attempts_;
};

}  // namespace carehub::notify
