-- pactwatch schema, SQLite dialect. Times are Unix nanoseconds (UTC);
-- 0 stands for "none" where a column says so.

-- The ledger: one row per leaf, its stored Merkle hashes (tlog stored-hash
-- index → 32 bytes), and one tree-head row that every append locks.
CREATE TABLE ledger_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL CHECK (size >= 0)
);
INSERT INTO ledger_head (id, size) VALUES (1, 0);

CREATE TABLE ledger_entries (
	idx         INTEGER PRIMARY KEY,
	type        TEXT NOT NULL,
	record_id   TEXT NOT NULL UNIQUE,
	data        BLOB NOT NULL,
	salt        BLOB NOT NULL,
	public_salt BLOB NOT NULL
);

CREATE TABLE ledger_hashes (
	idx  INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);

CREATE TABLE checkpoints (
	size       INTEGER PRIMARY KEY,
	note       BLOB NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE principals (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL,
	of_id       TEXT NOT NULL,
	public_key  BLOB,
	key_id      TEXT NOT NULL,
	token_hash  BLOB UNIQUE,
	valid_from  INTEGER NOT NULL,
	valid_until INTEGER NOT NULL, -- 0: no end
	revoked_at  INTEGER,          -- NULL: not revoked
	source      TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	leaf_index  INTEGER NOT NULL REFERENCES ledger_entries (idx)
);
CREATE INDEX principals_key_id ON principals (key_id) WHERE key_id <> '';

-- One row per revocation event, with its own leaf.
CREATE TABLE principal_revocations (
	principal_id TEXT PRIMARY KEY REFERENCES principals (id),
	revoked_at   INTEGER NOT NULL,
	leaf_index   INTEGER NOT NULL REFERENCES ledger_entries (idx)
);

-- Observations: the signed body as JSON plus the columns filters need.
-- seq is the leaf index + 1, so it orders observations by acceptance.
CREATE TABLE observations (
	seq          INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	observed_at  INTEGER NOT NULL,
	category     TEXT NOT NULL,
	reporter     TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	principal_id TEXT NOT NULL,
	observer_lat REAL, observer_lon REAL,
	target_lat   REAL, target_lon   REAL,
	origin_lat   REAL, origin_lon   REAL,
	body         BLOB NOT NULL
);
CREATE INDEX observations_observed_at ON observations (observed_at);
CREATE INDEX observations_category ON observations (category, seq);
CREATE INDEX observations_reporter ON observations (reporter, seq);

CREATE TABLE evidence (
	sha256      TEXT PRIMARY KEY,
	size        INTEGER NOT NULL,
	media_type  TEXT NOT NULL,
	uploaded_by TEXT NOT NULL,
	uploaded_at INTEGER NOT NULL,
	leaf_index  INTEGER NOT NULL REFERENCES ledger_entries (idx)
);

-- Every other record kind: canonical JSON with its leaf.
CREATE TABLE records (
	leaf_index INTEGER PRIMARY KEY REFERENCES ledger_entries (idx),
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	time       INTEGER NOT NULL,
	body       BLOB NOT NULL
);
CREATE INDEX records_type ON records (type, leaf_index);
