-- Notifications (issue 6): the webhook outbox, written in the same
-- transaction as the records its messages announce; the subscriptions
-- admins add; the admin allow-list of private addresses webhooks may reach.
CREATE TABLE notify_outbox (
	id           TEXT PRIMARY KEY,
	subscription TEXT NOT NULL,
	url          TEXT NOT NULL,
	idem_key     TEXT NOT NULL,
	body         BLOB NOT NULL,
	created      INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	delivered    INTEGER,
	dead         INTEGER
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt) WHERE delivered IS NULL AND dead IS NULL;
CREATE INDEX notify_outbox_dead ON notify_outbox (dead) WHERE dead IS NOT NULL;

CREATE TABLE notify_subscriptions (
	id      TEXT PRIMARY KEY,
	actor   TEXT NOT NULL,
	url     TEXT NOT NULL,
	by_id   TEXT NOT NULL,
	created INTEGER NOT NULL
);

CREATE TABLE notify_allowlist (
	entry TEXT PRIMARY KEY
);
