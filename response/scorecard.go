package response

import (
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
)

// Window is a period [From, Until) of a scorecard.
type Window struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// CaseWindows is the scorecard's windows of every from the day of the
// first confirmation (in the agreement's time zone) to asOf; every empty,
// or no cases, means one overall window (nil).
func CaseWindows(a *agreement.Agreement, cases []Case, asOf time.Time, every agreement.Duration) ([]Window, error) {
	if every == "" || len(cases) == 0 {
		return nil, nil
	}
	if _, _, err := every.Parse(); err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "every", "%v", err)
	}
	first := cases[0].Confirmed
	for _, c := range cases {
		if c.Confirmed.Before(first) {
			first = c.Confirmed
		}
	}
	loc := a.Location()
	start, err := agreement.Date(first.In(loc).Format(time.DateOnly)).In(loc)
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	return Windows(start, asOf, every), nil
}

// Windows cuts [from, until) into consecutive windows of the calendar
// duration every (the last one may be shorter).
func Windows(from, until time.Time, every agreement.Duration) []Window {
	var out []Window
	for t := from; t.Before(until); {
		next := every.AddTo(t)
		if !next.After(t) {
			break // an invalid duration: no progress
		}
		out = append(out, Window{From: t, Until: earlier(next, until)})
		t = next
	}
	return out
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Tally counts one actor's steps. A step is due once its deadline has
// passed (as of the scorecard's time) or it was done; steps ended by a
// remedy before their deadline and steps cancelled with a withdrawn case
// are not due and count only in Ended. Due = OnTime + Late + Missed +
// Overdue.
type Tally struct {
	Due     int `json:"due"`
	OnTime  int `json:"on_time"`
	Late    int `json:"late"`
	Missed  int `json:"missed"`
	Overdue int `json:"overdue"` // past the deadline, still open
	Pending int `json:"pending"` // not yet due
	Ended   int `json:"ended"`   // ended or cancelled with the case
	// MedianToAct is the median time from the run's start to the recorded
	// action, over steps done on time or late (0 when none).
	MedianToAct time.Duration `json:"median_to_act_ns"`
	// MedianHours is MedianToAct in hours, for people.
	MedianHours float64 `json:"median_to_act_hours"`

	toAct []time.Duration
}

func (t *Tally) add(r *Run, s *Step, asOf time.Time, paused bool) {
	switch s.State {
	case Done:
		t.Due++
		t.OnTime++
		t.toAct = append(t.toAct, s.Done.At.Sub(r.Started))
	case DoneLate:
		t.Due++
		t.Late++
		t.toAct = append(t.toAct, s.Done.At.Sub(r.Started))
	case Missed:
		t.Due++
		t.Missed++
	case Ended, Cancelled:
		t.Ended++
	default: // pending or overdue: judged against the deadline, as of asOf
		if s.State == Overdue || (asOf.After(s.Deadline) && !paused) {
			t.Due++
			t.Overdue++
		} else {
			t.Pending++
		}
	}
}

func (t *Tally) finish() {
	if len(t.toAct) == 0 {
		return
	}
	slices.Sort(t.toAct)
	n := len(t.toAct)
	t.MedianToAct = t.toAct[n/2]
	if n%2 == 0 {
		t.MedianToAct = (t.toAct[n/2-1] + t.toAct[n/2]) / 2
	}
	t.MedianHours = t.MedianToAct.Hours()
	t.toAct = nil
}

// ActorScore is one actor's record: overall and per window (by the step's
// deadline).
type ActorScore struct {
	Actor     string  `json:"actor"`
	Guarantor bool    `json:"guarantor"` // a guarantor state (else the mission or a party)
	Overall   Tally   `json:"overall"`
	Windows   []Tally `json:"windows"`
}

// CaseCount is the confirmed cases of one commitment or party: in total
// and per window (by confirmation time). Withdrawn cases are not counted.
type CaseCount struct {
	ID      string `json:"id"`
	Total   int    `json:"total"`
	Windows []int  `json:"windows"`
}

// Scorecard is the measured answer to "is this guarantee real?".
type Scorecard struct {
	AsOf        time.Time    `json:"as_of"`
	Windows     []Window     `json:"windows"`
	Actors      []ActorScore `json:"actors"`
	Commitments []CaseCount  `json:"commitments"`
	Parties     []CaseCount  `json:"parties"`
}

// Score computes the scorecard of the runs and cases as of asOf: a pure
// function, so the API, the CLI and a report compute the same figures from
// the same records. Actors are sorted by id; a is used only to tell
// guarantors from other actors (nil: every actor but the mission counts as
// a guarantor).
func Score(a *agreement.Agreement, runs []*Run, cases []Case, asOf time.Time, windows []Window) Scorecard {
	sc := Scorecard{AsOf: asOf.UTC(), Windows: windows, Actors: []ActorScore{}, Commitments: []CaseCount{}, Parties: []CaseCount{}}
	actors := map[string]*ActorScore{}
	paused := map[string]bool{} // a paused case's pending deadlines stand still
	for _, c := range cases {
		paused[c.ID] = !c.Paused.IsZero()
	}
	for _, r := range runs {
		for _, s := range r.Steps {
			as := actors[s.Actor]
			if as == nil {
				g := s.Actor != agreement.ActorMission
				if a != nil {
					gg := a.Guarantor(s.Actor)
					g = gg != nil
				}
				as = &ActorScore{Actor: s.Actor, Guarantor: g, Windows: make([]Tally, len(windows))}
				actors[s.Actor] = as
			}
			as.Overall.add(r, s, asOf, paused[r.Case])
			if w := windowOf(windows, s.Deadline); w >= 0 {
				as.Windows[w].add(r, s, asOf, paused[r.Case])
			}
		}
	}
	for _, as := range actors {
		as.Overall.finish()
		for i := range as.Windows {
			as.Windows[i].finish()
		}
		sc.Actors = append(sc.Actors, *as)
	}
	slices.SortFunc(sc.Actors, func(x, y ActorScore) int { return strings.Compare(x.Actor, y.Actor) })
	com, par := map[string]*CaseCount{}, map[string]*CaseCount{}
	count := func(m map[string]*CaseCount, id string, t time.Time) {
		cc := m[id]
		if cc == nil {
			cc = &CaseCount{ID: id, Windows: make([]int, len(windows))}
			m[id] = cc
		}
		cc.Total++
		if w := windowOf(windows, t); w >= 0 {
			cc.Windows[w]++
		}
	}
	for _, c := range cases {
		if c.Closure == Withdrawn || c.Confirmed.After(asOf) {
			continue
		}
		count(com, c.Commitment, c.Confirmed)
		party := c.Party
		if party == "" {
			party = "unattributed"
		}
		count(par, party, c.Confirmed)
	}
	sc.Commitments = sortedCounts(com)
	sc.Parties = sortedCounts(par)
	return sc
}

func sortedCounts(m map[string]*CaseCount) []CaseCount {
	out := []CaseCount{}
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y CaseCount) int { return strings.Compare(x.ID, y.ID) })
	return out
}

func windowOf(ws []Window, t time.Time) int {
	for i, w := range ws {
		if !t.Before(w.From) && t.Before(w.Until) {
			return i
		}
	}
	return -1
}
