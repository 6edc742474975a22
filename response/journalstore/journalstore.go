// Package journalstore keeps response transitions in a pactwatch store: a
// response.Journal over store.Store's generic records (ledger type
// "action", record id = transition id, body = canonical bytes), each
// appended with its ledger leaf.
//
// It is the bridge the server uses until the store writes the outbox in the
// same transaction (then Append also enqueues each transition's
// notifications); the scheduler's safety does not depend on it: record ids
// are unique in the ledger, so a transition computed by two servers is
// stored once.
package journalstore

import (
	"context"
	"crypto/rand"
	"io"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
)

// LeaderLock is the TryLeader name of the response scheduler.
const LeaderLock = "response-scheduler"

// Journal implements response.Journal over a store.
type Journal struct {
	Store store.Store
	// Rand is the salts' source (nil: crypto/rand). Every record gets its
	// own 32-byte salt so its digest reveals nothing.
	Rand io.Reader
}

var _ response.Journal = (*Journal)(nil)

// Append implements response.Journal: one AppendRecords call, so one
// transaction; transitions already stored with the same bytes are skipped
// by the store.
func (j *Journal) Append(ctx context.Context, ts []response.Transition) error {
	recs := make([]store.GenericRecord, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		body, err := t.Canonical()
		if err != nil {
			return err
		}
		salt := make([]byte, 32)
		r := j.Rand
		if r == nil {
			r = rand.Reader
		}
		if _, err := io.ReadFull(r, salt); err != nil {
			return pactwatch.Internal(err)
		}
		e, err := t.LedgerEntry(salt)
		if err != nil {
			return err
		}
		recs = append(recs, store.GenericRecord{Type: ledger.TypeAction, ID: t.ID, Time: t.At, Body: body,
			Leaf: store.Leaf{Entry: e, Salt: salt}})
	}
	_, err := j.Store.AppendRecords(ctx, recs)
	return err
}

// page is how many records Since reads per query.
const page = 1000

// Since implements response.Journal: the cursor is the next ledger index.
func (j *Journal) Since(ctx context.Context, cursor int64) ([]response.Transition, int64, error) {
	var out []response.Transition
	for {
		recs, err := j.Store.Records(ctx, ledger.TypeAction, cursor, page)
		if err != nil {
			return nil, 0, err
		}
		for _, r := range recs {
			t, err := response.ParseTransition(r.Body)
			if err != nil {
				return nil, 0, pactwatch.Internal(err)
			}
			out = append(out, t)
			cursor = r.Index + 1
		}
		if len(recs) < page {
			return out, cursor, nil
		}
	}
}
