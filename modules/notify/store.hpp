// The notify module's tables. SQL lives here and nowhere else in the module; every function runs
// inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "carehub/db.hpp"
#include "carehub/notifications.hpp"

namespace carehub::notify {

struct NotificationRow {
  std::int64_t id = 0;
  Notification n;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> read_at_ms;
};

struct DeviceRow {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string platform, token, app;
  std::int64_t created_at_ms = 0;
};

// Per type: shown in the console (and streamed), pushed to the devices, mailed as a short note.
struct Preference {
  bool in_app = true, push = true, email = false;
};

struct InboxQuery {
  std::int64_t user_id = 0;
  bool unread_only = false;
  std::int64_t since_ms = 0;
  std::int64_t after_id = 0;
  int limit = 50, offset = 0;
};

class NotifyStore {
 public:
  std::int64_t insert(Tx& tx, const Notification& n, std::int64_t now_ms);
  std::vector<NotificationRow> inbox(Tx& tx, const InboxQuery& q);
  std::int64_t unread_count(Tx& tx, std::int64_t user_id);
  // A user's notifications after an id, oldest first (what a reconnecting stream missed).
  std::vector<NotificationRow> after(Tx& tx, std::int64_t user_id, std::int64_t after_id,
                                     int limit);
  std::vector<NotificationRow> by_ids(Tx& tx, const std::vector<std::int64_t>& ids);
  std::optional<NotificationRow> find(Tx& tx, std::int64_t id);
  // Marks read (the user's own); false when there is no such notification of theirs.
  bool mark_read(Tx& tx, std::int64_t user_id, std::int64_t id, std::int64_t now_ms);
  std::int64_t mark_all_read(Tx& tx, std::int64_t user_id, std::int64_t now_ms);
  bool remove(Tx& tx, std::int64_t user_id, std::int64_t id);
  // Read notifications read before cutoff; returns how many went.
  std::int64_t purge_read_before(Tx& tx, std::int64_t cutoff_ms);

  Preference preference(Tx& tx, std::int64_t user_id, const std::string& type);
  std::vector<std::pair<std::string, Preference>> preferences(Tx& tx, std::int64_t user_id);
  void set_preference(Tx& tx, std::int64_t user_id, const std::string& type, Preference p);

  // The device (registered again by this user: the same row; by another: moved to this one).
  DeviceRow register_device(Tx& tx, std::int64_t user_id, const std::string& platform,
                            const std::string& token, const std::string& app, std::int64_t now_ms);
  std::vector<DeviceRow> devices(Tx& tx, std::int64_t user_id);
  std::optional<DeviceRow> find_device(Tx& tx, std::int64_t id);
  bool remove_device(Tx& tx, std::int64_t user_id, std::int64_t id);
  void remove_device_by_id(Tx& tx, std::int64_t id);

  bool pushed(Tx& tx, const std::string& idempotency_key);
  void record_push(Tx& tx, const std::string& idempotency_key, std::int64_t notification_id,
                   std::int64_t device_id, std::int64_t now_ms);
};

}  // namespace carehub::notify
