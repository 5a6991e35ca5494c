-- Access tokens are self-contained, so ending a user's access at once needs a marker the servers
-- check without a row read: access tokens of this user issued (iat) before this second are
-- refused. Set on disable, role change, password change or reset, logout and refresh-token reuse;
-- every server keeps the recent markers in memory and learns of new ones by notification.
ALTER TABLE users ADD COLUMN tokens_not_before_s BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_tokens_not_before ON users (tokens_not_before_s);
