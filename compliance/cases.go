package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/ledger"
)

// Group is what violations are grouped by: a case covers one commitment,
// one party, one area and one period (a reporting day in the agreement's
// time zone).
type Group struct {
	Commitment string `json:"commitment"`
	Party      string `json:"party"`  // the attributed party, "unattributed" or "joint"
	Area       string `json:"area"`   // a grid square "lon,lat" of its south-west corner, or "all"
	Period     string `json:"period"` // YYYY-MM-DD
}

func (g Group) key() string {
	return g.Commitment + "|" + g.Party + "|" + g.Area + "|" + g.Period
}

// GroupOf returns the violation's group under the policy.
func (p Policy) GroupOf(a *agreement.Agreement, v *Violation) Group {
	g := Group{Commitment: v.Commitment, Party: v.Attribution.Party, Area: "all", Period: v.At.In(a.Location()).Format(time.DateOnly)}
	switch {
	case g.Party != "":
	case len(v.Obligors) > 0:
		g.Party = "joint"
	default:
		g.Party = "unattributed"
	}
	if p.AreaCellDeg > 0 && v.Where != nil {
		x := math.Floor(v.Where.Point[0]/p.AreaCellDeg) * p.AreaCellDeg
		y := math.Floor(v.Where.Point[1]/p.AreaCellDeg) * p.AreaCellDeg
		g.Area = fmt.Sprintf("%.2f,%.2f", x, y)
	}
	return g
}

// Tally counts a group's violations below the case threshold: reported as
// numbers, without a protocol each (a day of 300 explosions is one line of
// a report, not 300 cases).
type Tally struct {
	Group
	Count      int      `json:"count"`  // violations
	Events     int      `json:"events"` // events they comprise (explosions, shots)
	Violations []string `json:"violations"`
}

// Tallies groups the violations below the case threshold.
func (p Policy) Tallies(a *agreement.Agreement, vs []Violation) []Tally {
	idx := map[string]int{}
	var out []Tally
	for i := range vs {
		v := &vs[i]
		if v.Severity >= p.CaseThreshold {
			continue
		}
		g := p.GroupOf(a, v)
		k, ok := idx[g.key()]
		if !ok {
			k = len(out)
			idx[g.key()] = k
			out = append(out, Tally{Group: g})
		}
		out[k].Count++
		out[k].Events += max(v.Count, 1)
		out[k].Violations = append(out[k].Violations, v.ID)
	}
	slices.SortFunc(out, func(x, y Tally) int { return strings.Compare(x.key(), y.key()) })
	return out
}

// CaseStatus is where a case stands.
type CaseStatus string

const (
	Candidate CaseStatus = "candidate" // opened, awaiting an analyst's confirmation
	Confirmed CaseStatus = "confirmed" // confirmed: its response protocol runs
	Closed    CaseStatus = "closed"    // remedied or withdrawn
)

// Closure says how a case ended.
type Closure string

const (
	Remedied  Closure = "remedied"
	Withdrawn Closure = "withdrawn"
)

// Case is a group of violations that deserves a response.
type Case struct {
	ID         string     `json:"id"`
	Version    int        `json:"version"`
	Group      Group      `json:"group"`
	Protocol   string     `json:"protocol,omitempty"`
	Severity   Severity   `json:"severity"`
	Status     CaseStatus `json:"status"`
	Manual     bool       `json:"manual,omitempty"` // opened by hand
	OpenedBy   string     `json:"opened_by"`
	Opened     time.Time  `json:"opened"`
	Violations []string   `json:"violations"`
	// Approvals are the analysts who confirmed, in order: one, or two
	// different ones under the two-person rule.
	Approvals []string   `json:"approvals,omitempty"`
	Confirmed time.Time  `json:"confirmed,omitzero"`
	Closure   Closure    `json:"closure,omitempty"`
	Reason    string     `json:"reason,omitempty"` // why it was closed
	Disputes  []*Dispute `json:"disputes,omitempty"`
	// Paused is true while an open dispute pauses the response deadlines
	// (only if the policy says disputes pause them).
	Paused bool `json:"paused"`
}

// Dispute is a party liaison's challenge of a confirmed case. Both
// positions are kept after resolution.
type Dispute struct {
	Party      string    `json:"party"`
	Liaison    string    `json:"liaison"`
	Position   string    `json:"position"`
	Evidence   []string  `json:"evidence,omitempty"`
	At         time.Time `json:"at"`
	Resolution string    `json:"resolution,omitempty"` // upheld (the finding stands) or overturned
	Analyst    string    `json:"analyst,omitempty"`
	Answer     string    `json:"answer,omitempty"` // the analyst's position
	Resolved   time.Time `json:"resolved,omitzero"`
}

// Dispute resolutions.
const (
	Upheld     = "upheld"     // the case stands
	Overturned = "overturned" // the case is withdrawn
)

// Transition is the record of one change to a case: a ledger entry of type
// ledger.TypeCase.
type Transition struct {
	ID      string     `json:"id"` // case id "/v" version
	Case    string     `json:"case"`
	Version int        `json:"version"`
	Action  string     `json:"action"`
	By      string     `json:"by"`
	At      time.Time  `json:"at"`
	Reason  string     `json:"reason,omitempty"`
	Status  CaseStatus `json:"status"`
	// Snapshot is the case after the transition.
	Snapshot Case `json:"case_state"`
}

// Canonical returns the transition's RFC 8785 bytes.
func (t *Transition) Canonical() ([]byte, error) {
	return pactwatch.CanonicalJSON(t)
}

// LedgerEntry returns the transition's ledger entry under the salt.
func (t *Transition) LedgerEntry(salt []byte) (ledger.Entry, error) {
	b, err := t.Canonical()
	if err != nil {
		return ledger.Entry{}, err
	}
	return ledger.NewEntry(ledger.TypeCase, t.ID, t.At, b, salt, nil, nil), nil
}

// Transition actions.
const (
	ActOpened          = "opened"
	ActViolationsAdded = "violations_added"
	ActApproved        = "approved" // first approval under the two-person rule
	ActConfirmed       = "confirmed"
	ActClosed          = "closed"
	ActDisputed        = "disputed"
	ActDisputeResolved = "dispute_resolved"
)

// Errors of case transitions, wrapped in *pactwatch.Error (errors.Is).
var (
	ErrCaseTransition = errors.New("case transition not allowed")      // EINVALID
	ErrCaseClosed     = errors.New("case already closed")              // ECONFLICT
	ErrSamePerson     = errors.New("two-person rule: another analyst") // ECONFLICT
	ErrNotParty       = errors.New("not the case's party")             // EFORBIDDEN
)

// Book holds the cases: it opens them from violations (idempotently) and by
// hand, and runs their state machine with an injected clock. Not safe for
// concurrent use.
type Book struct {
	Agreement *agreement.Agreement
	Policy    Policy
	Now       func() time.Time

	cases   map[string]*Case
	order   []string
	byGroup map[string]string // group key → the open automatic case
	caseOf  map[string]string // violation id → case id
}

// NewBook returns an empty case book.
func NewBook(a *agreement.Agreement, p Policy, now func() time.Time) *Book {
	return &Book{Agreement: a, Policy: p, Now: now, cases: map[string]*Case{}, byGroup: map[string]string{}, caseOf: map[string]string{}}
}

// Cases returns every case in order of opening.
func (b *Book) Cases() []*Case {
	out := make([]*Case, len(b.order))
	for i, id := range b.order {
		out[i] = b.cases[id]
	}
	return out
}

// Get returns the case (ENOTFOUND if none).
func (b *Book) Get(id string) (*Case, error) {
	c := b.cases[id]
	if c == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
	}
	return c, nil
}

func caseID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return "case-" + hex.EncodeToString(sum[:8])
}

func (b *Book) record(c *Case, action, by, reason string) Transition {
	c.Version++
	return Transition{ID: fmt.Sprintf("%s/v%d", c.ID, c.Version), Case: c.ID, Version: c.Version, Action: action,
		By: by, At: b.Now().UTC(), Reason: reason, Status: c.Status, Snapshot: snapshot(c)}
}

// snapshot deep-copies a case so a record does not change with it.
func snapshot(c *Case) Case {
	s := *c
	s.Violations = slices.Clone(c.Violations)
	s.Approvals = slices.Clone(c.Approvals)
	s.Disputes = nil
	for _, d := range c.Disputes {
		cp := *d
		cp.Evidence = slices.Clone(d.Evidence)
		s.Disputes = append(s.Disputes, &cp)
	}
	return s
}

// Ingest opens candidate cases for the violations at or above the case
// threshold — one per group, adding to the group's case while it is not
// closed — and, when the policy escalates lesser violations, one per group
// of lesser ones that reaches EscalateMinorAt. Violations already in a case
// are skipped, so re-evaluating and ingesting again changes nothing.
func (b *Book) Ingest(vs []Violation) []Transition {
	type pending struct {
		g     Group
		key   string
		ids   []string
		sev   Severity
		minor bool
	}
	var groups, minors []*pending
	idx := map[string]*pending{}
	for i := range vs {
		v := &vs[i]
		if _, done := b.caseOf[v.ID]; done {
			continue
		}
		minor := v.Severity < b.Policy.CaseThreshold
		if minor && b.Policy.EscalateMinorAt <= 0 {
			continue
		}
		g := b.Policy.GroupOf(b.Agreement, v)
		key := g.key()
		if minor {
			key += "|minor" // lesser violations of a group make their own case
		}
		p := idx[key]
		if p == nil {
			p = &pending{g: g, key: key, minor: minor}
			idx[key] = p
			if minor {
				minors = append(minors, p)
			} else {
				groups = append(groups, p)
			}
		}
		p.ids = append(p.ids, v.ID)
		p.sev = max(p.sev, v.Severity)
	}
	for _, p := range minors {
		id := b.byGroup[p.key]
		if len(p.ids) >= b.Policy.EscalateMinorAt || id != "" && b.cases[id].Status != Closed {
			groups = append(groups, p)
		}
	}
	var out []Transition
	for _, p := range groups {
		if id := b.byGroup[p.key]; id != "" && b.cases[id].Status != Closed {
			c := b.cases[id]
			c.Violations = append(c.Violations, p.ids...)
			c.Severity = max(c.Severity, p.sev)
			for _, v := range p.ids {
				b.caseOf[v] = c.ID
			}
			out = append(out, b.record(c, ActViolationsAdded, "system", fmt.Sprintf("%d violations added", len(p.ids))))
			continue
		}
		c := &Case{ID: caseID(p.key + "|" + p.ids[0]), Group: p.g, Severity: p.sev, Status: Candidate, OpenedBy: "system",
			Opened: b.Now().UTC(), Violations: p.ids}
		if cm := b.Agreement.Commitment(p.g.Commitment); cm != nil {
			c.Protocol = cm.Protocol
		}
		b.add(c, p.key)
		what := fmt.Sprintf("%d %s violations of %s", len(p.ids), p.sev, p.g.Commitment)
		if p.minor {
			what = fmt.Sprintf("%d lesser violations of %s reached the escalation count %d", len(p.ids), p.g.Commitment, b.Policy.EscalateMinorAt)
		}
		out = append(out, b.record(c, ActOpened, "system", what))
	}
	return out
}

func (b *Book) add(c *Case, key string) {
	b.cases[c.ID] = c
	b.order = append(b.order, c.ID)
	if key != "" {
		b.byGroup[key] = c.ID
	}
	for _, v := range c.Violations {
		b.caseOf[v] = c.ID
	}
}

// Open opens a case by hand: an analyst's judgement that violations (or a
// matter no rule checks) deserve a response. Party may be "" for an
// unattributed case.
func (b *Book) Open(analyst, commitment, party, reason string, violations []string) (*Case, Transition, error) {
	if strings.TrimSpace(analyst) == "" {
		return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "analyst", "an analyst must be named")
	}
	cm := b.Agreement.Commitment(commitment)
	if cm == nil {
		return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "commitment", "no commitment %q", commitment)
	}
	if party != "" && !slices.Contains(cm.Obligors, party) {
		return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "party", "%q is not an obligor of %s", party, commitment)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "say why the case is opened")
	}
	for i, v := range violations {
		if id := b.caseOf[v]; id != "" {
			return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.ECONFLICT, fmt.Sprintf("violations[%d]", i), "violation %s is already in case %s", v, id)
		}
	}
	now := b.Now().UTC()
	p := party
	if p == "" {
		p = "unattributed"
	}
	c := &Case{ID: caseID(fmt.Sprintf("manual|%s|%s|%s|%d", analyst, commitment, party, now.UnixNano())),
		Group:    Group{Commitment: commitment, Party: p, Area: "all", Period: now.In(b.Agreement.Location()).Format(time.DateOnly)},
		Protocol: cm.Protocol, Severity: Serious, Status: Candidate, Manual: true, OpenedBy: analyst, Opened: now,
		Violations: slices.Clone(violations)}
	if _, dup := b.cases[c.ID]; dup {
		return nil, Transition{}, pactwatch.FieldErrorf(pactwatch.ECONFLICT, "case", "case %s already exists", c.ID)
	}
	b.add(c, "")
	return c, b.record(c, ActOpened, analyst, reason), nil
}

func caseErr(code string, sentinel error, format string, args ...any) error {
	return &pactwatch.Error{Code: code, Field: "case", Err: sentinel, Message: fmt.Sprintf(format, args...)}
}

func (b *Book) live(id, analyst string) (*Case, error) {
	if strings.TrimSpace(analyst) == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "analyst", "an analyst must be named")
	}
	c, err := b.Get(id)
	if err != nil {
		return nil, err
	}
	if c.Status == Closed {
		return nil, caseErr(pactwatch.ECONFLICT, ErrCaseClosed, "case %s is closed (%s)", id, c.Closure)
	}
	return c, nil
}

// Confirm confirms a candidate case. Under the two-person rule the first
// analyst's confirmation is an approval and a second, different analyst
// confirms.
func (b *Book) Confirm(id, analyst string) (Transition, error) {
	c, err := b.live(id, analyst)
	if err != nil {
		return Transition{}, err
	}
	if c.Status != Candidate {
		return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s is %s, not a candidate", id, c.Status)
	}
	if slices.Contains(c.Approvals, analyst) {
		return Transition{}, caseErr(pactwatch.ECONFLICT, ErrSamePerson, "case %s: %s already approved; a second analyst must confirm", id, analyst)
	}
	c.Approvals = append(c.Approvals, analyst)
	if b.Policy.TwoPersonRule && len(c.Approvals) < 2 {
		return b.record(c, ActApproved, analyst, "first approval; a second analyst must confirm"), nil
	}
	c.Status, c.Confirmed = Confirmed, b.Now().UTC()
	return b.record(c, ActConfirmed, analyst, ""), nil
}

// Close closes a case: remedied (only a confirmed one) or withdrawn, with a
// reason either way.
func (b *Book) Close(id, analyst string, how Closure, reason string) (Transition, error) {
	c, err := b.live(id, analyst)
	if err != nil {
		return Transition{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "reason", "say why the case is closed")
	}
	switch how {
	case Withdrawn:
	case Remedied:
		if c.Status != Confirmed {
			return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s is %s: only a confirmed case is remedied", id, c.Status)
		}
	default:
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "closure", "want remedied or withdrawn")
	}
	if d := openDispute(c); d != nil {
		return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s has an open dispute by %s: resolve it first", id, d.Party)
	}
	c.Status, c.Closure, c.Reason, c.Paused = Closed, how, reason, false
	return b.record(c, ActClosed, analyst, string(how)+": "+reason), nil
}

func openDispute(c *Case) *Dispute {
	for _, d := range c.Disputes {
		if d.Resolution == "" {
			return d
		}
	}
	return nil
}

// Dispute records a liaison's dispute of a confirmed case against their
// party (or their guarantor: guarantors are held to their commitments, and
// may answer like the parties), with counter-evidence. One dispute is open
// at a time.
func (b *Book) Dispute(id, party, liaison, position string, evidence []string) (Transition, error) {
	c, err := b.live(id, liaison)
	if err != nil {
		return Transition{}, err
	}
	if b.Agreement.Party(party) == nil && b.Agreement.Guarantor(party) == nil {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "party", "%q is neither a party nor a guarantor", party)
	}
	if c.Group.Party != party {
		return Transition{}, caseErr(pactwatch.EFORBIDDEN, ErrNotParty, "case %s is not against %s", id, party)
	}
	if c.Status != Confirmed {
		return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s is %s: only a confirmed case is disputed", id, c.Status)
	}
	if strings.TrimSpace(position) == "" {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "position", "state the party's position")
	}
	if d := openDispute(c); d != nil {
		return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s already has an open dispute", id)
	}
	c.Disputes = append(c.Disputes, &Dispute{Party: party, Liaison: liaison, Position: position,
		Evidence: slices.Clone(evidence), At: b.Now().UTC()})
	c.Paused = b.Policy.DisputePausesDeadlines
	return b.record(c, ActDisputed, liaison, position), nil
}

// ResolveDispute records an analyst's answer to the open dispute: upheld
// (the case stands) or overturned (the case is withdrawn). Both positions
// stay in the case.
func (b *Book) ResolveDispute(id, analyst, resolution, answer string) (Transition, error) {
	c, err := b.live(id, analyst)
	if err != nil {
		return Transition{}, err
	}
	d := openDispute(c)
	if d == nil {
		return Transition{}, caseErr(pactwatch.EINVALID, ErrCaseTransition, "case %s has no open dispute", id)
	}
	if resolution != Upheld && resolution != Overturned {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "resolution", "want upheld or overturned")
	}
	if strings.TrimSpace(answer) == "" {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "answer", "state the analyst's position")
	}
	d.Resolution, d.Analyst, d.Answer, d.Resolved = resolution, analyst, answer, b.Now().UTC()
	c.Paused = false
	if resolution == Overturned {
		c.Status, c.Closure, c.Reason = Closed, Withdrawn, "dispute by "+d.Party+" upheld: "+answer
	}
	return b.record(c, ActDisputeResolved, analyst, resolution+": "+answer), nil
}
