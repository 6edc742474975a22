package witness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// Witness cosigns checkpoints of the logs it knows. Create it with New.
type Witness struct {
	signer    note.Signer
	logs      map[string]note.Verifier // by origin
	statePath string
	log       *slog.Logger

	mu    sync.Mutex // makes check-then-persist atomic, as the spec requires
	state map[string]LogState
}

// Config configures a witness.
type Config struct {
	Signer note.Signer // usually a *Cosigner
	// Logs are the log keys the witness trusts; each key's name is its
	// log's checkpoint origin.
	Logs []note.Verifier
	// StatePath is the JSON file holding the last cosigned checkpoint per
	// log; "" keeps state in memory only (tests).
	StatePath string
	Logger    *slog.Logger
}

// New loads the witness's state.
func New(cfg Config) (*Witness, error) {
	if cfg.Signer == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "a witness needs a signing key")
	}
	w := &Witness{signer: cfg.Signer, logs: map[string]note.Verifier{}, statePath: cfg.StatePath, log: cfg.Logger, state: map[string]LogState{}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, v := range cfg.Logs {
		if _, dup := w.logs[v.Name()]; dup {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "log", "two keys for the log %q", v.Name())
		}
		w.logs[v.Name()] = v
	}
	if cfg.StatePath != "" {
		st, err := loadState(cfg.StatePath)
		if err != nil {
			return nil, pactwatch.Internal(err)
		}
		w.state = st
	}
	return w, nil
}

// State returns the last checkpoint cosigned for origin.
func (w *Witness) State(origin string) (LogState, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.state[origin]
	return s, ok
}

// SizeConflictError is the cause of a 409 answer on a wrong old size: the
// size of the last checkpoint the witness cosigned.
type SizeConflictError struct{ Known int64 }

// KnownSize implements ledger.SizeReporter.
func (e *SizeConflictError) KnownSize() int64 { return e.Known }

func (e *SizeConflictError) Error() string {
	return fmt.Sprintf("the witness last cosigned a tree of size %d", e.Known)
}

// AddCheckpoint runs the checks of c2sp.org/tlog-witness on an
// add-checkpoint body, in the spec's order, and returns the cosignature
// lines. Errors are *pactwatch.Error: ENOTFOUND for an unknown origin,
// EFORBIDDEN for a missing or bad log signature, EINVALID for a malformed
// request (Field "request"/"checkpoint"/"old") or a proof that does not
// verify (Field "proof"), ECONFLICT for a wrong old size (wrapping
// *SizeConflictError) or for a different root at the same size (a fork).
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	req, err := ParseRequest(body)
	if err != nil {
		return nil, err
	}
	origin, _, _ := strings.Cut(string(req.Checkpoint), "\n")
	v, ok := w.logs[origin]
	if !ok {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "origin", "unknown log %q", truncate(origin, 100))
	}
	cp, _, err := ledger.OpenCheckpoint(req.Checkpoint, v)
	if err != nil {
		return nil, err
	}
	if req.OldSize > cp.Size {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "old", "old size %d is over the checkpoint's size %d", req.OldSize, cp.Size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.state[origin]
	if req.OldSize != prev.Size {
		return nil, &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "old", Message: fmt.Sprintf("old size %d is not the size %d of the last cosigned checkpoint", req.OldSize, prev.Size), Err: &SizeConflictError{Known: prev.Size}}
	}
	switch {
	case req.OldSize == 0:
		if len(req.Proof) != 0 {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "proof", "the proof from size 0 must be empty")
		}
	case req.OldSize == cp.Size:
		if cp.Hash != prev.Hash {
			w.log.Warn("fork: same size, different root", "origin", origin, "size", cp.Size, "checkpoint", string(req.Checkpoint))
			return nil, pactwatch.FieldErrorf(pactwatch.ECONFLICT, "checkpoint", "a different root hash for tree size %d than the one cosigned: the log forked", cp.Size)
		}
		if len(req.Proof) != 0 {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "proof", "the proof between equal sizes must be empty")
		}
	default:
		if err := ledger.CheckConsistency(req.Proof, prev.Size, prev.Hash, cp.Size, cp.Hash); err != nil {
			// Kept in the log: a signed checkpoint without a valid
			// proof may be evidence of a fork.
			w.log.Warn("consistency proof does not verify", "origin", origin, "old", prev.Size, "new", cp.Size, "checkpoint", string(req.Checkpoint))
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "proof", "the consistency proof from size %d to %d does not verify", prev.Size, cp.Size)
		}
	}

	text := string(cp.Marshal())
	next := LogState{Size: cp.Size, Hash: cp.Hash, Checkpoint: text}
	if next != prev {
		old := w.state[origin]
		w.state[origin] = next
		if w.statePath != "" {
			if err := saveState(w.statePath, w.state); err != nil {
				w.state[origin] = old
				return nil, pactwatch.Internal(err)
			}
		}
	}
	signed, err := note.Sign(&note.Note{Text: text}, w.signer)
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	return signed[len(text)+1:], nil
}

// Handler serves POST /add-checkpoint, answering with the spec's statuses.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
		if err != nil {
			http.Error(rw, "reading the request", http.StatusBadRequest)
			return
		}
		sigs, err := w.AddCheckpoint(r.Context(), body)
		if err != nil {
			writeError(rw, err, w.log)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
	})
	return mux
}

// StatusOf is the HTTP status c2sp.org/tlog-witness gives an AddCheckpoint
// error.
func StatusOf(err error) int {
	var pe *pactwatch.Error
	errors.As(err, &pe)
	switch pactwatch.ErrorCode(err) {
	case pactwatch.ENOTFOUND:
		return http.StatusNotFound
	case pactwatch.EFORBIDDEN:
		return http.StatusForbidden
	case pactwatch.ECONFLICT:
		return http.StatusConflict
	case pactwatch.EINVALID:
		if pe != nil && pe.Field == "proof" {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func writeError(rw http.ResponseWriter, err error, log *slog.Logger) {
	status := StatusOf(err)
	var sc *SizeConflictError
	if errors.As(err, &sc) {
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(status)
		rw.Write(sizeBody(sc.Known))
		return
	}
	if status == http.StatusInternalServerError {
		log.Error("add-checkpoint", "err", err)
	}
	http.Error(rw, pactwatch.ErrorMessage(err), status)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
