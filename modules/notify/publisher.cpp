#include "notify/publisher.hpp"

namespace carehub::notify {

std::int64_t Publisher::publish(Tx& tx, const Notification& n) {
  const Preference pref = store_.preference(tx, n.user_id, n.type);
  if (!pref.in_app && !pref.push && !pref.email) return 0;
  const std::int64_t now = clock_.now_ms();
  NotificationRow row;
  row.n = n;
  row.created_at_ms = now;
  row.id = store_.insert(tx, n, now);
  if (pref.in_app) {
    tx.on_commit([hub = &hub_, row] { hub->deliver({row}); });
    // Other processes (replicas on PostgreSQL) deliver it to the streams they hold.
    if (db_.backend() == Backend::kPostgres) {
      db_.notify(tx, kEventsChannel,
                 hub_.origin() + " " + std::to_string(row.id) + " " + std::to_string(n.user_id));
    }
  } else {
    store_.mark_read(tx, n.user_id, row.id, now);
  }
  if (pref.push) {
    for (const auto& device : store_.devices(tx, n.user_id)) {
      JobSpec spec;
      spec.type = kPushJobType;
      spec.queue = "notify";
      spec.max_attempts = push_max_attempts_;
      spec.payload = {{"notification_id", row.id}, {"device_id", device.id}};
      spec.idempotency_key =
          "notify.push:" + std::to_string(row.id) + ":" + std::to_string(device.id);
      jobs_.enqueue(tx, spec);
    }
  }
  if (pref.email) mail_note(tx, n.user_id);
  return row.id;
}

// A short note and a link to the centre, in the person's language: never the notification's
// title or body, which may say something about someone's health.
void Publisher::mail_note(Tx& tx, std::int64_t user_id) {
  auto* accounts = services_.accounts.get();
  if (!accounts) return;
  const auto account = accounts->find(tx, user_id);
  if (!account || !account->active || !account->email) return;
  MailMessage message;
  message.to = *account->email;
  message.template_name = "notification";
  message.language = account->language;
  message.params["link"] = mail_.public_url() + "/notifications";
  mail_.enqueue(tx, message);
}

}  // namespace carehub::notify
