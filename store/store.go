// Package store defines how pactwatch persists its records. Two
// implementations, store/sqlite (the embedded default) and store/postgres,
// pass the same test-suite (store/storetest). Every record is written in the
// same transaction as its ledger entry and the entry's stored Merkle hashes:
// no record without its entry, no entry without its record.
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

// ObservationFilter selects observations; zero fields do not filter.
type ObservationFilter struct {
	From, To time.Time   // observed_at in [From, To)
	BBox     *[4]float64 // min lon, min lat, max lon, max lat, on any of the positions
	Category vocab.Category
	Reporter string // key id
	After    int64  // cursor: Seq of the last record of the previous page
	Limit    int
}

// Store is the persistence interface. Methods return *pactwatch.Error with
// ENOTFOUND or ECONFLICT where the caller can act on it.
type Store interface {
	// Principals.
	PutPrincipal(ctx context.Context, p Principal, leaf Leaf) error
	RevokePrincipal(ctx context.Context, id string, at time.Time, leaf Leaf) error
	Principal(ctx context.Context, id string) (Principal, error)
	PrincipalByTokenHash(ctx context.Context, hash []byte) (Principal, error)
	PrincipalsByKeyID(ctx context.Context, keyID string) ([]Principal, error)
	Principals(ctx context.Context) ([]Principal, error)

	// Observations. InsertObservations stores each record with its leaf
	// atomically; an id already stored with identical signed bytes returns
	// the stored record with Existed set, a different body under the same id
	// is ECONFLICT for the whole call.
	InsertObservations(ctx context.Context, recs []observation.Record, leaves []Leaf) ([]InsertResult, error)
	Observation(ctx context.Context, id string) (observation.Record, error)
	Observations(ctx context.Context, f ObservationFilter) ([]observation.Record, error)

	// Evidence metadata (the bytes live in a content-addressed folder).
	PutEvidence(ctx context.Context, sha256Hex string, size int64, mediaType string, by string, at time.Time, leaf Leaf) (existed bool, err error)
	Evidence(ctx context.Context, sha256Hex string) (size int64, mediaType string, err error)

	// Ledger reads.
	TreeSize(ctx context.Context) (int64, error)
	ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) // tlog stored-hash indexes
	Entries(ctx context.Context, from, to int64) ([][]byte, error)       // entry bytes for leaf indexes [from, to)
	LeafByRecord(ctx context.Context, recordID string) (index int64, leaf Leaf, err error)

	Close() error
}
