// Package store defines how pactwatch persists its records. Two SQL dialects,
// SQLite (the embedded default, store/sqlite) and PostgreSQL (store/postgres),
// share one implementation here and pass the same test-suite
// (store/storetest). Every record is written in the same transaction as its
// ledger entry and the entry's stored Merkle hashes: no record without its
// entry, no entry without its record.
//
// Writes are group-committed: concurrent calls are queued to one committer
// goroutine that runs many of them in one transaction, each inside its own
// savepoint, so that one fsync covers a whole group and one caller's
// ECONFLICT never fails another caller's write.
package store

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Principal is an identity that may call the API: a role, optionally the
// guarantor or party it acts for, an ed25519 public key (for principals that
// sign, such as monitors) and a bearer token stored only as its SHA-256.
type Principal struct {
	ID         string
	Name       string
	Role       vocab.Role
	Of         string            // guarantor or party id, for liaison roles
	PublicKey  ed25519.PublicKey // nil for principals that never sign
	KeyID      string            // observation.KeyID(PublicKey), "" without a key
	TokenHash  []byte            // SHA-256 of the bearer token; nil for key-only principals
	ValidFrom  time.Time
	ValidUntil time.Time  // zero = no end
	RevokedAt  *time.Time // set by a revocation event
	Source     string     // "agreement" or "api"
	CreatedAt  time.Time
}

// ValidAt reports whether the principal may act at t.
func (p Principal) ValidAt(t time.Time) bool {
	if t.Before(p.ValidFrom) || (!p.ValidUntil.IsZero() && !t.Before(p.ValidUntil)) {
		return false
	}
	return p.RevokedAt == nil || t.Before(*p.RevokedAt)
}

// Leaf is what a record brings to the ledger: its entry and the salts that
// let auditors (Salt) and the public (PublicSalt) recompute its digests.
// Entry.RecordID must be unique across the whole ledger: it is how a record
// finds its leaf (LeafByRecord).
type Leaf struct {
	Entry      ledger.Entry
	Salt       []byte
	PublicSalt []byte
}

// InsertResult tells, per submitted observation, what the store did.
type InsertResult struct {
	Record  observation.Record
	Existed bool // an identical observation with this id was already stored
}

// GenericRecord is any record kind that needs no columns of its own to be
// queried (agreement versions, key events, decisions, cases, actions,
// reports): its canonical JSON body, stored with its ledger leaf. Later
// record kinds use it without new ledger plumbing.
type GenericRecord struct {
	Type  string    // a ledger.Type* constant; also the leaf's entry type
	ID    string    // unique across all records; the leaf's entry record id
	Time  time.Time // the record's own time (decided at, reported at, …)
	Body  []byte    // canonical JSON (RFC 8785)
	Leaf  Leaf
	Index int64 // ledger leaf index; set when read, ignored on append
}

// AppendResult tells, per appended generic record, what the store did.
type AppendResult struct {
	Index   int64 // the record's ledger leaf index
	Existed bool  // a record with this id and an identical body was already stored
}

// ObservationFilter selects observations; zero fields do not filter.
type ObservationFilter struct {
	From, To time.Time   // observed_at in [From, To)
	BBox     *[4]float64 // min lon, min lat, max lon, max lat, on any of the positions
	Category vocab.Category
	Reporter string // key id
	After    int64  // cursor: Seq of the last record of the previous page
	Limit    int    // at most this many; 0 means DefaultLimit, capped at MaxLimit
}

// Page sizes for Observations and Records.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Evidence is the metadata of an uploaded file; the bytes live in a
// content-addressed folder the server manages.
type Evidence struct {
	SHA256     string // lowercase hex
	Size       int64
	MediaType  string
	UploadedBy string // principal id
	UploadedAt time.Time
}

// Store is the persistence interface. Methods return *pactwatch.Error with
// ENOTFOUND, ECONFLICT or EINVALID where the caller can act on it, and
// EINTERNAL (wrapping the cause) otherwise.
type Store interface {
	// Principals. PutPrincipal stores a new principal with its leaf; putting
	// an identical principal again (ignoring CreatedAt) changes nothing and
	// appends no leaf, so agreement keys can be synced on every start; a
	// different principal under a stored id, or a token hash already used,
	// is ECONFLICT. RevokePrincipal sets RevokedAt (ENOTFOUND for an unknown
	// id, ECONFLICT when already revoked).
	PutPrincipal(ctx context.Context, p Principal, leaf Leaf) error
	RevokePrincipal(ctx context.Context, id string, at time.Time, leaf Leaf) error
	Principal(ctx context.Context, id string) (Principal, error)
	PrincipalByTokenHash(ctx context.Context, hash []byte) (Principal, error)
	PrincipalsByKeyID(ctx context.Context, keyID string) ([]Principal, error)
	Principals(ctx context.Context) ([]Principal, error)

	// Observations. InsertObservations stores each record with its leaf
	// (leaves[i].Entry.RecordID must be recs[i].ID) atomically and sets
	// Record.Seq; an id already stored with identical signed bytes returns
	// the stored record with Existed set (and appends no leaf); a different
	// body under the same id is ECONFLICT for the whole call, and nothing of
	// the call is stored. Seq orders observations by acceptance: it is the
	// ledger index of the observation's leaf plus one.
	InsertObservations(ctx context.Context, recs []observation.Record, leaves []Leaf) ([]InsertResult, error)
	Observation(ctx context.Context, id string) (observation.Record, error)
	Observations(ctx context.Context, f ObservationFilter) ([]observation.Record, error)

	// Evidence metadata. PutEvidence appends a leaf only for a new hash.
	PutEvidence(ctx context.Context, ev Evidence, leaf Leaf) (existed bool, err error)
	Evidence(ctx context.Context, sha256Hex string) (Evidence, error)

	// Generic records, same idempotency rules as observations: all of the
	// call or nothing.
	AppendRecords(ctx context.Context, recs []GenericRecord) ([]AppendResult, error)
	Record(ctx context.Context, id string) (GenericRecord, error)
	// Records lists records of one type ("" for all) from leaf index from
	// on, in ledger order; the next page starts at the last Index + 1.
	Records(ctx context.Context, typ string, from int64, limit int) ([]GenericRecord, error)

	// Ledger reads, for the ledger package's Source.
	TreeSize(ctx context.Context) (int64, error)
	ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) // tlog stored-hash indexes
	Entries(ctx context.Context, from, to int64) ([][]byte, error)       // entry bytes for leaf indexes [from, to)
	LeafByRecord(ctx context.Context, recordID string) (index int64, leaf Leaf, err error)

	// Checkpoints. PutCheckpoint stores the signed note for a tree size
	// (replacing an earlier note of the same size, e.g. one with fewer
	// cosignatures); a size beyond the tree is EINVALID. LatestCheckpoint
	// returns the one with the largest size, ENOTFOUND before the first.
	PutCheckpoint(ctx context.Context, size int64, note []byte) error
	LatestCheckpoint(ctx context.Context) (size int64, note []byte, err error)

	// TryLeader takes the named leadership lock (one checkpoint signer per
	// database) without waiting. ok is false when another holder has it.
	// On PostgreSQL it is a session advisory lock on a dedicated connection,
	// lost if that connection drops; on SQLite one process owns the database
	// and the lock is held per Store. release is idempotent; Close releases
	// what is still held. ctx bounds only the attempt. A holder that must
	// stop acting once the lock is lost uses TryLead.
	TryLeader(ctx context.Context, name string) (release func(), ok bool, err error)

	// TryLead is TryLeader for a holder that must learn when its
	// leadership ends: lead, derived from ctx, is cancelled when it does —
	// release called, ctx ended, the store closed, or (PostgreSQL) the
	// lock's connection failing the liveness check run every
	// Options.LeaderCheck, after which another server may hold the lock.
	// Check lead before each act of the leader (a checkpoint signature)
	// and run the work under it; the lock is released when lead ends.
	// release returns once the lock is given up.
	TryLead(ctx context.Context, name string) (lead context.Context, release func(), ok bool, err error)

	// Notifications: the webhook outbox, subscriptions and allow-list
	// (store/notify.go).
	Notifications

	Close() error
}
