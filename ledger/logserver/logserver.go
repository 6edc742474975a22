// Package logserver serves pactwatch's ledger over HTTP: the C2SP
// tlog-tiles read API (c2sp.org/tlog-tiles) under /log/, and JSON proof and
// entry endpoints under /api/v1/ledger/. It only reads; the Checkpointer
// publishes the checkpoints it serves. Mount it with
// logserver.New(store).Register(mux).
package logserver

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/store"
)

// Store is what the handlers read; store.Store satisfies it.
type Store interface {
	ledger.Source
	ledger.CheckpointStore
	LeafByRecord(ctx context.Context, recordID string) (index int64, leaf store.Leaf, err error)
}

// Cache-Control values. Full tiles and bundles never change, so any HTTP
// cache or static host may keep them forever; the checkpoint changes with
// every publication; partial tiles are kept briefly because a log may drop
// them once the full tile exists.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cachePartial    = "public, max-age=10"
	cacheCheckpoint = "no-cache"
)

// Server holds the handlers.
type Server struct {
	st Store
	// Error writes an error response. The default writes pactwatch's JSON
	// error body ({"error":{"code","field","message"}}); the API server
	// sets its own so every endpoint answers alike.
	Error func(w http.ResponseWriter, r *http.Request, err error)
}

// New returns the handlers over st.
func New(st Store) *Server { return &Server{st: st, Error: writeError} }

// Register mounts the routes on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /log/checkpoint", public(s.checkpoint))
	mux.HandleFunc("GET /log/tile/{path...}", public(s.tile))
	mux.HandleFunc("GET /api/v1/ledger/proof/inclusion", public(s.inclusion))
	mux.HandleFunc("GET /api/v1/ledger/proof/consistency", public(s.consistency))
	mux.HandleFunc("GET /api/v1/ledger/entries/{id}", public(s.entry))
}

// public lets any web page read the ledger (a verifier running in a
// journalist's browser, say): it is public, read-only and credential-free.
func public(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	_, msg, err := s.st.LatestCheckpoint(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", cacheCheckpoint)
	w.Write(msg)
}

// tile serves tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] for tiles
// within the latest published checkpoint: what is served is what has been
// signed.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := ledger.ParseTilePath("tile/" + r.PathValue("path"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	size, _, err := ledger.LatestCheckpoint(ctx, s.st)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !t.Exists(size) {
		s.Error(w, r, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "path", "%s is not in the published tree of size %d", t.Path(), size))
		return
	}
	var data []byte
	if t.Entries {
		data, err = ledger.ReadBundle(ctx, s.st, t)
	} else {
		data, err = ledger.ReadTile(ctx, s.st, t)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if t.Width == ledger.TileWidth {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cachePartial)
	}
	if t.Entries {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(data)
			zw.Close()
			return
		}
	}
	w.Write(data)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// Proof is the JSON of a proof: its hashes in base64 (tlog.Hash's JSON).
type Proof struct {
	Index  *int64        `json:"index,omitempty"`
	Size   *int64        `json:"size,omitempty"`
	Old    *int64        `json:"old,omitempty"`
	New    *int64        `json:"new,omitempty"`
	Hashes []ledger.Hash `json:"hashes"`
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request) {
	index, err := queryInt(r, "index")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	size, err := queryInt(r, "size")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := ledger.InclusionProof(r.Context(), s.st, index, size)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", cacheImmutable) // a proof between fixed sizes never changes
	writeJSON(w, http.StatusOK, Proof{Index: &index, Size: &size, Hashes: p})
}

func (s *Server) consistency(w http.ResponseWriter, r *http.Request) {
	old, err := queryInt(r, "old")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	nw, err := queryInt(r, "new")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := ledger.ConsistencyProof(r.Context(), s.st, old, nw)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", cacheImmutable)
	writeJSON(w, http.StatusOK, Proof{Old: &old, New: &nw, Hashes: p})
}

// EntryJSON is a record's ledger entry, decoded, with the proof of its
// inclusion in the latest checkpoint (when that covers it) so one answer
// is enough to check it. It carries neither salt: the public salt comes
// with the public projection, the record's salt only to auditors.
type EntryJSON struct {
	RecordID     string        `json:"record_id"`
	Index        int64         `json:"index"`
	Entry        []byte        `json:"entry"` // the leaf's bytes, base64
	Type         string        `json:"type"`
	Time         time.Time     `json:"time"`
	Digest       ledger.Hash   `json:"digest"`
	PublicDigest *ledger.Hash  `json:"public_digest,omitempty"`
	Checkpoint   string        `json:"checkpoint,omitempty"` // the signed note the proof is against
	TreeSize     int64         `json:"tree_size,omitempty"`
	Inclusion    []ledger.Hash `json:"inclusion,omitempty"`
}

func (s *Server) entry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	index, _, err := s.st.LeafByRecord(ctx, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	raw, err := s.st.Entries(ctx, index, index+1)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(raw) != 1 {
		s.Error(w, r, pactwatch.Internal(errors.New("logserver: store returned no entry for a leaf it indexes")))
		return
	}
	e, err := ledger.ParseEntry(raw[0])
	if err != nil {
		s.Error(w, r, pactwatch.Internal(err))
		return
	}
	out := EntryJSON{RecordID: e.RecordID, Index: index, Entry: raw[0], Type: e.Type, Time: e.Time, Digest: e.Digest}
	if e.PublicDigest != (ledger.Hash{}) {
		pd := ledger.Hash(e.PublicDigest)
		out.PublicDigest = &pd
	}
	size, msg, err := ledger.LatestCheckpoint(ctx, s.st)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if index < size {
		p, err := ledger.InclusionProof(ctx, s.st, index, size)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		out.Checkpoint, out.TreeSize, out.Inclusion = string(msg), size, p
	}
	w.Header().Set("Cache-Control", cacheCheckpoint)
	writeJSON(w, http.StatusOK, out)
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "required")
	}
	n, err := ledger.ParseSize(v)
	if err != nil {
		return 0, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "%v", err)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError is the default Error: pactwatch's JSON error body, internal
// causes hidden.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := pactwatch.ErrorCode(err)
	body := map[string]any{"code": code, "message": pactwatch.ErrorMessage(err)}
	var pe *pactwatch.Error
	if errors.As(err, &pe) && pe.Field != "" && code != pactwatch.EINTERNAL {
		body["field"] = pe.Field
		body["message"] = pe.Message
	}
	status := http.StatusInternalServerError
	switch code {
	case pactwatch.EINVALID:
		status = http.StatusBadRequest
	case pactwatch.ENOTFOUND:
		status = http.StatusNotFound
	case pactwatch.ETOOLARGE:
		status = http.StatusRequestEntityTooLarge
	case pactwatch.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"error": body})
}
