package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/store"
)

// evidencePath is where the bytes of a hash live: a two-level fan-out
// (ab/abcdef…) keeps folders small.
func (s *Server) evidencePath(sum string) string {
	return filepath.Join(s.evDir, sum[:2], sum)
}

// handlePostEvidence streams the body to a temporary file while hashing
// it, syncs it, renames it to its SHA-256 path (identical uploads share
// one file) and records its metadata with a ledger leaf. The file is
// durable before the metadata commits, so an acknowledged hash always has
// its bytes.
func (s *Server) handlePostEvidence(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	mediaType := "application/octet-stream"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "Content-Type", "malformed media type"))
			return
		}
		mediaType = mt
	}
	tmp, err := os.CreateTemp(filepath.Join(s.evDir, "tmp"), "upload-*")
	if err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, s.cfg.MaxEvidence))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		s.writeError(w, r, pactwatch.Errorf(pactwatch.ETOOLARGE, "evidence file over %d bytes", s.cfg.MaxEvidence))
		return
	case err != nil:
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EINVALID, "reading the upload: %v", err))
		return
	case n == 0:
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EINVALID, "empty evidence file"))
		return
	}
	if err := tmp.Sync(); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	if err := tmp.Close(); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := s.evidencePath(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	now := s.now().UTC()
	ev := store.Evidence{SHA256: sum, Size: n, MediaType: mediaType, UploadedBy: p.ID, UploadedAt: now}
	canonical, err := recordform.Evidence(ev)
	if err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	// The evidence record is not public (a file can identify its
	// uploader); its entry carries no public digest.
	// The entry's record id is random, not derived from the hash: ledger
	// entries are public, and an id of "evidence:<sha256>" would let
	// anyone holding a candidate file learn that the mission has it.
	existed, err := s.store.PutEvidence(r.Context(), ev, NewLeaf(ledger.TypeEvidence, "evidence:"+uuid.NewString(), now, canonical, nil))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !existed {
		s.metrics.evidenceStored()
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, client.EvidenceResponse{SHA256: sum, Size: n, MediaType: mediaType, Existed: existed})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// handleGetEvidence serves a file so that it can never run in the API's
// origin: nosniff, a sandboxing CSP, and an attachment disposition for
// anything a browser could render actively.
func (s *Server) handleGetEvidence(w http.ResponseWriter, r *http.Request) {
	sum := r.PathValue("sha256")
	if !isHex64(sum) {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "sha256", "want 64 lowercase hex digits"))
		return
	}
	ev, err := s.store.Evidence(r.Context(), sum)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := os.Open(s.evidencePath(sum))
	if err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	defer f.Close()
	var head [512]byte
	k, _ := io.ReadFull(f, head[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, pactwatch.Internal(err))
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+sum+`"`)
	if Active(ev.MediaType, head[:k]) {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="`+sum+`"`)
	} else {
		h.Set("Content-Type", servedType(ev.MediaType))
		h.Set("Content-Disposition", "inline")
	}
	h.Set("Content-Length", strconv.FormatInt(ev.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, f)
	}
}

// passive lists media types browsers only display; everything else is
// served as an attachment.
var passive = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"video/mp4": true, "video/webm": true, "audio/mpeg": true, "audio/ogg": true, "audio/wav": true,
	"text/plain": true, "application/octet-stream": true,
}

// Active reports whether a browser could execute or actively render a
// file (HTML, SVG, XML, scripts, PDF, …), judged by its declared type and
// by its first bytes: a file declared image/png whose bytes sniff as HTML
// or contain SVG markup is active.
func Active(declared string, head []byte) bool {
	if !passive[declared] {
		return true
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	if !passive[sniffed] {
		return true
	}
	lower := bytes.ToLower(head)
	for _, m := range markup {
		if bytes.Contains(lower, m) {
			return true
		}
	}
	return false
}

// markup are byte strings that make a browser that sniffs treat a file as
// a document.
var markup = [][]byte{[]byte("<svg"), []byte("<script"), []byte("<html"), []byte("<?xml"), []byte("<!doctype"), []byte("<body"), []byte("<iframe")}

// servedType is the Content-Type the file goes out with: passive types as
// declared, everything else as opaque bytes.
func servedType(declared string) string {
	if passive[declared] {
		if declared == "text/plain" {
			return "text/plain; charset=utf-8"
		}
		return declared
	}
	return "application/octet-stream"
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
