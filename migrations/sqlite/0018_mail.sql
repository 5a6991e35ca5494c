-- Outgoing email's outbox: a row is written in the unit of work of the change that causes the
-- message, and a mail.send job delivers it after the commit. params hold the template's values
-- (a link with a single-use secret): they are emptied once the message is sent or dead, so the
-- table keeps who was written to, when and how it went, and no usable link.
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL,
  template TEXT NOT NULL,
  language TEXT NOT NULL,
  params TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at_ms BIGINT NOT NULL,
  sent_at_ms BIGINT
);
CREATE INDEX mail_outbox_state ON mail_outbox (state, id);
