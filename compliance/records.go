package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/vocab"
)

// LevelReport is a level reported for a level_below commitment's period
// (e.g. personnel funded in a quarter). Reports for one period are summed:
// the minimum is the obligors' joint level.
type LevelReport struct {
	Commitment string         `json:"commitment"`
	Period     agreement.Date `json:"period"` // the first day of the period
	Value      float64        `json:"value"`
	ReportedBy string         `json:"reported_by,omitempty"` // the obligor or the mission
	Evidence   []string       `json:"evidence,omitempty"`
}

// Completion is evidence that a milestone was met.
type Completion struct {
	Commitment string    `json:"commitment"`
	At         time.Time `json:"at"`
	Evidence   []string  `json:"evidence"` // hashes of the evidence; required
	RecordedBy string    `json:"recorded_by"`
}

// Finding is an analyst's manual finding of a violation of a commitment
// no rule can check (non-interference, economic coercion, cyber attacks),
// with its evidence.
type Finding struct {
	ID         string    `json:"id"`
	Commitment string    `json:"commitment"`
	Party      string    `json:"party"` // the obligor found in breach
	At         time.Time `json:"at"`    // when the breach happened
	Analyst    string    `json:"analyst"`
	Summary    string    `json:"summary"`
	Severity   Severity  `json:"severity,omitempty"` // default serious
	Evidence   []string  `json:"evidence,omitempty"`
	Incidents  []string  `json:"incidents,omitempty"`
}

// Inspection is the mission's count of the weapons at a holding area.
type Inspection struct {
	ID        string                    `json:"id"`
	Zone      string                    `json:"zone"`
	At        time.Time                 `json:"at"`
	Counted   map[vocab.WeaponClass]int `json:"counted"`
	Inspector string                    `json:"inspector"`
	Evidence  []string                  `json:"evidence,omitempty"`
}

func (e *Evaluator) commitmentOf(field, id, kind string) (*commitment, error) {
	for _, c := range e.commitments {
		if c.ID == id {
			if kind != "" && c.Rule.Kind != kind {
				return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field, "commitment %s has a %s rule, not %s", id, c.Rule.Kind, kind)
			}
			return c, nil
		}
	}
	return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, field, "no commitment %q", id)
}

// evaluateRecords evaluates what is not an incident: levels, milestones,
// inspections and manual findings.
func (e *Evaluator) evaluateRecords(in Inputs, now time.Time, res *Result) error {
	levels := map[string]map[agreement.Date][]LevelReport{}
	for i, l := range in.Levels {
		f := fmt.Sprintf("levels[%d]", i)
		if _, err := e.commitmentOf(f+".commitment", l.Commitment, agreement.RuleLevelBelow); err != nil {
			return err
		}
		if _, err := l.Period.In(e.agreement.Location()); err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, f+".period", "%v", err)
		}
		if l.Value < 0 {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, f+".value", "a level cannot be negative")
		}
		if levels[l.Commitment] == nil {
			levels[l.Commitment] = map[agreement.Date][]LevelReport{}
		}
		levels[l.Commitment][l.Period] = append(levels[l.Commitment][l.Period], l)
	}
	done := map[string][]Completion{}
	for i, c := range in.Completions {
		f := fmt.Sprintf("completions[%d]", i)
		if _, err := e.commitmentOf(f+".commitment", c.Commitment, agreement.RuleMilestone); err != nil {
			return err
		}
		if len(c.Evidence) == 0 {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, f+".evidence", "a completion needs evidence")
		}
		done[c.Commitment] = append(done[c.Commitment], c)
	}
	for _, c := range e.commitments {
		switch c.Rule.Kind {
		case agreement.RuleLevelBelow:
			e.levelBelow(c, levels[c.ID], now, res)
		case agreement.RuleMilestone:
			e.milestone(c, done[c.ID], now, res)
		}
	}
	for i, f := range in.Findings {
		v, err := e.finding(fmt.Sprintf("findings[%d]", i), f)
		if err != nil {
			return err
		}
		res.Violations = append(res.Violations, v)
	}
	for i, insp := range in.Inspections {
		vs, err := e.inspection(fmt.Sprintf("inspections[%d]", i), insp)
		if err != nil {
			return err
		}
		res.Violations = append(res.Violations, vs...)
	}
	return nil
}

// levelBelow checks each period that has ended by now: the period's
// reported levels summed against the minimum; a period with no report is
// a violation too (the commitment includes reporting).
func (e *Evaluator) levelBelow(c *commitment, byPeriod map[agreement.Date][]LevelReport, now time.Time, res *Result) {
	loc := e.agreement.Location()
	for start := c.start; ; {
		end := c.Rule.Period.AddTo(start)
		if !end.After(start) || end.After(now) || (!c.end.IsZero() && !start.Before(c.end)) {
			return
		}
		day := agreement.Date(start.In(loc).Format(time.DateOnly))
		reports := byPeriod[day]
		total := 0.0
		var ev []string
		for _, r := range reports {
			total += r.Value
			ev = append(ev, r.Evidence...)
		}
		if total < c.Rule.Minimum {
			v := Violation{ID: c.ID + "/" + string(day), Commitment: c.ID, Rule: c.Rule.Kind, At: end,
				Obligors: slices.Clone(c.Obligors), Attribution: Attribution{Basis: BasisObligor}, Severity: Serious,
				Evidence: ev}
			if len(reports) == 0 {
				v.Detail = fmt.Sprintf("no %s reported for the period from %s", c.Rule.Metric, day)
			} else {
				v.Detail = fmt.Sprintf("%s %g %s for the period from %s, below %g", c.Rule.Metric, total, c.Rule.Unit, day, c.Rule.Minimum)
			}
			res.Violations = append(res.Violations, v)
		}
		start = end
	}
}

// milestone: past its due date (start of the day, in the agreement's zone)
// without a completion evidenced on or before it.
func (e *Evaluator) milestone(c *commitment, done []Completion, now time.Time, res *Result) {
	due, err := c.Rule.Due.In(e.agreement.Location())
	if err != nil || now.Before(due) {
		return
	}
	for _, d := range done {
		if !d.At.After(due) {
			return
		}
	}
	detail := fmt.Sprintf("due %s without evidence: %s", c.Rule.Due, c.Rule.Evidence)
	if len(done) > 0 {
		detail = fmt.Sprintf("due %s, completed late (%s)", c.Rule.Due, done[0].At.UTC().Format(time.DateOnly))
	}
	res.Violations = append(res.Violations, Violation{ID: c.ID + "/due", Commitment: c.ID, Rule: c.Rule.Kind, At: due,
		Obligors: slices.Clone(c.Obligors), Attribution: Attribution{Basis: BasisObligor}, Severity: Serious, Detail: detail})
}

// finding validates a manual finding and makes it a violation.
func (e *Evaluator) finding(field string, f Finding) (Violation, error) {
	switch {
	case strings.TrimSpace(f.ID) == "":
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "a finding needs an id")
	case strings.TrimSpace(f.Analyst) == "":
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".analyst", "a finding names its analyst")
	case strings.TrimSpace(f.Summary) == "":
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".summary", "a finding says what was found")
	case len(f.Evidence) == 0 && len(f.Incidents) == 0:
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".evidence", "a finding rests on evidence or incidents")
	case f.At.IsZero():
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".at", "a finding says when the breach happened")
	}
	c, err := e.commitmentOf(field+".commitment", f.Commitment, "")
	if err != nil {
		return Violation{}, err
	}
	if !isObligor(c, f.Party) {
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".party", "%q is not an obligor of %s", f.Party, c.ID)
	}
	if !c.active(f.At) {
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".at", "commitment %s is not in force then", c.ID)
	}
	sev := f.Severity
	if sev == 0 {
		sev = Serious
	}
	if _, ok := severityNames[sev]; !ok {
		return Violation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".severity", "want minor, serious or grave")
	}
	return Violation{ID: c.ID + "/finding/" + f.ID, Commitment: c.ID, Rule: agreement.RuleManual, At: f.At.UTC(),
		Attribution: Attribution{Party: f.Party, Basis: BasisAnalyst}, Severity: sev, Detail: f.Summary,
		Evidence: slices.Clone(f.Evidence), Observations: slices.Clone(f.Incidents)}, nil
}

// inspection compares an inspection's counts with the holding area's
// declared inventory, for every holding_inventory commitment covering the
// area: each class counted short is a violation by the area's party.
func (e *Evaluator) inspection(field string, in Inspection) ([]Violation, error) {
	za := e.zones[in.Zone]
	switch {
	case strings.TrimSpace(in.ID) == "":
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "an inspection needs an id")
	case za == nil || za.zone.Kind != agreement.HoldingArea:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".zone", "%q is not a holding area", in.Zone)
	case in.At.IsZero():
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".at", "an inspection has a time")
	}
	for wc, n := range in.Counted {
		if n < 0 {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".counted."+string(wc), "a count cannot be negative")
		}
	}
	var out []Violation
	for _, c := range e.commitments {
		if c.Rule.Kind != agreement.RuleHoldingInventory || !slices.Contains(c.Rule.Zones, in.Zone) || !c.active(in.At) {
			continue
		}
		classes := make([]string, 0, len(za.zone.Inventory))
		for wc := range za.zone.Inventory {
			classes = append(classes, wc)
		}
		slices.Sort(classes)
		for _, wc := range classes {
			declared := za.zone.Inventory[wc]
			missing := declared - in.Counted[vocab.WeaponClass(wc)]
			if missing <= 0 {
				continue
			}
			out = append(out, Violation{ID: c.ID + "/inspection/" + in.ID + "/" + wc, Commitment: c.ID, Rule: c.Rule.Kind,
				At: in.At.UTC(), Attribution: attributeTo(c, Attribution{Party: za.zone.Party, Basis: BasisSite}),
				Severity: Serious, WeaponClass: vocab.WeaponClass(wc), Count: missing, Evidence: slices.Clone(in.Evidence),
				Detail: fmt.Sprintf("%d of %d declared %s missing from %s at inspection %s", missing, declared, wc, in.Zone, in.ID)})
		}
	}
	return out, nil
}
