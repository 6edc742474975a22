-- pactwatch schema, PostgreSQL dialect. Times are Unix nanoseconds (UTC);
-- 0 stands for "none" where a column says so.

-- The ledger: one row per leaf, its stored Merkle hashes (tlog stored-hash
-- index → 32 bytes), and one tree-head row that every append locks.
CREATE TABLE ledger_head (
	id   SMALLINT PRIMARY KEY CHECK (id = 1),
	size BIGINT NOT NULL CHECK (size >= 0)
);
INSERT INTO ledger_head (id, size) VALUES (1, 0);

CREATE TABLE ledger_entries (
	idx         BIGINT PRIMARY KEY,
	type        TEXT NOT NULL,
	record_id   TEXT NOT NULL UNIQUE,
	data        BYTEA NOT NULL,
	salt        BYTEA NOT NULL,
	public_salt BYTEA NOT NULL
);

CREATE TABLE ledger_hashes (
	idx  BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

CREATE TABLE checkpoints (
	size       BIGINT PRIMARY KEY,
	note       BYTEA NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE TABLE principals (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL,
	of_id       TEXT NOT NULL,
	public_key  BYTEA,
	key_id      TEXT NOT NULL,
	token_hash  BYTEA UNIQUE,
	valid_from  BIGINT NOT NULL,
	valid_until BIGINT NOT NULL, -- 0: no end
	revoked_at  BIGINT,          -- NULL: not revoked
	source      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	leaf_index  BIGINT NOT NULL REFERENCES ledger_entries (idx)
);
CREATE INDEX principals_key_id ON principals (key_id) WHERE key_id <> '';

-- One row per revocation event, with its own leaf.
CREATE TABLE principal_revocations (
	principal_id TEXT PRIMARY KEY REFERENCES principals (id),
	revoked_at   BIGINT NOT NULL,
	leaf_index   BIGINT NOT NULL REFERENCES ledger_entries (idx)
);

-- Observations: the signed body as JSON plus the columns filters need.
-- seq is the leaf index + 1, so it orders observations by acceptance.
CREATE TABLE observations (
	seq          BIGINT PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	observed_at  BIGINT NOT NULL,
	category     TEXT NOT NULL,
	reporter     TEXT NOT NULL,
	received_at  BIGINT NOT NULL,
	principal_id TEXT NOT NULL,
	observer_lat DOUBLE PRECISION, observer_lon DOUBLE PRECISION,
	target_lat   DOUBLE PRECISION, target_lon   DOUBLE PRECISION,
	origin_lat   DOUBLE PRECISION, origin_lon   DOUBLE PRECISION,
	body         BYTEA NOT NULL
);
CREATE INDEX observations_observed_at ON observations (observed_at);
CREATE INDEX observations_category ON observations (category, seq);
CREATE INDEX observations_reporter ON observations (reporter, seq);

CREATE TABLE evidence (
	sha256      TEXT PRIMARY KEY,
	size        BIGINT NOT NULL,
	media_type  TEXT NOT NULL,
	uploaded_by TEXT NOT NULL,
	uploaded_at BIGINT NOT NULL,
	leaf_index  BIGINT NOT NULL REFERENCES ledger_entries (idx)
);

-- Every other record kind: canonical JSON with its leaf.
CREATE TABLE records (
	leaf_index BIGINT PRIMARY KEY REFERENCES ledger_entries (idx),
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	time       BIGINT NOT NULL,
	body       BYTEA NOT NULL
);
CREATE INDEX records_type ON records (type, leaf_index);
