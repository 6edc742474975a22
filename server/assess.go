package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/assess"
)

// maxAssessBody bounds POST /api/v1/assess: the analyser's own limit on
// the text (assess.MaxInput) plus room for JSON escapes and the other
// member. A text whose escapes push the body past it is refused as too
// large, like a text past assess.MaxInput.
const maxAssessBody = assess.MaxInput + 64<<10

// assessRoutes are the clause analyser's endpoints. The analyser reads
// only the text it is sent and stores nothing, so it is open to everyone
// (anonymous callers draw from their address's rate-limit bucket, like
// every public route): negotiators and journalists use it without an
// account.
func (s *Server) assessRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/assess", everyone, s.handleAssess},
	}
}

// assessRequest is the body of POST /api/v1/assess.
type assessRequest struct {
	Text string `json:"text"`
	Lang string `json:"lang"` // "", "en", "uk" or "ru"
}

// handleAssess answers POST /api/v1/assess with exactly what
// `pactwatch assess --json` prints: {"clauses":[{"text","label","score","dimensions","spans"}]}.
func (s *Server) handleAssess(w http.ResponseWriter, r *http.Request) {
	req, err := readAssessRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := assess.Analyse(req.Text, assess.Options{Lang: req.Lang})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// readAssessRequest decodes and checks the request, naming the member at
// fault in each error.
func readAssessRequest(w http.ResponseWriter, r *http.Request) (assessRequest, error) {
	var req assessRequest
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "Content-Type", "send the text as application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAssessBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return req, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, "text", "the request is larger than %d bytes; the analyser takes texts up to %d bytes", maxAssessBody, assess.MaxInput)
		}
		if errors.Is(err, io.EOF) {
			return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "body", `send {"text": "…", "lang": "en|uk|ru"}`)
		}
		return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "body", "not a JSON object of text and lang: %v", err)
	}
	if dec.More() {
		return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "body", "one JSON object only")
	}
	if req.Lang != "" && !slices.Contains(assess.Languages, req.Lang) {
		return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "lang", "lang is %q; use one of en, uk, ru, or leave it out to detect the language", req.Lang)
	}
	if strings.TrimSpace(req.Text) == "" {
		return req, pactwatch.FieldErrorf(pactwatch.EINVALID, "text", "text is empty")
	}
	if len(req.Text) > assess.MaxInput {
		return req, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, "text", "text is %d bytes; the analyser takes up to %d", len(req.Text), assess.MaxInput)
	}
	return req, nil
}
