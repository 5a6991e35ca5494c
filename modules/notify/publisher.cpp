#include "notify/publisher.hpp"

namespace carehub::notify {

std::int64_t Publisher::publish(Tx& tx, const Notification& n) {
  const Preference pref = store_.preference(tx, n.user_id, n.type);
  if (!pref.in_app && !pref.push) return 0;
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
  return row.id;
}

}  // namespace carehub::notify
