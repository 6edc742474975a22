package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
)

// IncidentQuery selects incidents (GET /api/v1/incidents). With no Status
// it is the review queue: incidents awaiting review, oldest first.
type IncidentQuery struct {
	Status   string      // reported, corroborated, disputed, verified, rejected, merged
	Category string      // comma-separated categories
	Grade    string      // minimum Admiralty grade, e.g. B2
	BBox     *[4]float64 // min lon, min lat, max lon, max lat
	Area     string      // an area zone of the agreement, by id
	Limit    int
}

// Incidents is a list of incidents: full records for analysts, auditors
// and admins; public projections (verified incidents only) for others.
type Incidents struct {
	Incidents []json.RawMessage `json:"incidents"`
}

// IncidentDetail is one incident with its review decisions (GET
// /api/v1/incidents/{id}). Incident is the full record with its history of
// versions and its observations, or the public projection.
type IncidentDetail struct {
	Incident  json.RawMessage      `json:"incident"`
	Decisions []*incident.Decision `json:"decisions,omitempty"`
}

// DecisionRequest decides an incident: decision verified, rejected (with
// reason duplicate, inaccurate, unverifiable or out_of_scope) or disputed;
// note says why in words; observations are the ids the decision rests on
// (default: all of the incident's).
type DecisionRequest struct {
	Decision     string   `json:"decision"`
	Reason       string   `json:"reason,omitempty"`
	Note         string   `json:"note,omitempty"`
	Observations []string `json:"observations,omitempty"`
}

// MergeRequest merges incidents into the first.
type MergeRequest struct {
	Incidents []string `json:"incidents"`
	Reason    string   `json:"reason"`
}

// SplitRequest moves observations out of an incident into a new one.
type SplitRequest struct {
	Observations []string `json:"observations"`
	Reason       string   `json:"reason"`
}

// DecisionResponse answers a decision, merge or split: the decision
// record (also in the ledger) and the incident after it.
type DecisionResponse struct {
	Decision *incident.Decision `json:"decision"`
	Incident *incident.Incident `json:"incident"`
	New      *incident.Incident `json:"new,omitempty"` // the incident a split created
}

// ClaimResponse answers a claim.
type ClaimResponse struct {
	Claim *incident.Claim `json:"claim"`
}

// Cases lists cases: full cases for analysts, auditors, admins and the
// case's own liaisons; public projections of confirmed cases for others.
type Cases struct {
	Cases []json.RawMessage `json:"cases"`
}

// CaseDetail is one case with its violations (staff only).
type CaseDetail struct {
	Case       json.RawMessage        `json:"case"`
	Violations []compliance.Violation `json:"violations,omitempty"`
}

// CaseRequest opens a case by hand (analysts).
type CaseRequest struct {
	Commitment string   `json:"commitment"`
	Party      string   `json:"party,omitempty"` // "" for unattributed
	Reason     string   `json:"reason"`
	Violations []string `json:"violations,omitempty"`
}

// CloseRequest closes a case: closure remedied or withdrawn.
type CloseRequest struct {
	Closure string `json:"closure"`
	Reason  string `json:"reason"`
}

// DisputeRequest is a liaison's dispute of a confirmed case against their
// party, with counter-evidence (evidence SHA-256 hashes).
type DisputeRequest struct {
	Position string   `json:"position"`
	Evidence []string `json:"evidence,omitempty"`
}

// ResolveRequest answers the open dispute: upheld or overturned.
type ResolveRequest struct {
	Resolution string `json:"resolution"`
	Answer     string `json:"answer"`
}

// TransitionResponse answers a case change: the transition record (also in
// the ledger), whose case_state is the case after it.
type TransitionResponse struct {
	Transition compliance.Transition `json:"transition"`
}

// Incidents lists incidents.
func (c *Client) Incidents(ctx context.Context, q IncidentQuery) (Incidents, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("status", q.Status)
	set("category", q.Category)
	set("grade", q.Grade)
	set("area", q.Area)
	if q.BBox != nil {
		b := q.BBox
		set("bbox", ftoa(b[0])+","+ftoa(b[1])+","+ftoa(b[2])+","+ftoa(b[3]))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/incidents"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out Incidents
	_, err := c.do(ctx, "GET", path, "", nil, &out)
	return out, err
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Incident returns one incident and its decisions.
func (c *Client) Incident(ctx context.Context, id string) (IncidentDetail, error) {
	var out IncidentDetail
	_, err := c.do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(id), "", nil, &out)
	return out, err
}

// Claim claims an incident for review (renewing one's own claim).
func (c *Client) Claim(ctx context.Context, id string) (ClaimResponse, error) {
	var out ClaimResponse
	err := c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id)+"/claim", struct{}{}, &out)
	return out, err
}

// Decide records a decision on an incident.
func (c *Client) Decide(ctx context.Context, id string, req DecisionRequest) (DecisionResponse, error) {
	var out DecisionResponse
	err := c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id)+"/decision", req, &out)
	return out, err
}

// Merge merges incidents into req.Incidents[0].
func (c *Client) Merge(ctx context.Context, req MergeRequest) (DecisionResponse, error) {
	var out DecisionResponse
	err := c.postJSON(ctx, "/api/v1/incidents/merge", req, &out)
	return out, err
}

// Split moves observations out of an incident into a new one.
func (c *Client) Split(ctx context.Context, id string, req SplitRequest) (DecisionResponse, error) {
	var out DecisionResponse
	err := c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id)+"/split", req, &out)
	return out, err
}

// Cases lists cases, optionally of one status.
func (c *Client) Cases(ctx context.Context, status string) (Cases, error) {
	path := "/api/v1/cases"
	if status != "" {
		path += "?status=" + url.QueryEscape(status)
	}
	var out Cases
	_, err := c.do(ctx, "GET", path, "", nil, &out)
	return out, err
}

// Case returns one case.
func (c *Client) Case(ctx context.Context, id string) (CaseDetail, error) {
	var out CaseDetail
	_, err := c.do(ctx, "GET", "/api/v1/cases/"+url.PathEscape(id), "", nil, &out)
	return out, err
}

// OpenCase opens a case by hand.
func (c *Client) OpenCase(ctx context.Context, req CaseRequest) (TransitionResponse, error) {
	var out TransitionResponse
	err := c.postJSON(ctx, "/api/v1/cases", req, &out)
	return out, err
}

// CaseAction posts one of confirm, close, dispute, resolve to a case with
// its request (nil for confirm).
func (c *Client) CaseAction(ctx context.Context, id, action string, req any) (TransitionResponse, error) {
	if req == nil {
		req = struct{}{}
	}
	var out TransitionResponse
	err := c.postJSON(ctx, "/api/v1/cases/"+url.PathEscape(id)+"/"+action, req, &out)
	return out, err
}

func (c *Client) postJSON(ctx context.Context, path string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, "POST", path, "application/json", bytes.NewReader(body), out)
	return err
}
