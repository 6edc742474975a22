package server

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// Who may review incidents and act on cases: analysts decide; liaisons
// dispute cases against their own party or guarantor.
var (
	analysts = []vocab.Role{vocab.RoleAnalyst}
	liaisons = []vocab.Role{vocab.RoleGuarantorLiaison, vocab.RolePartyLiaison}
)

// maxReviewBody caps the JSON body of a review or case request.
const maxReviewBody = 64 << 10

// reviewRoutes are the incidents and cases endpoints, served from the
// pipeline (Config.Pipeline); without one, or on a server that does not
// lead it, they answer 503.
func (s *Server) reviewRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/incidents", everyone, s.handleListIncidents},
		{"GET", "/api/v1/incidents/{id}", everyone, s.handleGetIncident},
		{"POST", "/api/v1/incidents/{id}/claim", analysts, s.handleClaim},
		{"POST", "/api/v1/incidents/{id}/decision", analysts, s.handleDecision},
		{"POST", "/api/v1/incidents/merge", analysts, s.handleMerge},
		{"POST", "/api/v1/incidents/{id}/split", analysts, s.handleSplit},
		{"GET", "/api/v1/cases", everyone, s.handleListCases},
		{"GET", "/api/v1/cases/{id}", everyone, s.handleGetCase},
		{"POST", "/api/v1/cases", analysts, s.handleOpenCase},
		{"POST", "/api/v1/cases/{id}/confirm", analysts, s.handleCaseAction("confirm")},
		{"POST", "/api/v1/cases/{id}/close", analysts, s.handleCaseAction("close")},
		{"POST", "/api/v1/cases/{id}/dispute", liaisons, s.handleCaseAction("dispute")},
		{"POST", "/api/v1/cases/{id}/resolve", analysts, s.handleCaseAction("resolve")},
	}
}

// reviewer is whether the principal sees incidents and cases in full:
// analysts, auditors and admins. Everyone else sees public projections of
// verified incidents and confirmed cases.
func reviewer(p store.Principal) bool { return p.Role.SeesWhole() }

// ownCase is whether a liaison's party is the case's party: they see it in
// full, to answer it.
func ownCase(p store.Principal, c *compliance.Case) bool { return c.AnsweredBy(p.Role, p.Of) }

func (s *Server) pipe() (*pipeline.Pipeline, error) {
	if s.cfg.Pipeline == nil {
		return nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "this server runs no incident pipeline")
	}
	return s.cfg.Pipeline, nil
}

// readJSON decodes a small JSON request body strictly.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReviewBody))
	if err != nil {
		return pactwatch.Errorf(pactwatch.ETOOLARGE, "request body over %d bytes", maxReviewBody)
	}
	if strings.TrimSpace(string(data)) == "" {
		data = []byte("{}") // a bodiless POST (confirm, claim) is an empty request
	}
	return decodeStrict(data, v)
}

// incidentFilter parses the list's query: status, category (comma
// separated), grade (minimum, e.g. B2), bbox (min lon,min lat,max lon,max
// lat) and limit.
func incidentFilter(q map[string][]string) (pipeline.Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var f pipeline.Filter
	switch st := incident.Status(get("status")); st {
	case "", incident.Reported, incident.Corroborated, incident.Verified, incident.Rejected, incident.Disputed, incident.Merged:
		f.Status = st
	default:
		return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "status", "unknown status %q", st)
	}
	if c := get("category"); c != "" {
		for _, s := range strings.Split(c, ",") {
			cat := vocab.Category(strings.TrimSpace(s))
			if !cat.Valid() {
				return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category %q", cat)
			}
			f.Categories = append(f.Categories, cat)
		}
	}
	if g := get("grade"); g != "" {
		f.MinGrade = vocab.Grade(g)
		if !f.MinGrade.Valid() {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "grade", "want an Admiralty grade such as B2, not %q", g)
		}
	}
	if b := get("bbox"); b != "" {
		parts := strings.Split(b, ",")
		var v [4]float64
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			x, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			ok = err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
			v[i] = x
		}
		if !ok || v[0] >= v[2] || v[1] >= v[3] || v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want min lon,min lat,max lon,max lat")
		}
		f.Area = orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}.ToPolygon()
	}
	f.Limit = store.DefaultLimit
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxLimit {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "limit", "want 1 to %d", store.MaxLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// zoneFilter narrows f to an agreement zone given by id (an area zone,
// its geometry in force now); "" does not filter, and a bbox and a zone
// together are refused.
func zoneFilter(f *pipeline.Filter, a *agreement.Agreement, id string, now time.Time) error {
	if id == "" {
		return nil
	}
	if f.Area != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "area", "give area or bbox, not both")
	}
	z := a.Zone(id)
	if z == nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "area", "no zone %q in the agreement", id)
	}
	switch g := z.GeometryAt(now).(type) {
	case orb.Polygon, orb.MultiPolygon:
		f.Area = g
		return nil
	}
	return pactwatch.FieldErrorf(pactwatch.EINVALID, "area", "zone %q is a %s, not an area", id, z.Kind)
}

func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	f, err := incidentFilter(r.URL.Query())
	if err == nil {
		err = zoneFilter(&f, pl.Agreement(), r.URL.Query().Get("area"), s.now())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !reviewer(p) {
		if f.Status != "" && f.Status != incident.Verified {
			s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "status", "role %s sees verified incidents only", p.Role))
			return
		}
		f.Status = incident.Verified
	}
	incs, err := pl.Incidents(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Incidents []any `json:"incidents"`
	}{Incidents: make([]any, 0, len(incs))}
	for _, inc := range incs {
		if reviewer(p) {
			out.Incidents = append(out.Incidents, inc)
		} else {
			out.Incidents = append(out.Incidents, incident.Public(inc))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetIncident(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	inc, ds, err := pl.Incident(r.PathValue("id"))
	if err == nil && !reviewer(p) && !inc.Visible() {
		// Unverified incidents do not exist for the public.
		err = pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", r.PathValue("id"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !reviewer(p) {
		writeJSON(w, http.StatusOK, map[string]any{"incident": incident.Public(inc)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": inc, "decisions": ds})
}

func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := pl.Claim(r.PathValue("id"), principalOf(r).ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.ClaimResponse{Claim: c})
}

func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.DecisionRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Decision == "" {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "decision", "want verified, rejected or disputed"))
		return
	}
	if o := incident.Outcome(req.Decision); o == incident.OutcomeMerged || o == incident.OutcomeSplit {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "decision", "merge and split have their own endpoints"))
		return
	}
	d, inc, err := pl.Decide(r.Context(), r.PathValue("id"), principalOf(r).ID, incident.Outcome(req.Decision),
		incident.RejectReason(req.Reason), req.Note, req.Observations)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.DecisionResponse{Decision: d, Incident: inc})
}

func (s *Server) handleMerge(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.MergeRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, inc, err := pl.Merge(r.Context(), req.Incidents, principalOf(r).ID, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.DecisionResponse{Decision: d, Incident: inc})
}

func (s *Server) handleSplit(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.SplitRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, inc, child, err := pl.Split(r.Context(), r.PathValue("id"), req.Observations, principalOf(r).ID, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.DecisionResponse{Decision: d, Incident: inc, New: child})
}

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	status := compliance.CaseStatus(r.URL.Query().Get("status"))
	switch status {
	case "", compliance.Candidate, compliance.Confirmed, compliance.Closed:
	default:
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "status", "want candidate, confirmed or closed"))
		return
	}
	cases, err := pl.Cases(status)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Cases []any `json:"cases"`
	}{Cases: []any{}}
	for _, c := range cases {
		switch {
		case reviewer(p) || ownCase(p, c):
			out.Cases = append(out.Cases, c)
		case c.Visible():
			out.Cases = append(out.Cases, compliance.PublicOf(c))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	c, vs, err := pl.Case(r.PathValue("id"))
	if err == nil && !reviewer(p) && !ownCase(p, c) && !c.Visible() {
		err = pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", r.PathValue("id"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if reviewer(p) || ownCase(p, c) {
		writeJSON(w, http.StatusOK, map[string]any{"case": c, "violations": vs})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": compliance.PublicOf(c)})
}

func (s *Server) handleOpenCase(w http.ResponseWriter, r *http.Request) {
	pl, err := s.pipe()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.CaseRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := pl.OpenCase(r.Context(), principalOf(r).ID, req.Commitment, req.Party, req.Reason, req.Violations)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, client.TransitionResponse{Transition: *t})
}

// handleCaseAction serves confirm, close, dispute and resolve.
func (s *Server) handleCaseAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pl, err := s.pipe()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p, id, ctx := principalOf(r), r.PathValue("id"), r.Context()
		var t *compliance.Transition
		switch action {
		case "confirm":
			var req struct{}
			if err = readJSON(w, r, &req); err == nil {
				t, err = pl.ConfirmCase(ctx, id, p.ID)
			}
		case "close":
			var req client.CloseRequest
			if err = readJSON(w, r, &req); err == nil {
				t, err = pl.CloseCase(ctx, id, p.ID, compliance.Closure(req.Closure), req.Reason)
			}
		case "dispute":
			var req client.DisputeRequest
			if err = readJSON(w, r, &req); err == nil {
				t, err = pl.DisputeCase(ctx, id, p.Of, p.ID, req.Position, req.Evidence)
			}
		case "resolve":
			var req client.ResolveRequest
			if err = readJSON(w, r, &req); err == nil {
				t, err = pl.ResolveDispute(ctx, id, p.ID, req.Resolution, req.Answer)
			}
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, client.TransitionResponse{Transition: *t})
	}
}
