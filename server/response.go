package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// recorders may record protocol actions; the engine checks that the step
// is theirs (a guarantor liaison's own guarantor, a party liaison's own
// party, an analyst for the mission).
var recorders = []vocab.Role{vocab.RoleGuarantorLiaison, vocab.RolePartyLiaison, vocab.RoleAnalyst}

// responseRoutes are the response protocol, scorecard and notification
// endpoints (Config.Response, Config.Webhook); without a response service
// they answer 503.
func (s *Server) responseRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/cases/{id}/steps", everyone, s.handleCaseSteps},
		{"POST", "/api/v1/steps/{id}/actions", recorders, s.handleRecordAction},
		{"GET", "/api/v1/scorecard", everyone, s.handleScorecard},
		{"POST", "/api/v1/subscriptions", admins, s.handleSubscribe},
		{"GET", "/api/v1/subscriptions", admins, s.handleListSubscriptions},
		{"DELETE", "/api/v1/subscriptions/{id}", admins, s.handleUnsubscribe},
		{"GET", "/api/v1/notify/allowlist", admins, s.handleGetAllowlist},
		{"PUT", "/api/v1/notify/allowlist", admins, s.handlePutAllowlist},
		{"GET", "/api/v1/notify/dead-letters", admins, s.handleDeadLetters},
		{"POST", "/api/v1/notify/dead-letters/{id}/replay", admins, s.handleReplay},
		{"GET", "/api/v1/notify/key", everyone, s.handleWebhookKey},
	}
}

func (s *Server) responseService(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Response == nil {
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "this server runs no response protocols"))
		return false
	}
	return true
}

func (s *Server) handleCaseSteps(w http.ResponseWriter, r *http.Request) {
	if !s.responseService(w, r) {
		return
	}
	runs, err := s.cfg.Response.Runs(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(runs) == 0 {
		// Runs exist only for confirmed cases, which are public.
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no protocol runs for case %q (not confirmed, or unknown)", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, client.Steps{Runs: runs})
}

// splitStepID splits "<run>/<step>/<actor>" into the run and the step key:
// a step key is always "<step>/<actor>".
func splitStepID(id string) (run, key string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) < 4 || slicesHasEmpty(parts) {
		return "", "", pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a step id is <case>/<protocol>/<step>/<actor>, got %q", id)
	}
	n := len(parts)
	return strings.Join(parts[:n-2], "/"), parts[n-2] + "/" + parts[n-1], nil
}

func slicesHasEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}

func (s *Server) handleRecordAction(w http.ResponseWriter, r *http.Request) {
	if !s.responseService(w, r) {
		return
	}
	run, key, err := splitStepID(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.ActionRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	ts, err := s.cfg.Response.Record(r.Context(), response.Recorder{Principal: p.ID, Role: p.Role, Of: p.Of}, run, key,
		response.Action{Kind: vocab.ActionKind(req.Kind), Statement: req.Statement, Reference: req.Reference})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ts == nil {
		ts = []response.Transition{}
	}
	writeJSON(w, http.StatusOK, client.ActionResponse{Transitions: ts})
}

func (s *Server) handleScorecard(w http.ResponseWriter, r *http.Request) {
	if !s.responseService(w, r) {
		return
	}
	q := r.URL.Query()
	asOf := s.now().UTC()
	if v := q.Get("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "as_of", "want an RFC 3339 time"))
			return
		}
		asOf = t.UTC()
	}
	every := agreement.Duration(q.Get("every"))
	if every != "" {
		if _, _, err := every.Parse(); err != nil {
			s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "every", "want a calendar duration such as 7d or 1mo: %v", err))
			return
		}
	}
	sc, err := s.cfg.Response.Scorecard(r.Context(), asOf, every)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// guard is the SSRF guard with the stored allow-list.
func (s *Server) guard(r *http.Request) (*notify.Guard, error) {
	list, err := s.store.Allowlist(r.Context())
	if err != nil {
		return nil, err
	}
	allow, err := notify.ParseAllow(list)
	if err != nil {
		return nil, err
	}
	return &notify.Guard{Allow: allow}, nil
}

func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	var req client.SubscriptionRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		req.ID = "sub-" + hex.EncodeToString(b)
	}
	if strings.ContainsAny(req.ID, "/#") {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a subscription id may not hold / or #"))
		return
	}
	sub := notify.Subscription{ID: req.ID, Actor: req.Actor, URL: req.URL, By: principalOf(r).ID, Created: s.now().UTC()}
	g, err := s.guard(r)
	if err == nil {
		err = sub.Validate(r.Context(), g)
	}
	if err == nil {
		err = s.store.PutSubscription(r.Context(), sub)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sub)
}

func (s *Server) handleListSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs, err := s.store.Subscriptions(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if subs == nil {
		subs = []notify.Subscription{}
	}
	writeJSON(w, http.StatusOK, client.Subscriptions{Subscriptions: subs})
}

func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSubscription(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleGetAllowlist(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Allowlist(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.Allowlist{Allow: list})
}

func (s *Server) handlePutAllowlist(w http.ResponseWriter, r *http.Request) {
	var req client.Allowlist
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Allow == nil {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "allow", "give the whole list (an empty list clears it)"))
		return
	}
	if err := s.store.SetAllowlist(r.Context(), req.Allow); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.store.Allowlist(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.Allowlist{Allow: list})
}

func (s *Server) handleDeadLetters(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "limit", "want 1 to 1000"))
			return
		}
		limit = n
	}
	ms, err := s.store.DeadLetters(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ms == nil {
		ms = []notify.Message{}
	}
	writeJSON(w, http.StatusOK, client.DeadLetters{Messages: ms})
}

func (s *Server) handleReplay(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Replay(r.Context(), r.PathValue("id"), s.now().UTC()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleWebhookKey(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Webhook.Key == nil {
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "this server sends no webhooks"))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, client.WebhookKey{KeyID: s.cfg.Webhook.KeyID, PublicKey: s.cfg.Webhook.PublicKey(), Algorithm: "ed25519"})
}
