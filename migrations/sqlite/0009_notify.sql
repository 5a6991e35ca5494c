-- Notifications: the outbox other modules write in their own transactions, which is also each
-- user's inbox; devices that receive pushes; preferences per user and type; and a record of each
-- push delivered, so a retried delivery job never pushes twice.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  read_at_ms BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_read ON notifications (read_at_ms);

-- A device token is a provider's address for one app on one phone: it belongs to the user who
-- registered it last (a phone can change hands).
CREATE TABLE notification_devices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BIGINT NOT NULL,
  platform TEXT NOT NULL,
  token TEXT NOT NULL,
  app TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE (platform, token)
);
CREATE INDEX notification_devices_user ON notification_devices (user_id);

CREATE TABLE notification_preferences (
  user_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  in_app SMALLINT NOT NULL,
  push SMALLINT NOT NULL,
  PRIMARY KEY (user_id, type)
);

CREATE TABLE notification_pushes (
  idempotency_key TEXT PRIMARY KEY,
  notification_id BIGINT NOT NULL,
  device_id BIGINT NOT NULL,
  pushed_at_ms BIGINT NOT NULL
);
CREATE INDEX notification_pushes_notification ON notification_pushes (notification_id);
