package incident

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/vocab"
)

// Errors a review request can fail with, wrapped in a *pactwatch.Error
// (test with errors.Is): the code says what class of failure it is, these
// say which one.
var (
	ErrClaimed    = errors.New("incident claimed by another analyst")     // ECONFLICT
	ErrDecided    = errors.New("incident already decided")                // ECONFLICT
	ErrTransition = errors.New("transition not allowed from this status") // EINVALID
)

// Outcome is what a decision does to an incident.
type Outcome string

const (
	OutcomeVerified Outcome = "verified"
	OutcomeRejected Outcome = "rejected"
	OutcomeDisputed Outcome = "disputed"
	OutcomeMerged   Outcome = "merged" // incidents merged by an analyst
	OutcomeSplit    Outcome = "split"  // reports split out by an analyst
)

// RejectReason says why an incident was rejected.
type RejectReason string

const (
	RejectDuplicate    RejectReason = "duplicate"
	RejectInaccurate   RejectReason = "inaccurate"
	RejectUnverifiable RejectReason = "unverifiable"
	RejectOutOfScope   RejectReason = "out_of_scope"
)

// Valid reports whether r is a known reason.
func (r RejectReason) Valid() bool {
	switch r {
	case RejectDuplicate, RejectInaccurate, RejectUnverifiable, RejectOutOfScope:
		return true
	}
	return false
}

// Decision is the record of an analyst's decision on incidents: it is
// logged as a ledger entry of type ledger.TypeDecision (see Canonical and
// LedgerEntry), naming the analyst, the reason and the observations it
// rests on.
type Decision struct {
	ID              string       `json:"id"`
	Incident        string       `json:"incident"`
	IncidentVersion int          `json:"incident_version"` // the version the decision created
	Outcome         Outcome      `json:"outcome"`
	Reason          RejectReason `json:"reason,omitempty"` // for rejections
	Note            string       `json:"note,omitempty"`   // the analyst's why, in words
	Analyst         string       `json:"analyst"`
	At              time.Time    `json:"at"`
	Observations    []string     `json:"observations"`      // sorted ids the decision rests on
	Related         []string     `json:"related,omitempty"` // merged or split incidents
	Status          Status       `json:"status"`            // the incident's status after it
}

// Canonical returns the decision's RFC 8785 bytes: what the ledger entry's
// digest covers.
func (d *Decision) Canonical() ([]byte, error) { return canonicalJSON(d) }

// LedgerEntry returns the decision's ledger entry under the salt. Decisions
// are not public records (they name analysts): the public digest is zero.
func (d *Decision) LedgerEntry(salt []byte) (ledger.Entry, error) {
	b, err := d.Canonical()
	if err != nil {
		return ledger.Entry{}, err
	}
	return ledger.NewEntry(ledger.TypeDecision, d.ID, d.At, b, salt, nil, nil), nil
}

// canonicalJSON is the RFC 8785 form of v.
func canonicalJSON(v any) ([]byte, error) {
	return pactwatch.CanonicalJSON(v)
}

// QueueFilter narrows the review queue. Zero fields do not filter.
type QueueFilter struct {
	Area       orb.Geometry     // a polygon: incidents whose location or origin lies in it
	Categories []vocab.Category // incidents with any of these categories
	// MinGrade keeps incidents whose best report is graded at least this
	// well on both scales (reliability letter and credibility digit).
	MinGrade  vocab.Grade
	Unclaimed bool // hide incidents another analyst holds a live claim on
	Analyst   string
}

// Queue returns the incidents awaiting review — reported, corroborated or
// disputed — oldest first (by the start of their earliest report, then id),
// filtered.
func (t *Tracker) Queue(f QueueFilter) []*Incident {
	now := t.Now()
	var out []*Incident
	for _, id := range t.order {
		inc := t.incidents[id]
		if !inc.Status.Open() || !f.match(inc, now) {
			continue
		}
		out = append(out, inc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].First.Equal(out[j].First) {
			return out[i].First.Before(out[j].First)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (f *QueueFilter) match(inc *Incident, now time.Time) bool {
	if len(f.Categories) > 0 && !slices.ContainsFunc(f.Categories, func(c vocab.Category) bool { _, ok := inc.Counts[c]; return ok }) {
		return false
	}
	if f.MinGrade != "" {
		g := inc.BestGrade
		if !g.Valid() || !f.MinGrade.Valid() || g.Reliability() > f.MinGrade.Reliability() || g.Credibility() > f.MinGrade.Credibility() {
			return false
		}
	}
	if f.Area != nil {
		in := false
		for _, d := range []*Disc{inc.Location, inc.Origin} {
			if d != nil && geo.Contains(f.Area, d.Point) {
				in = true
			}
		}
		if !in {
			return false
		}
	}
	if f.Unclaimed && inc.Claim != nil && now.Before(inc.Claim.Until) && inc.Claim.Analyst != f.Analyst {
		return false
	}
	return true
}

func claimedErr(inc *Incident) error {
	return &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "incident", Err: ErrClaimed,
		Message: fmt.Sprintf("incident %s is being reviewed by %s until %s", inc.ID, inc.Claim.Analyst, inc.Claim.Until.UTC().Format(time.RFC3339))}
}

func decidedErr(inc *Incident) error {
	return &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "incident", Err: ErrDecided,
		Message: fmt.Sprintf("incident %s is already %s", inc.ID, inc.Status)}
}

func transitionErr(field, format string, args ...any) error {
	return &pactwatch.Error{Code: pactwatch.EINVALID, Field: field, Err: ErrTransition, Message: fmt.Sprintf(format, args...)}
}

// heldByOther reports whether someone else holds a live claim.
func (t *Tracker) heldByOther(inc *Incident, analyst string) bool {
	return inc.Claim != nil && inc.Claim.Analyst != analyst && t.Now().Before(inc.Claim.Until)
}

// checkOpen returns the error for acting on an incident that is not open
// to review by analyst.
func (t *Tracker) checkOpen(inc *Incident, analyst string) error {
	switch {
	case inc.Status == Merged:
		return transitionErr("incident", "incident %s was merged into %s", inc.ID, inc.MergedInto)
	case !inc.Status.Open():
		return decidedErr(inc)
	case t.heldByOther(inc, analyst):
		return claimedErr(inc)
	}
	return nil
}

func needAnalyst(analyst string) error {
	if strings.TrimSpace(analyst) == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "analyst", "an analyst must be named")
	}
	return nil
}

// Claim marks the incident as being reviewed by analyst until now +
// ClaimTTL (renewing the analyst's own claim). It fails if another analyst
// holds a live claim, or the incident is decided or merged. A claim is not
// a version: it records who is working, not what the incident is.
func (t *Tracker) Claim(id, analyst string) (*Claim, error) {
	if err := needAnalyst(analyst); err != nil {
		return nil, err
	}
	inc, err := t.Get(id)
	if err != nil {
		return nil, err
	}
	if err := t.checkOpen(inc, analyst); err != nil {
		return nil, err
	}
	inc.Claim = &Claim{Analyst: analyst, Until: t.Now().Add(t.Config.ClaimTTL).UTC()}
	c := *inc.Claim
	return &c, nil
}

// Release gives up analyst's claim. Releasing a claim one does not hold is
// an invalid transition (a lapsed claim is simply gone).
func (t *Tracker) Release(id, analyst string) error {
	inc, err := t.Get(id)
	if err != nil {
		return err
	}
	if inc.Claim == nil || !t.Now().Before(inc.Claim.Until) {
		return transitionErr("incident", "incident %s is not claimed", id)
	}
	if inc.Claim.Analyst != analyst {
		return claimedErr(inc)
	}
	inc.Claim = nil
	return nil
}

// Decide records analyst's decision on an open incident: verified (only a
// corroborated incident, or a disputed one that was corroborated),
// rejected with a reason, or disputed (not twice in a row). The analyst
// must hold the claim or the incident must be unclaimed; the claim ends
// with the decision. On error nothing changes.
func (t *Tracker) Decide(id, analyst string, outcome Outcome, reason RejectReason, note string) (*Decision, error) {
	if err := needAnalyst(analyst); err != nil {
		return nil, err
	}
	inc, err := t.Get(id)
	if err != nil {
		return nil, err
	}
	if err := t.checkOpen(inc, analyst); err != nil {
		return nil, err
	}
	var next Status
	switch outcome {
	case OutcomeVerified:
		if !inc.Corroborated {
			return nil, transitionErr("outcome", "incident %s is not corroborated: verification needs independent sources or a direct A/B-graded observation", id)
		}
		next = Verified
	case OutcomeRejected:
		if !reason.Valid() {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "a rejection needs a reason: duplicate, inaccurate, unverifiable or out_of_scope")
		}
		next = Rejected
	case OutcomeDisputed:
		if inc.Status == Disputed {
			return nil, transitionErr("outcome", "incident %s is already disputed", id)
		}
		next = Disputed
	default:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "outcome", "want verified, rejected or disputed")
	}
	if outcome != OutcomeRejected && reason != "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "only a rejection has a reason; use the note")
	}
	inc.Status = next
	inc.Claim = nil
	t.bump(inc, analyst, ActionDecided, decisionWhy(outcome, reason, note), nil, nil)
	d := t.decision(inc, analyst, outcome, reason, note, nil)
	inc.Decision = d
	return d, nil
}

func decisionWhy(o Outcome, r RejectReason, note string) string {
	s := string(o)
	if r != "" {
		s += " (" + string(r) + ")"
	}
	if note != "" {
		s += ": " + note
	}
	return s
}

func (t *Tracker) decision(inc *Incident, analyst string, o Outcome, r RejectReason, note string, related []string) *Decision {
	return &Decision{
		ID: fmt.Sprintf("%s/v%d", inc.ID, inc.Version), Incident: inc.ID, IncidentVersion: inc.Version,
		Outcome: o, Reason: r, Note: note, Analyst: analyst, At: t.Now().UTC(),
		Observations: sortedIDs(inc.ObservationIDs()), Related: related, Status: inc.Status,
	}
}

// Merge moves the reports of the other incidents into the first (ids[0]):
// each other incident gets a final version with status merged, pointing at
// the first, which gets a version holding their reports. All must be open,
// undisputed, of one family and not claimed by another analyst; why is
// required. It returns the decision record of the merge.
func (t *Tracker) Merge(ids []string, analyst, why string) (*Decision, error) {
	if err := needAnalyst(analyst); err != nil {
		return nil, err
	}
	if strings.TrimSpace(why) == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "say why the incidents are merged")
	}
	if len(ids) < 2 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "incidents", "name at least two incidents to merge")
	}
	var incs []*Incident
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("incidents[%d]", i), "incident %s named twice", id)
		}
		seen[id] = true
		inc, err := t.Get(id)
		if err != nil {
			return nil, err
		}
		if err := t.checkOpen(inc, analyst); err != nil {
			return nil, err
		}
		if inc.Status == Disputed {
			return nil, transitionErr(fmt.Sprintf("incidents[%d]", i), "incident %s is disputed: decide it before merging", id)
		}
		if len(incs) > 0 && inc.Family != incs[0].Family {
			return nil, transitionErr(fmt.Sprintf("incidents[%d]", i), "incident %s is %s, not %s: only one family merges", id, inc.Family, incs[0].Family)
		}
		incs = append(incs, inc)
	}
	into := incs[0]
	var moved []string
	for _, from := range incs[1:] {
		ids := from.ObservationIDs()
		moved = append(moved, ids...)
		into.Reports = append(into.Reports, from.Reports...)
		for _, o := range ids {
			t.byObs[o] = into.ID
		}
		from.Status, from.MergedInto, from.Claim = Merged, into.ID, nil
		t.bump(from, analyst, ActionMergedInto, why, ids, []string{into.ID})
	}
	into.recompute(t.Config.Corroboration, &t.Config)
	t.index(into, into.Reports)
	t.bump(into, analyst, ActionMergedFrom, why, moved, ids[1:])
	d := t.decision(into, analyst, OutcomeMerged, "", why, slices.Clone(ids[1:]))
	return d, nil
}

// Split moves the named reports out of an open incident into a new one
// (reported, re-clustered from nothing), leaving at least one report
// behind. Both get a version naming the other. It returns the new incident
// and the decision record of the split.
func (t *Tracker) Split(id string, observations []string, analyst, why string) (*Incident, *Decision, error) {
	if err := needAnalyst(analyst); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(why) == "" {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "say why the incident is split")
	}
	inc, err := t.Get(id)
	if err != nil {
		return nil, nil, err
	}
	if err := t.checkOpen(inc, analyst); err != nil {
		return nil, nil, err
	}
	out := map[string]bool{}
	for i, o := range observations {
		if t.byObs[o] != id || out[o] {
			return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "observation %q is not (once) in incident %s", o, id)
		}
		out[o] = true
	}
	if len(out) == 0 || len(out) == len(inc.Reports) {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "split at least one report out and leave at least one in")
	}
	var keep, move []Report
	for _, r := range inc.Reports {
		if out[r.ID] {
			move = append(move, r)
		} else {
			keep = append(keep, r)
		}
	}
	moved := sortedIDs(observations)
	child := &Incident{ID: newID("inc", inc.ID+"/split/"+fmt.Sprint(inc.Version+1)), Status: Reported, Family: inc.Family, Reports: move}
	child.recompute(t.Config.Corroboration, &t.Config)
	inc.Reports = keep
	if inc.Status == Corroborated {
		inc.Status = Reported
	}
	inc.recompute(t.Config.Corroboration, &t.Config)
	t.index(inc, nil)
	t.bump(inc, analyst, ActionSplitTo, why, moved, []string{child.ID})
	t.insert(child)
	t.bump(child, analyst, ActionSplitFrom, why, moved, []string{inc.ID})
	d := t.decision(inc, analyst, OutcomeSplit, "", why, []string{child.ID})
	return child, d, nil
}
