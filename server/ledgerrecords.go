package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
)

// LedgerRecord is what an auditor gets for one ledger index: the entry,
// the record's canonical bytes rebuilt from the database (recordform, as
// the offline audit rebuilds them) and the salts of its digests, so that
// `pactwatch verify --server URL --token T --records` checks every record
// against the public log without database access. NotServed explains a
// record kind the server does not rebuild (then Canonical and Salt are
// empty); the auditor counts it as not checked.
type LedgerRecord struct {
	Index      int64  `json:"index"`
	Entry      []byte `json:"entry"`
	Type       string `json:"type"`
	RecordID   string `json:"record_id"`
	Canonical  []byte `json:"canonical,omitempty"`
	Salt       []byte `json:"salt,omitempty"`
	PublicSalt []byte `json:"public_salt,omitempty"`
	NotServed  string `json:"not_served,omitempty"`
}

// handleGetLedgerRecord answers GET /api/v1/ledger/records/{index} for
// auditors. A record whose row contradicts its entry is answered 400 and
// a deleted one 404, the codes the auditor reports per entry.
func (s *Server) handleGetLedgerRecord(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	idx, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || idx < 0 {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "index", "want a ledger index, a non-negative integer"))
		return
	}
	size, err := s.store.TreeSize(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if idx >= size {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "index", "the ledger has %d entries", size))
		return
	}
	data, err := s.store.Entries(ctx, idx, idx+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(data) != 1 {
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EINTERNAL, "no stored entry at index %d", idx))
		return
	}
	e, err := ledger.ParseEntry(data[0])
	if err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	out := LedgerRecord{Index: idx, Entry: data[0], Type: e.Type, RecordID: e.RecordID}
	// Evidence rows are found by their leaf index, which the store
	// interface does not look up; the offline audit checks them.
	f := recordform.Fetcher{Store: s.store}
	canonical, salt, err := f.Record(ctx, idx, e)
	switch {
	case errors.Is(err, ledger.ErrRecordNotChecked):
		out.NotServed = "the server does not rebuild " + e.Type + " records; audit them offline (verify --data/--db --records)"
	case err != nil:
		s.writeError(w, r, err)
		return
	default:
		out.Canonical, out.Salt = canonical, salt
		if _, leaf, err := s.store.LeafByRecord(ctx, e.RecordID); err == nil {
			out.PublicSalt = leaf.PublicSalt
		}
	}
	writeJSON(w, http.StatusOK, out)
}
