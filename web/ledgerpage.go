package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// LedgerData is the part of store.Store the ledger and overview pages read.
type LedgerData interface {
	// LatestCheckpoint returns the latest signed checkpoint note;
	// ENOTFOUND before the first.
	LatestCheckpoint(ctx context.Context) (size int64, note []byte, err error)
}

// Witness is a checkpoint cosigner the agreement names.
type Witness struct {
	Name string // its key name, as it signs
	URL  string
}

// checkpointView is the latest checkpoint as the pages show it.
type checkpointView struct {
	Origin    string
	Size      int64
	Root      string // base64 root hash
	Signers   []string
	Witnesses []witnessView
	Quorum    int
	Cosigned  int // witnesses of the agreement that signed it
	Note      string
}

type witnessView struct {
	Name, URL string
	Signed    bool
}

// latestCheckpoint reads and parses the latest checkpoint; nil before the
// first one (or when the pages have no ledger).
func (h *Handler) latestCheckpoint(ctx context.Context) (*checkpointView, error) {
	if h.opts.Ledger == nil {
		return nil, nil
	}
	_, msg, err := h.opts.Ledger.LatestCheckpoint(ctx)
	if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	body, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return nil, pactwatch.Errorf(pactwatch.EINTERNAL, "checkpoint note without signatures")
	}
	cp, err := ledger.ParseCheckpoint(append(body, '\n'))
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	v := &checkpointView{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash.String(), Quorum: h.opts.WitnessQuorum, Note: string(msg)}
	// Signature lines are "— <key name> <base64>" (c2sp.org/signed-note).
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		if name, _, ok := strings.Cut(strings.TrimPrefix(line, "— "), " "); ok && strings.HasPrefix(line, "— ") {
			v.Signers = append(v.Signers, name)
		}
	}
	for _, w := range h.opts.Witnesses {
		signed := false
		for _, s := range v.Signers {
			signed = signed || s == w.Name
		}
		if signed {
			v.Cosigned++
		}
		v.Witnesses = append(v.Witnesses, witnessView{w.Name, w.URL, signed})
	}
	return v, nil
}

// ledgerPage is the data of templates/ledger.html.
type ledgerPage struct {
	Checkpoint *checkpointView
	ServerURL  string
	Witnesses  []Witness
	Quorum     int
}

// ledgerGet serves GET /ledger: the latest checkpoint, its witnesses and how
// to verify the ledger independently.
func (h *Handler) ledgerGet(w http.ResponseWriter, r *http.Request) {
	cp, err := h.latestCheckpoint(r.Context())
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v := h.newView(w, r, ledgerPage{Checkpoint: cp, ServerURL: scheme + "://" + r.Host, Witnesses: h.opts.Witnesses, Quorum: h.opts.WitnessQuorum})
	h.render(w, r, http.StatusOK, "ledger", v)
}
