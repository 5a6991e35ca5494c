-- The notification centre's third channel: a person may ask to be told by email that a
-- notification of a type arrived (a short text and a link to the centre, never its content).
-- Off unless they turn it on.
ALTER TABLE notification_preferences ADD COLUMN email SMALLINT NOT NULL DEFAULT 0;
