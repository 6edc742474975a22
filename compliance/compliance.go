// Package compliance evaluates an agreement's commitments against verified
// incidents and other evidence and yields violations, then groups them
// into violation cases that run a response protocol.
//
// Each commitment's typed rule (agreement.Rule) is checked as the agreement
// says — zone phases and commitment dates respected, distances geodesic,
// uncertain positions answered inside / outside / indeterminate with only
// inside a violation — and each violation is attributed only from the
// estimated origin of fire or a reported attribution, never from where a
// shell landed. The package knows nothing of HTTP or SQL and takes its
// clock as an argument.
package compliance

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

// Severity ranks violations. The policy's threshold decides which open a
// case; lesser ones are counted.
type Severity int

const (
	Minor   Severity = 1 // counted and reported, no case of its own
	Serious Severity = 2 // opens a case under the default policy
	Grave   Severity = 3 // strikes, casualties
)

var severityNames = map[Severity]string{Minor: "minor", Serious: "serious", Grave: "grave"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	n, ok := severityNames[s]
	if !ok {
		return nil, fmt.Errorf("compliance: severity %d", int(s))
	}
	return []byte(n), nil
}

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for k, n := range severityNames {
		if n == string(b) {
			*s = k
			return nil
		}
	}
	return pactwatch.FieldErrorf(pactwatch.EINVALID, "severity", "want minor, serious or grave")
}

// Policy holds how violations are evaluated and grouped into cases. An
// agreement sets most fields in `cases:` (package pipeline maps them);
// DefaultPolicy documents the defaults.
type Policy struct {
	// DistanceTolerance is the fraction of a withdrawal distance within
	// which a measured distance is too close to call: the geodesic error
	// bound of package geo (0.1%).
	DistanceTolerance float64 `json:"distance_tolerance"`
	// SiteRadiusKm is the radius of a zone given as a point.
	SiteRadiusKm float64 `json:"site_radius_km"`
	// MinConfidence is the lowest confidence of a reported attribution that
	// attributes ("low", "medium", "high").
	MinConfidence string `json:"min_confidence"`
	// SeriousCount is the number of fire events in one incident from which
	// a ceasefire violation is serious rather than minor.
	SeriousCount int `json:"serious_count"`
	// CaseThreshold is the least severity that opens a case.
	CaseThreshold Severity `json:"case_threshold"`
	// EscalateMinorAt opens one case for a group of lesser violations once
	// it counts this many (0: never).
	EscalateMinorAt int `json:"escalate_minor_at"`
	// AreaCellDeg is the size of the grid squares that cases group by
	// (0: the whole agreement area is one).
	AreaCellDeg float64 `json:"area_cell_deg"`
	// TwoPersonRule requires a second analyst to approve a confirmation.
	TwoPersonRule bool `json:"two_person_rule"`
	// DisputePausesDeadlines pauses a confirmed case's response deadlines
	// while a party's dispute is open.
	DisputePausesDeadlines bool `json:"dispute_pauses_deadlines"`
}

// DefaultPolicy: serious violations open cases grouped by commitment,
// party, half-degree square and reporting day; ten explosions in one
// incident are serious; one person confirms; disputes do not pause.
func DefaultPolicy() Policy {
	return Policy{DistanceTolerance: 0.001, SiteRadiusKm: 2, MinConfidence: "medium", SeriousCount: 10,
		CaseThreshold: Serious, AreaCellDeg: 0.5}
}

// Attribution says which party a violation is attributed to and on what
// basis. Party "" is unattributed: the default.
type Attribution struct {
	Party      string `json:"party,omitempty"`
	Basis      Basis  `json:"basis,omitempty"`
	Confidence string `json:"confidence,omitempty"` // of a reported attribution
	Note       string `json:"note,omitempty"`       // why it is unattributed, when it is
}

// Basis is where an attribution comes from.
type Basis string

const (
	BasisOrigin   Basis = "origin"   // the estimated origin of fire lies in the party's controlled area
	BasisReported Basis = "reported" // a source's reported attribution with sufficient confidence
	BasisPosition Basis = "position" // a weapon, force or checkpoint stands in the party's controlled area
	BasisSite     Basis = "site"     // the party's own declared holding area
	BasisObligor  Basis = "obligor"  // the commitment's obligors, jointly (levels, milestones)
	BasisAnalyst  Basis = "analyst"  // an analyst's manual finding
)

// Violation is one breach of one commitment.
type Violation struct {
	ID              string            `json:"id"`
	Commitment      string            `json:"commitment"`
	Rule            string            `json:"rule"`
	Obligors        []string          `json:"obligors,omitempty"` // for joint obligations: who owes it together
	Attribution     Attribution       `json:"attribution"`
	Severity        Severity          `json:"severity"`
	At              time.Time         `json:"at"`
	Incident        string            `json:"incident,omitempty"`
	IncidentVersion int               `json:"incident_version,omitempty"`
	Observations    []string          `json:"observations,omitempty"`
	Where           *incident.Disc    `json:"where,omitempty"`
	Categories      []vocab.Category  `json:"categories,omitempty"`
	Count           int               `json:"count,omitempty"` // events (fire) or weapons
	WeaponClass     vocab.WeaponClass `json:"weapon_class,omitempty"`
	DistanceKm      float64           `json:"distance_km,omitempty"`
	LimitKm         float64           `json:"limit_km,omitempty"`
	Detail          string            `json:"detail"`
	Evidence        []string          `json:"evidence,omitempty"`
}

// Party is the attributed party or "" (unattributed or joint).
func (v *Violation) Party() string { return v.Attribution.Party }

// Check is an evaluation that could not decide: a position whose
// uncertainty straddles a limit or boundary. Analysts see these so they can
// seek a better fix; they are never violations.
type Check struct {
	Commitment    string            `json:"commitment"`
	Incident      string            `json:"incident"`
	Outcome       Outcome           `json:"outcome"`
	WeaponClass   vocab.WeaponClass `json:"weapon_class,omitempty"`
	DistanceKm    float64           `json:"distance_km,omitempty"`
	LimitKm       float64           `json:"limit_km,omitempty"`
	UncertaintyKm float64           `json:"uncertainty_km,omitempty"`
	Detail        string            `json:"detail"`
}

// Inputs is the evidence to evaluate. Only verified incidents are
// evaluated; others are ignored.
type Inputs struct {
	Incidents   []*incident.Incident
	Levels      []LevelReport
	Completions []Completion
	Findings    []Finding
	Inspections []Inspection
}

// Result is what evaluation found.
type Result struct {
	Violations    []Violation `json:"violations"`
	Indeterminate []Check     `json:"indeterminate"`
	Evaluated     int         `json:"evaluated"` // verified incidents evaluated
}

// Evaluator is an agreement prepared for evaluation: zones and lines
// indexed once, commitments' windows resolved. It is immutable and safe
// for concurrent use.
type Evaluator struct {
	agreement   *agreement.Agreement
	policy      Policy
	zones       map[string]*zoneAreas
	lines       map[string]*lineIndex
	controlled  []*zoneAreas
	commitments []*commitment
}

// commitment is a commitment with its window resolved.
type commitment struct {
	*agreement.Commitment
	start, end time.Time // end zero: open-ended
	from       time.Time // fire_in_zone's own start
	categories map[vocab.Category]bool
}

func (c *commitment) active(t time.Time) bool {
	return !t.Before(c.start) && (c.end.IsZero() || t.Before(c.end)) && !t.Before(c.from)
}

// New prepares a for evaluation under the policy.
func New(a *agreement.Agreement, p Policy) (*Evaluator, error) {
	if a == nil {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "no agreement")
	}
	e := &Evaluator{agreement: a, policy: p, zones: map[string]*zoneAreas{}, lines: map[string]*lineIndex{}}
	if err := e.prepareZones(); err != nil {
		return nil, pactwatch.Internal(err)
	}
	loc := a.Location()
	effective, _ := a.Effective.In(loc)
	for _, c := range a.Commitments {
		pc := &commitment{Commitment: c, start: effective}
		if c.Start != "" {
			pc.start, _ = c.Start.In(loc)
		}
		switch {
		case c.End != "":
			pc.end, _ = c.End.In(loc)
		case c.Duration != "":
			pc.end = c.Duration.AddTo(pc.start)
		case a.Duration != "" && !effective.IsZero():
			pc.end = a.Duration.AddTo(effective)
		}
		if c.Rule.From != "" {
			pc.from, _ = c.Rule.From.In(loc)
		}
		cats := c.Rule.Categories
		if len(cats) == 0 && c.Rule.Kind == agreement.RuleMissionRestriction {
			cats = agreement.DefaultMissionCategories
		}
		if len(cats) == 0 && c.Rule.Kind == agreement.RuleFireInZone {
			for _, cat := range vocab.Categories() {
				if f := cat.Family(); f == vocab.FamilyFire || f == vocab.FamilyStrike {
					cats = append(cats, cat)
				}
			}
		}
		pc.categories = map[vocab.Category]bool{}
		for _, cat := range cats {
			pc.categories[cat] = true
		}
		e.commitments = append(e.commitments, pc)
	}
	return e, nil
}

// Agreement returns the agreement being evaluated.
func (e *Evaluator) Agreement() *agreement.Agreement { return e.agreement }

// Policy returns the evaluation policy.
func (e *Evaluator) Policy() Policy { return e.policy }

// Evaluate checks every commitment against the inputs as of now (levels
// and milestones fall due by now). Incidents are evaluated in parallel
// across the machine's cores; the result is sorted by time, then id, so it
// does not depend on scheduling. Invalid level reports, completions,
// findings or inspections fail the whole evaluation with an error naming
// the input.
func (e *Evaluator) Evaluate(ctx context.Context, in Inputs, now time.Time) (*Result, error) {
	res := &Result{}
	if err := e.evaluateRecords(in, now, res); err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	n := len(in.Incidents)
	chunk := max(1024, (n+workers*8-1)/(workers*8))
	type part struct {
		vs  []Violation
		cs  []Check
		cnt int
	}
	var mu sync.Mutex
	var parts []part
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p part
			for lo := range next {
				for _, inc := range in.Incidents[lo:min(lo+chunk, n)] {
					if inc == nil || inc.Status != incident.Verified {
						continue
					}
					p.cnt++
					e.evaluateIncident(inc, &p.vs, &p.cs)
				}
			}
			mu.Lock()
			parts = append(parts, p)
			mu.Unlock()
		}()
	}
	var err error
feed:
	for lo := 0; lo < n; lo += chunk {
		select {
		case next <- lo:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "evaluation cancelled: %v", err)
	}
	for _, p := range parts {
		res.Violations = append(res.Violations, p.vs...)
		res.Indeterminate = append(res.Indeterminate, p.cs...)
		res.Evaluated += p.cnt
	}
	slices.SortFunc(res.Violations, func(a, b Violation) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	slices.SortFunc(res.Indeterminate, func(a, b Check) int {
		if c := strings.Compare(a.Incident, b.Incident); c != 0 {
			return c
		}
		return strings.Compare(a.Commitment, b.Commitment)
	})
	return res, nil
}

// evaluateIncident applies every active commitment's rule to one verified
// incident.
func (e *Evaluator) evaluateIncident(inc *incident.Incident, vs *[]Violation, cs *[]Check) {
	t := inc.First
	cats := inc.Categories()
	for _, c := range e.commitments {
		if !c.active(t) {
			continue
		}
		switch c.Rule.Kind {
		case agreement.RuleFireInZone:
			e.fireInZone(c, inc, cats, vs, cs)
		case agreement.RuleWeaponDistance:
			e.weaponDistance(c, inc, vs, cs)
		case agreement.RuleHoldingInventory:
			e.holdingReport(c, inc, vs)
		case agreement.RuleMissionRestriction:
			e.missionRestriction(c, inc, cats, vs)
		case agreement.RuleZoneIncursion:
			e.zoneIncursion(c, inc, vs, cs)
		}
	}
}

// newViolation fills what every incident-based violation shares.
func newViolation(c *commitment, inc *incident.Incident, suffix string) Violation {
	id := c.ID + "/" + inc.ID
	if suffix != "" {
		id += "/" + suffix
	}
	var ev []string
	for i := range inc.Reports {
		ev = append(ev, inc.Reports[i].Evidence...)
	}
	slices.Sort(ev)
	return Violation{
		ID: id, Commitment: c.ID, Rule: c.Rule.Kind, At: inc.First, Incident: inc.ID,
		IncidentVersion: inc.Version, Observations: sortedObs(inc), Evidence: slices.Compact(ev),
	}
}

func sortedObs(inc *incident.Incident) []string {
	ids := inc.ObservationIDs()
	slices.Sort(ids)
	return ids
}

func isObligor(c *commitment, party string) bool { return slices.Contains(c.Obligors, party) }

// attributeTo keeps an attribution only when it names an obligor of the
// commitment: a violation of a party's commitment cannot be another's.
func attributeTo(c *commitment, a Attribution) Attribution {
	if a.Party != "" && !isObligor(c, a.Party) {
		return Attribution{Note: fmt.Sprintf("attributed to %s, which is not an obligor", a.Party)}
	}
	return a
}

// round3 rounds km to metres for stable records.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
