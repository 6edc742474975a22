package recordform

import (
	"context"
	"crypto/ed25519"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
)

// Fetcher is a ledger.RecordFetcher over a store: it rebuilds the record
// behind an entry from the rows as they are now, so a row altered or
// deleted behind its entry's back no longer matches the entry's salted
// digest. The offline audit (`pactwatch verify --records`) and the
// server's auditor endpoint both use it, so they rebuild the same bytes.
// A Fetcher is not safe for concurrent use.
type Fetcher struct {
	Store store.Store
	// Evidence finds the evidence row whose ledger leaf is at index (an
	// evidence record id is random, so only the index ties them); nil
	// reports evidence records as not checked.
	Evidence func(ctx context.Context, index int64) (store.Evidence, error)
	// VerifySignatures also verifies each observation's monitor signature
	// under the key of the principal that submitted it (itself checked
	// against its key event).
	VerifySignatures bool

	keys map[string]ed25519.PublicKey // principal id → key, read once
}

// Record implements ledger.RecordFetcher. A record that contradicts its
// entry is EINVALID, a missing one ENOTFOUND.
func (f *Fetcher) Record(ctx context.Context, index int64, e ledger.Entry) ([]byte, []byte, error) {
	if e.Type == ledger.TypeEvidence && f.Evidence == nil {
		return nil, nil, ledger.ErrRecordNotChecked
	}
	_, leaf, err := f.Store.LeafByRecord(ctx, e.RecordID)
	if err != nil {
		return nil, nil, err
	}
	var canonical []byte
	switch e.Type {
	case ledger.TypeObservation:
		rec, err := f.Store.Observation(ctx, e.RecordID)
		if err != nil {
			return nil, nil, err
		}
		if canonical, err = observation.CanonicalRecord(rec); err != nil {
			return nil, nil, err
		}
		if f.VerifySignatures {
			if err := f.verifySignature(ctx, rec); err != nil {
				return nil, nil, err
			}
		}
	case ledger.TypeKey:
		if canonical, err = f.keyEvent(ctx, e.RecordID); err != nil {
			return nil, nil, err
		}
	case ledger.TypeEvidence:
		ev, err := f.Evidence(ctx, index)
		if err != nil {
			return nil, nil, err
		}
		if canonical, err = Evidence(ev); err != nil {
			return nil, nil, err
		}
	default:
		g, err := f.Store.Record(ctx, e.RecordID)
		if err != nil {
			return nil, nil, err
		}
		canonical = g.Body
	}
	return canonical, leaf.Salt, nil
}

// verifySignature checks rec's signature under the key of the principal
// that submitted it.
func (f *Fetcher) verifySignature(ctx context.Context, rec observation.Record) error {
	pub, ok := f.keys[rec.PrincipalID]
	if !ok {
		p, err := f.Store.Principal(ctx, rec.PrincipalID)
		if err != nil {
			return pactwatch.Errorf(pactwatch.EINVALID, "submitted by principal %q: %s", rec.PrincipalID, pactwatch.ErrorMessage(err))
		}
		pub = p.PublicKey
		if f.keys == nil {
			f.keys = map[string]ed25519.PublicKey{}
		}
		f.keys[rec.PrincipalID] = pub
	}
	if err := observation.Verify(rec.Observation, pub); err != nil {
		return pactwatch.Errorf(pactwatch.EINVALID, "its monitor signature does not verify under the key of principal %s: %s", rec.PrincipalID, pactwatch.ErrorMessage(err))
	}
	return nil
}

// keyEvent rebuilds a key event from the principal's row: the add event
// from its columns, the revoke event with its revoked_at.
func (f *Fetcher) keyEvent(ctx context.Context, recordID string) ([]byte, error) {
	id, event, ok := ParseKeyEventID(recordID)
	if !ok {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "%q is not a key event id (principal:<id>:add|revoke)", recordID)
	}
	p, err := f.Store.Principal(ctx, id)
	if err != nil {
		return nil, err
	}
	at, ok := KeyEventTime(event, p)
	if !ok {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "the ledger records the revocation of principal %s but its row is not revoked", id)
	}
	canonical, _, err := KeyEvent(event, at, p)
	return canonical, err
}
