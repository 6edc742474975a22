// Package incident turns observation records into incidents — the events
// that one or more reports describe — and runs the analysts' review of them.
//
// A Tracker clusters records online as they arrive: same category family,
// near in time, and near in space allowing for each position's uncertainty;
// direction-of-fire reports join when their bearing lines point at the same
// origin, which is then triangulated. Counts are combined without double
// counting. Incidents are versioned: every change (a report added, a merge,
// a split, a decision) is a new version with who and why, and nothing is
// ever deleted. Review is a pure state machine with an injected clock:
// a queue, expiring claims, and decisions whose records are ledger entries.
//
// The package knows nothing of HTTP or SQL; a Tracker is not safe for
// concurrent use (the server serialises calls to it).
package incident

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Status is where an incident stands in review.
type Status string

const (
	Reported     Status = "reported"     // awaiting review, not corroborated
	Corroborated Status = "corroborated" // awaiting review, independent sources agree
	Verified     Status = "verified"     // an analyst verified it: compliance evaluates it
	Rejected     Status = "rejected"     // an analyst rejected it (with a RejectReason)
	Disputed     Status = "disputed"     // an analyst marked it disputed; it needs a further decision
	Merged       Status = "merged"       // merged into another incident (MergedInto); kept, never deleted
)

// Open reports whether the incident still awaits a decision.
func (s Status) Open() bool { return s == Reported || s == Corroborated || s == Disputed }

// Disc is a position with its uncertainty: the true point lies within
// RadiusKm of Point. Point is [longitude, latitude].
type Disc struct {
	Point    orb.Point `json:"point"`
	RadiusKm float64   `json:"radius_km"`
}

// Report is what an incident keeps of one observation record: enough to
// cluster, count, corroborate, attribute and cite it.
type Report struct {
	ID          string                   `json:"id"`
	Seq         int64                    `json:"seq,omitempty"`
	Reporter    string                   `json:"reporter"`
	SourceType  vocab.SourceType         `json:"source_type"`
	Grade       vocab.Grade              `json:"grade"`
	Category    vocab.Category           `json:"category"`
	Count       int                      `json:"count"`
	WeaponClass vocab.WeaponClass        `json:"weapon_class,omitempty"`
	CalibreMM   float64                  `json:"calibre_mm,omitempty"`
	At          time.Time                `json:"at"`    // observed_at
	Until       time.Time                `json:"until"` // end of the time precision's interval
	Observer    *Disc                    `json:"observer,omitempty"`
	Target      *Disc                    `json:"target,omitempty"`
	Origin      *Disc                    `json:"origin,omitempty"`
	Fire        *observation.Fire        `json:"fire,omitempty"`
	Attribution *observation.Attribution `json:"attribution,omitempty"`
	Evidence    []string                 `json:"evidence,omitempty"`
}

// precision is how long the interval a time precision stands for lasts.
var precision = map[string]time.Duration{
	observation.PrecisionSecond: time.Second, observation.PrecisionMinute: time.Minute,
	observation.PrecisionHour: time.Hour, observation.PrecisionDay: 24 * time.Hour,
	observation.PrecisionWeek: 7 * 24 * time.Hour, observation.PrecisionMonth: 31 * 24 * time.Hour,
}

// FromRecord extracts the Report of an accepted observation record.
func FromRecord(r *observation.Record) Report {
	o := &r.Observation
	rep := Report{
		ID: o.ID, Seq: r.Seq, Reporter: o.Reporter, SourceType: o.SourceType, Grade: o.Grade,
		Category: o.Category, Count: max(o.Count, 1), WeaponClass: o.WeaponClass, CalibreMM: o.CalibreMM,
		At: o.ObservedAt.UTC(), Observer: disc(o.Observer), Target: disc(o.Target), Origin: disc(o.Origin),
		Evidence: o.Evidence,
	}
	rep.Until = rep.At.Add(precision[o.TimePrecision])
	if rep.Until.Equal(rep.At) {
		rep.Until = rep.At.Add(time.Second)
	}
	if o.Fire != nil && o.Observer != nil && !math.IsNaN(o.Fire.BearingDeg) {
		f := *o.Fire
		rep.Fire = &f
	}
	if o.Attribution != nil {
		a := *o.Attribution
		rep.Attribution = &a
	}
	return rep
}

func disc(p *observation.Position) *Disc {
	if p == nil {
		return nil
	}
	return &Disc{Point: orb.Point{p.Lon, p.Lat}, RadiusKm: p.UncertaintyM / 1000}
}

// Incident is one event as the reports describe it, at its latest version.
// Everything but ID, Version, Status, MergedInto, Claim and History is
// derived from Reports (see recompute).
type Incident struct {
	ID         string       `json:"id"`
	Version    int          `json:"version"`
	Status     Status       `json:"status"`
	Family     vocab.Family `json:"family"`
	Reports    []Report     `json:"reports"`
	MergedInto string       `json:"merged_into,omitempty"`

	First time.Time `json:"first"` // earliest start of a report's time interval
	Last  time.Time `json:"last"`  // latest end of one
	// Location is where the event happened (impact, sighting): the
	// inverse-variance mean of the reports' targets (or observers, for
	// reports with neither target, origin nor bearing).
	Location *Disc `json:"location,omitempty"`
	// Origin is the estimated origin of fire: triangulated from two or more
	// bearings, combined with reported origins. Attribution uses only this.
	Origin *Disc `json:"origin,omitempty"`
	// Counts holds, per category, the number of events without double
	// counting: the largest of the reporters' totals (see CombineCounts).
	Counts map[vocab.Category]int `json:"counts"`
	// Weapons holds, per weapon class, the number of weapons seen, combined
	// the same way.
	Weapons      map[vocab.WeaponClass]int `json:"weapons,omitempty"`
	Corroborated bool                      `json:"corroborated"`
	BestGrade    vocab.Grade               `json:"best_grade"`

	Claim    *Claim    `json:"claim,omitempty"`
	Decision *Decision `json:"decision,omitempty"` // the latest review decision, if any
	History  []Change  `json:"history"`

	idx indexed // what the tracker's index holds for it
}

// Categories returns the incident's categories in a stable order.
func (inc *Incident) Categories() []vocab.Category {
	var out []vocab.Category
	for _, c := range allCategories {
		if _, ok := inc.Counts[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

var allCategories = vocab.Categories()

// ObservationIDs returns the ids of the incident's reports in order of
// acceptance.
func (inc *Incident) ObservationIDs() []string {
	ids := make([]string, len(inc.Reports))
	for i := range inc.Reports {
		ids[i] = inc.Reports[i].ID
	}
	return ids
}

// Claim says an analyst is reviewing the incident until Until.
type Claim struct {
	Analyst string    `json:"analyst"`
	Until   time.Time `json:"until"`
}

// Change is one version of an incident: what changed, who did it, why.
type Change struct {
	Version      int       `json:"version"`
	At           time.Time `json:"at"`
	By           string    `json:"by"` // an analyst's id, or System
	Action       Action    `json:"action"`
	Reason       string    `json:"reason,omitempty"`
	Status       Status    `json:"status"`                 // status after the change
	Observations []string  `json:"observations,omitempty"` // reports added or moved
	Related      []string  `json:"related,omitempty"`      // incidents merged from/into, split to/from
}

// Action is the kind of change a version records.
type Action string

const (
	ActionCreated    Action = "created"     // first report
	ActionAdded      Action = "added"       // clustering added a report
	ActionMergedFrom Action = "merged_from" // reports of Related moved in
	ActionMergedInto Action = "merged_into" // this incident was merged into Related[0]
	ActionSplitTo    Action = "split_to"    // Observations moved out to Related[0]
	ActionSplitFrom  Action = "split_from"  // created by splitting Related[0]
	ActionDecided    Action = "decided"     // a review decision (see Decision)
)

// System is the actor of automatic changes.
const System = "system"

// CombineCounts returns, per category, the number of distinct events the
// reports describe: each reporter's counts are summed (one reporter's
// successive reports are successive events), and across reporters the
// largest total is taken, because independent reporters of one event report
// the same events (three patrols hearing the same 30 explosions report 30
// each: the incident had 30, not 90). It undercounts only when reporters
// saw disjoint parts of an event, which the mission's counting rules
// resolve by a split, not by summing.
func CombineCounts(reports []Report) map[vocab.Category]int {
	return combine(reports, func(r *Report) (vocab.Category, bool) { return r.Category, true })
}

// combineWeapons is CombineCounts per weapon class of weapon sightings.
func combineWeapons(reports []Report) map[vocab.WeaponClass]int {
	m := combine(reports, func(r *Report) (vocab.WeaponClass, bool) {
		return r.WeaponClass, r.WeaponClass != "" && r.Category.Family() == vocab.FamilyWeapons
	})
	if len(m) == 0 {
		return nil
	}
	return m
}

// combine sums counts per key and reporter, then takes the largest sum
// per key. Incidents hold a handful of reports, so a slice beats maps.
func combine[K comparable](reports []Report, key func(*Report) (K, bool)) map[K]int {
	type acc struct {
		k        K
		reporter string
		n        int
	}
	var sums []acc
	for i := range reports {
		r := &reports[i]
		k, ok := key(r)
		if !ok {
			continue
		}
		found := false
		for j := range sums {
			if sums[j].k == k && sums[j].reporter == r.Reporter {
				sums[j].n += r.Count
				found = true
				break
			}
		}
		if !found {
			sums = append(sums, acc{k, r.Reporter, r.Count})
		}
	}
	out := make(map[K]int, 1)
	for _, a := range sums {
		out[a.k] = max(out[a.k], a.n)
	}
	return out
}

// betterGrade reports whether a is a better Admiralty grade than b: more
// reliable source first, then more credible information.
func betterGrade(a, b vocab.Grade) bool {
	if !b.Valid() {
		return a.Valid()
	}
	if !a.Valid() {
		return false
	}
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return a[1] < b[1]
}

// recompute derives everything that depends on the reports.
func (inc *Incident) recompute(rule Corroboration, cfg *Config) {
	inc.Counts = CombineCounts(inc.Reports)
	inc.Weapons = combineWeapons(inc.Reports)
	inc.BestGrade = ""
	inc.First, inc.Last = time.Time{}, time.Time{}
	for i := range inc.Reports {
		r := &inc.Reports[i]
		if betterGrade(r.Grade, inc.BestGrade) {
			inc.BestGrade = r.Grade
		}
		if inc.First.IsZero() || r.At.Before(inc.First) {
			inc.First = r.At
		}
		if r.Until.After(inc.Last) {
			inc.Last = r.Until
		}
	}
	inc.Location = combineDiscs(inc.Reports, locationOf)
	inc.Origin = estimateOrigin(inc.Reports, cfg)
	inc.Corroborated = rule.Satisfied(inc.Reports)
	if inc.Status == Reported && inc.Corroborated {
		inc.Status = Corroborated
	} else if inc.Status == Corroborated && !inc.Corroborated {
		inc.Status = Reported
	}
}

// locationOf is the disc a report gives for where the event happened: the
// target; else, for a report without origin or bearing, the observer (a
// patrol stopped at a checkpoint reports where it stood).
func locationOf(r *Report) *Disc {
	if r.Target != nil {
		return r.Target
	}
	if r.Origin == nil && r.Fire == nil {
		return r.Observer
	}
	return nil
}

// minRadiusKm keeps inverse-variance weights finite for exact positions.
const minRadiusKm = 0.01

// combineDiscs returns the inverse-variance weighted mean of the discs,
// or nil when no report has one. Its radius is a bound, not a spread: if
// each disc holds the true point, so does the circle around the mean
// reaching the far side of the nearest-fitting disc — min over discs of
// (distance from the mean to its centre + its radius).
func combineDiscs(reports []Report, pick func(*Report) *Disc) *Disc {
	var sw, sx, sy float64
	var ds []*Disc
	for i := range reports {
		d := pick(&reports[i])
		if d == nil {
			continue
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return nil
	}
	if len(ds) == 1 {
		c := *ds[0]
		return &c
	}
	ref := ds[0].Point
	for _, d := range ds {
		r := max(d.RadiusKm, minRadiusKm)
		w := 1 / (r * r)
		x, y := toPlane(ref, d.Point)
		sw += w
		sx += w * x
		sy += w * y
	}
	mx, my := sx/sw, sy/sw
	radius := math.Inf(1)
	for _, d := range ds {
		x, y := toPlane(ref, d.Point)
		radius = min(radius, math.Hypot(x-mx, y-my)+d.RadiusKm)
	}
	return &Disc{Point: fromPlane(ref, mx, my), RadiusKm: radius}
}
