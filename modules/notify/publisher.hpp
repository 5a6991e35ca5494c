// The core's NotificationPublisher: a notification stored in the caller's unit of work (the
// outbox), its delivery to streams scheduled for the commit, and one push job per device of the
// user, all honouring the user's preferences for the notification's type.
#pragma once

#include "carehub/accounts.hpp"
#include "carehub/clock.hpp"
#include "carehub/jobs.hpp"
#include "carehub/mail.hpp"
#include "carehub/notifications.hpp"
#include "carehub/services.hpp"
#include "notify/hub.hpp"
#include "notify/store.hpp"

namespace carehub::notify {

inline constexpr const char* kPushJobType = "notify.push";

class Publisher final : public NotificationPublisher {
 public:
  Publisher(Database& db, NotifyStore& store, Hub& hub, JobQueue& jobs, const Clock& clock,
            int push_max_attempts, Services& services, Mail& mail)
      : db_(db),
        store_(store),
        hub_(hub),
        jobs_(jobs),
        clock_(clock),
        push_max_attempts_(push_max_attempts),
        services_(services),
        mail_(mail) {}

  // Returns the id; 0 when the user turned every channel off for this type. With in-app off the
  // notification is still stored (a push names it) but marked read and never streamed. With
  // email on, a note is written to the mail outbox in tx.
  std::int64_t publish(Tx& tx, const Notification& notification) override;

 private:
  void mail_note(Tx& tx, std::int64_t user_id);

  Database& db_;
  NotifyStore& store_;
  Hub& hub_;
  JobQueue& jobs_;
  const Clock& clock_;
  int push_max_attempts_;
  Services& services_;
  Mail& mail_;
};

}  // namespace carehub::notify
