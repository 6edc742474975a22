package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// Hooks are the server's own background work, run in process at each step
// of the simulated clock instead of on their real-time tickers, so that
// the month unfolds the same way on every run: deadlines pass, reports are
// published and runs start exactly when the clock says so.
type Hooks struct {
	// Settle returns once the incident pipeline has processed every
	// accepted observation and decision.
	Settle func(ctx context.Context) error
	// Tick runs the response scheduler at the clock's time and returns the
	// transitions it stored (runs started, steps overdue or missed).
	Tick func(ctx context.Context) (int, error)
	// Publish publishes the daily reports due at the clock's time and
	// returns their record ids.
	Publish func(ctx context.Context) ([]string, error)
}

// MonthResult counts what a simulated month did.
type MonthResult struct {
	Start, End                              time.Time // the simulated span
	Days, Monitors, Observations            int       // Days: whole days before today
	Incidents, Verified, Rejected, Disputed int       // reviewed incidents
	Cases, Confirmed, Withdrawn, Remedied   int       // candidate cases seen, and what became of them
	Runs                                    int       // protocol runs started
	OnTime, Late, Missed                    int       // steps, as the scorecard counts them at the end
	Reports                                 int       // daily reports of the month's days published
}

// StepHours is the simulated time between two rounds of the month: the
// monitors submit, the analysts review, the scheduler ticks and the
// liaisons act every StepHours of simulated time.
const StepHours = 6

// SendHours is how often, in simulated time, the monitors send what they
// have signed.
const SendHours = 2

// MonthStart is where a month of days ending now begins: local midnight
// days days before today in the agreement's time zone, but not before the
// agreement takes effect (nothing could be violated before) — unless it
// takes effect only today or later: then the month is replayed anyway, and
// finds no violations.
func MonthStart(cfg Config, days int, now time.Time) time.Time {
	loc := time.UTC
	if cfg.Agreement != nil {
		loc = cfg.Agreement.Location()
	}
	y, m, d := now.In(loc).Date()
	start := time.Date(y, m, d-days, 0, 0, 0, 0, loc)
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if cfg.Agreement != nil && cfg.Agreement.Effective != "" {
		if eff, err := cfg.Agreement.Effective.In(loc); err == nil && start.Before(eff) && eff.Before(today) {
			start = eff
		}
	}
	return start
}

// Month replays cfg.Days of a monitoring mission through the running
// server on its demo clock, then hands the clock over to real time. Day
// after day, in steps of StepHours: the simulated monitors submit what
// they observed during the step (signed minutes after, received at the
// step's end); the pipeline clusters it; two analysts decide the
// corroborated incidents and reject unsupported open-source claims; they
// confirm a few of the day's candidate cases (the most serious first) and
// withdraw the rest at the day's end (the daily report counts them); some
// confirmed cases are closed as remedied days later; the scheduler ticks;
// the guarantors' liaisons act — on time, late once overdue, or never —;
// due daily reports are published. The last day is today, up to now; the
// incidents of its last hours stay in the queue for a visitor to review.
func Month(ctx context.Context, cfg Config) (MonthResult, error) {
	var res MonthResult
	if cfg.Clock == nil || cfg.Hooks.Settle == nil || cfg.Hooks.Tick == nil || cfg.Hooks.Publish == nil {
		return res, fmt.Errorf("demo: a month needs the server's clock and hooks")
	}
	if cfg.Days <= 0 {
		cfg.Days = 30
	}
	clk := cfg.Clock
	cfg.Now = clk.Now
	end := clk.real()
	start := MonthStart(cfg, cfg.Days, end)
	clk.Advance(start)
	res.Start = start.UTC()
	loc := cfg.Agreement.Location()
	line := contactLine(cfg.Agreement, start)
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "monitors"), 0o700); err != nil {
		return res, err
	}
	mons := Monitors()
	for _, m := range mons {
		if err := register(ctx, cfg, m, start.Add(-24*time.Hour)); err != nil {
			return res, err
		}
	}
	res.Monitors = len(mons)
	g := &generator{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x70616374)), line: line, holdings: holdingAreas(cfg.Agreement)}
	for _, m := range mons {
		g.place(m)
	}
	s := &mission{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6d6f6e74)), res: &res,
		remedy: map[string]time.Time{}, look: map[string]time.Time{}, runs: map[string]bool{}, plan: map[string]time.Time{}, liaisons: map[string]*client.Client{}}
	for i := range s.analysts {
		tok, err := analystToken(ctx, cfg, i+1)
		if err != nil {
			return res, err
		}
		s.analysts[i] = client.New(cfg.Client.BaseURL, tok)
	}
	var err error
	for day := start; day.Before(end); day = nextDay(day, loc) {
		dayEnd := nextDay(day, loc)
		if !dayEnd.After(end) {
			res.Days++ // a whole day; the last one, today, runs up to now
		}
		factor := g.intensity()
		obs := g.dayPlan(mons, day, dayEnd, factor)
		s.confirmedToday, s.quota = 0, 1+s.rng.IntN(2)
		// Yesterday's report is due at its as-of time this morning.
		if s.asOf, err = report.PublishAsOf(day.AddDate(0, 0, -1).Format(time.DateOnly), loc); err != nil {
			return res, err
		}
		for st := day; st.Before(dayEnd) && st.Before(end); st = st.Add(StepHours * time.Hour) {
			en := minTime(st.Add(StepHours*time.Hour), dayEnd)
			last := !en.Before(dayEnd)
			if en.After(end) {
				en, last = end, true
			}
			if err := s.step(ctx, obs, st, en, last, end); err != nil {
				return res, err
			}
		}
	}
	// Hand over to real time: what is due now (the morning's report, the
	// deadlines of the last hours) happens at once, and so on live.
	clk.GoLive()
	res.End = clk.Now().UTC()
	s.asOf = time.Time{} // whatever is due now is published now
	if err := s.serverWork(ctx); err != nil {
		return res, err
	}
	sc, err := cfg.Client.Scorecard(ctx, time.Time{}, "")
	if err != nil {
		return res, fmt.Errorf("demo: scorecard: %w", err)
	}
	for _, a := range sc.Actors {
		if a.Actor == "mission" {
			continue
		}
		res.OnTime += a.Overall.OnTime
		res.Late += a.Overall.Late
		res.Missed += a.Overall.Missed
	}
	return res, nil
}

// dated is an observation and the monitor that submits it.
type dated struct {
	m *Monitor
	o observation.Observation
}

func nextDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// mission is the month's cast at work: the analysts, the liaisons and
// what they remember from one step to the next.
type mission struct {
	cfg            Config
	rng            *rand.Rand
	res            *MonthResult
	analysts       [2]*client.Client
	liaisons       map[string]*client.Client
	quota          int                  // cases the analysts confirm today
	confirmedToday int                  // …and have confirmed so far
	disputedAt     time.Time            // the last incident marked disputed
	remedy         map[string]time.Time // confirmed case → when it is closed as remedied
	look           map[string]time.Time // case → when its steps next change by themselves
	lookAll        bool                 // a case was confirmed: runs may have started anywhere
	asOf           time.Time            // when the previous day's report is due
	published      time.Time            // the as-of time of the last reports published
	open           []string             // confirmed cases whose runs have not all ended, in order
	runs           map[string]bool      // protocol runs seen
	plan           map[string]time.Time // step (run/key/state) → when its actor acts
	firstRemedy    bool
}

// step is one round: submit [st, en)'s observations, review, decide cases,
// let the server's work happen, liaisons act.
func (s *mission) step(ctx context.Context, obs []dated, st, en time.Time, dayLast bool, end time.Time) error {
	// The monitors send what they signed every SendHours: every report is
	// received within a couple of hours of being signed, on the day it was
	// observed. The deadlines and report times in between pass first, at
	// their time.
	from := st.Add(-time.Nanosecond) // reports are signed after they are observed
	for sub := st; sub.Before(en); {
		sub = minTime(sub.Add(SendHours*time.Hour), en)
		arrive := sub.Add(-2 * time.Minute)
		if err := s.until(ctx, arrive); err != nil {
			return err
		}
		s.cfg.Clock.Advance(arrive)
		if err := s.send(ctx, obs, st, en, from, arrive); err != nil {
			return err
		}
		// The pipeline takes them in before the clock moves on, so that
		// its records are stamped in order.
		if err := s.cfg.Hooks.Settle(ctx); err != nil {
			return err
		}
		from = arrive
	}
	// On the last day the analysts leave the last six hours' incidents in
	// the queue for the visitor.
	reviewBefore := en
	if !end.After(en) {
		reviewBefore = end.Add(-6 * time.Hour)
	}
	if err := s.review(ctx, reviewBefore, en); err != nil {
		return err
	}
	if err := s.cfg.Hooks.Settle(ctx); err != nil {
		return err
	}
	if err := s.cases(ctx, dayLast); err != nil {
		return err
	}
	if err := s.until(ctx, en); err != nil {
		return err
	}
	s.cfg.Clock.Advance(en)
	return s.serverWork(ctx)
}

// send submits the reports observed in [st, en) and signed in (from, to],
// each monitor its own batch, all at once as the monitors would: the
// server commits their batches together.
func (s *mission) send(ctx context.Context, obs []dated, st, en, from, to time.Time) error {
	batches := map[*Monitor][]observation.Observation{}
	var order []*Monitor
	for _, d := range obs {
		o := &d.o
		if o.ObservedAt.Before(st) || !o.ObservedAt.Before(en) || !o.SignedAt.After(from) || o.SignedAt.After(to) {
			continue
		}
		if batches[d.m] == nil {
			order = append(order, d.m)
		}
		batches[d.m] = append(batches[d.m], d.o)
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, m := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := batches[m]
			c := client.New(s.cfg.Client.BaseURL, m.token)
			for j := 0; j < len(b) && errs[i] == nil; j += 500 {
				part := b[j:min(j+500, len(b))]
				if err := paced(ctx, func() error { _, err := c.SubmitBatch(ctx, part); return err }); err != nil {
					errs[i] = fmt.Errorf("demo: %s's batch: %w", m.Name, err)
				}
			}
		}()
	}
	wg.Wait()
	for i, m := range order {
		if errs[i] != nil {
			return errs[i]
		}
		s.res.Observations += len(batches[m])
	}
	return nil
}

// until moves the clock through the deadlines, cutoffs and report times
// before t, one at a time: the scheduler ticks and late guarantors act at
// each, so that every record is stamped in order.
func (s *mission) until(ctx context.Context, t time.Time) error {
	for {
		d := s.nextLook()
		if d.IsZero() || !d.Before(t) {
			return nil
		}
		s.cfg.Clock.Advance(d)
		if err := s.serverWork(ctx); err != nil {
			return err
		}
	}
}

// nextLook is the earliest time after the clock's when a case's steps
// change by themselves (a deadline, a cutoff) or a daily report is due;
// zero if none.
func (s *mission) nextLook() time.Time {
	now := s.cfg.Clock.Now()
	var next time.Time
	if s.asOf.After(now) {
		next = s.asOf
	}
	for _, t := range s.look {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// serverWork runs the scheduler and the liaisons, then publishes the
// reports due.
func (s *mission) serverWork(ctx context.Context) error {
	if _, err := s.cfg.Hooks.Tick(ctx); err != nil {
		return fmt.Errorf("demo: response scheduler: %w", err)
	}
	if err := s.respond(ctx); err != nil {
		return err
	}
	if s.asOf.After(s.cfg.Clock.Now()) || s.asOf.Equal(s.published) {
		return nil
	}
	ids, err := s.cfg.Hooks.Publish(ctx)
	if err != nil {
		return fmt.Errorf("demo: reports: %w", err)
	}
	for _, id := range ids {
		// The days before the month (from the agreement's effective day)
		// are published too, empty: the mission had no monitors then.
		if id >= report.RecordID(s.res.Start.In(s.cfg.Agreement.Location()).Format(time.DateOnly)) {
			s.res.Reports++
		}
	}
	s.published = s.asOf
	return nil
}

// review decides the corroborated incidents whose reports all came before
// before, and rejects some unsupported open-source claims.
func (s *mission) review(ctx context.Context, before, now time.Time) error {
	var q client.Incidents
	a := s.analysts[0]
	if err := paced(ctx, func() (err error) {
		q, err = a.Incidents(ctx, client.IncidentQuery{Status: string(incident.Corroborated), Limit: 10000})
		return err
	}); err != nil {
		return fmt.Errorf("demo: the review queue: %w", err)
	}
	for i, raw := range q.Incidents {
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			return err
		}
		if !inc.Last.Before(before) {
			continue
		}
		a := s.analysts[i%2]
		req := client.DecisionRequest{Decision: "verified", Note: "consistent reports; the patrol's and sensors' accounts agree"}
		switch r := s.rng.Float64(); {
		case len(inc.Reports) > 1 && now.Sub(s.disputedAt) > 5*24*time.Hour && r < 0.3:
			req = client.DecisionRequest{Decision: "disputed", Note: "the reports disagree on the place of impact; a second patrol is tasked"}
			s.disputedAt = now
			s.res.Disputed++
		case r < 0.04:
			req = client.DecisionRequest{Decision: "rejected", Reason: "duplicate", Note: "the same shelling as the incident before it, reported late"}
			s.res.Rejected++
		case r < 0.07:
			req = client.DecisionRequest{Decision: "rejected", Reason: "unverifiable", Note: "no imagery; the patrol could not reach the site"}
			s.res.Rejected++
		default:
			s.res.Verified++
		}
		s.res.Incidents++
		if err := paced(ctx, func() error { _, err := a.Decide(ctx, inc.ID, req); return err }); err != nil {
			return fmt.Errorf("demo: deciding %s: %w", inc.ID, err)
		}
	}
	if err := paced(ctx, func() (err error) {
		q, err = a.Incidents(ctx, client.IncidentQuery{Status: string(incident.Reported), Category: "drone_strike,missile_strike,infrastructure_damage,civilian_casualty", Limit: 10000})
		return err
	}); err != nil {
		return fmt.Errorf("demo: the review queue: %w", err)
	}
	for _, raw := range q.Incidents {
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			return err
		}
		// Decided once: a claim left standing is not looked at again.
		if !inc.Last.Before(before) || inc.Last.Before(before.Add(-StepHours*time.Hour)) || len(inc.Reports) != 1 || s.rng.Float64() > 0.4 {
			continue
		}
		req := client.DecisionRequest{Decision: "rejected", Reason: "unverifiable", Note: "a single open-source claim with no corroboration"}
		if err := paced(ctx, func() error { _, err := a.Decide(ctx, inc.ID, req); return err }); err != nil {
			return fmt.Errorf("demo: rejecting %s: %w", inc.ID, err)
		}
		s.res.Incidents++
		s.res.Rejected++
	}
	return nil
}

// cases confirms the day's most serious candidate cases within the day's
// quota (two analysts: the agreement's two-person rule), withdraws the
// rest at the day's end, and closes as remedied the confirmed cases whose
// time has come.
func (s *mission) cases(ctx context.Context, dayLast bool) error {
	a := s.analysts[0]
	var cs client.Cases
	if err := paced(ctx, func() (err error) { cs, err = a.Cases(ctx, string(compliance.Candidate)); return err }); err != nil {
		return fmt.Errorf("demo: listing cases: %w", err)
	}
	cands := make([]compliance.Case, 0, len(cs.Cases))
	for _, raw := range cs.Cases {
		var c compliance.Case
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		cands = append(cands, c)
	}
	// Weapons missing from storage, restrictions of the mission, weapons
	// inside the withdrawal zones, then grave fire: what a mission takes to
	// the guarantors first.
	rank := func(c compliance.Case) int {
		r := int(c.Severity) * 1000
		switch s.ruleOf(c) {
		case agreement.RuleHoldingInventory:
			r += 30000
		case agreement.RuleMissionRestriction:
			r += 20000
		case agreement.RuleFireInZone:
		default:
			r += 10000
		}
		return r + min(len(c.Violations), 999)
	}
	sort.SliceStable(cands, func(i, j int) bool { return rank(cands[i]) > rank(cands[j]) })
	now := s.cfg.Clock.Now()
	for _, c := range cands {
		// Weapons missing from storage always go to the guarantors.
		if s.confirmedToday < s.quota || s.ruleOf(c) == agreement.RuleHoldingInventory {
			if err := s.confirm(ctx, c); err != nil {
				return err
			}
			s.confirmedToday++
			s.lookAll = true
			s.open = append(s.open, c.ID)
			s.res.Cases++
			s.res.Confirmed++
			// Some violations are remedied: the party withdraws the
			// weapon, lifts the restriction, the guarantors' pressure works.
			if s.rng.Float64() < 0.3 {
				s.remedy[c.ID] = now.Add(40*time.Hour + time.Duration(s.rng.IntN(96))*time.Hour)
			}
			continue
		}
		if !dayLast {
			continue
		}
		req := client.CloseRequest{Closure: string(compliance.Withdrawn), Reason: "below the day's escalation: counted in the daily report, not taken to the guarantors"}
		if err := paced(ctx, func() error { _, err := a.CaseAction(ctx, c.ID, "close", req); return err }); err != nil {
			return fmt.Errorf("demo: withdrawing %s: %w", c.ID, err)
		}
		s.res.Cases++
		s.res.Withdrawn++
	}
	ids := make([]string, 0, len(s.remedy))
	for id, at := range s.remedy {
		if !at.After(now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		delete(s.remedy, id)
		req := client.CloseRequest{Closure: string(compliance.Remedied), Reason: "the mission verified the remedy: weapons withdrawn, access restored"}
		if err := paced(ctx, func() error { _, err := a.CaseAction(ctx, id, "close", req); return err }); err != nil {
			return fmt.Errorf("demo: closing %s: %w", id, err)
		}
		s.res.Remedied++
	}
	return nil
}

// ruleOf is the kind of rule of the case's commitment.
func (s *mission) ruleOf(c compliance.Case) string {
	if cm := s.cfg.Agreement.Commitment(c.Group.Commitment); cm != nil {
		return cm.Rule.Kind
	}
	return ""
}

// confirm has the analysts confirm a case: under a two-person rule the
// first approves and the second confirms.
func (s *mission) confirm(ctx context.Context, c compliance.Case) error {
	for _, a := range s.analysts {
		var tr client.TransitionResponse
		if err := paced(ctx, func() (err error) { tr, err = a.CaseAction(ctx, c.ID, "confirm", nil); return err }); err != nil {
			return fmt.Errorf("demo: confirming %s: %w", c.ID, err)
		}
		if tr.Transition.Status == compliance.Confirmed {
			return nil
		}
	}
	return nil
}

// respond has the liaisons (and the mission) act on the steps due, as
// Respond does, on the cases the analysts confirmed. It looks at a case
// again only when something may have changed: a case was confirmed (runs
// start, and a repeated trigger may start one on another case), or one of
// its deadlines or its cutoff has passed.
func (s *mission) respond(ctx context.Context) error {
	a := s.analysts[0]
	now := s.cfg.Clock.Now()
	all := s.lookAll
	s.lookAll = false
	open := s.open[:0]
	for _, id := range s.open {
		if t, ok := s.look[id]; ok && t.After(now) && !all {
			open = append(open, id)
			continue
		}
		var steps client.Steps
		if err := paced(ctx, func() (err error) { steps, err = a.CaseSteps(ctx, id); return err }); err != nil || len(steps.Runs) == 0 {
			s.lookAll = true // the scheduler starts its runs at the next tick
			open = append(open, id)
			continue
		}
		var next time.Time
		for _, run := range steps.Runs {
			if !s.runs[run.ID] {
				s.runs[run.ID] = true
				s.res.Runs++
			}
			for _, st := range run.Steps {
				if st.State == response.Overdue && !s.firstRemedy {
					// The first case with a step overdue is remedied half a
					// day later, so that even a short demo shows steps
					// missed at a closure.
					s.firstRemedy = true
					if _, ok := s.remedy[id]; !ok {
						s.remedy[id] = now.Add(12 * time.Hour)
					}
				}
				if st.State.Final() {
					continue
				}
				soon := func(t time.Time) {
					if t.After(now) && (next.IsZero() || t.Before(next)) {
						next = t
					}
				}
				if at, ok := s.planned(run, st, now); ok {
					if at.After(now) {
						soon(at)
					} else {
						if err := s.act(ctx, run, st); err != nil {
							return err
						}
						continue
					}
				}
				if st.Deadline.After(now) {
					soon(st.Deadline)
				} else {
					soon(run.Cutoff) // overdue: missed at the cutoff, if the case stays open
				}
			}
		}
		if next.IsZero() {
			delete(s.look, id)
			continue
		}
		s.look[id] = next
		open = append(open, id)
	}
	s.open = open
	return nil
}

// planned returns when st's actor acts, if it does in the step's state:
// on-time actors (and the mission) some way into the time the deadline
// leaves them, late ones some hours after the deadline — before the
// cutoff, which a late action does not outlive. The time is drawn when the
// step is first seen in that state.
func (s *mission) planned(run *response.Run, st *response.Step, now time.Time) (time.Time, bool) {
	_, late, ok := whoActs(st)
	if !ok {
		return time.Time{}, false
	}
	key := run.ID + "/" + st.Key + "/" + string(st.State)
	if at, ok := s.plan[key]; ok {
		return at, true
	}
	// Actions fall on even hours: the liaisons' rounds, which also keeps
	// the month's steps few.
	const round = 2 * time.Hour
	var at time.Time
	if late {
		at = st.Deadline.Add(time.Duration(2+s.rng.IntN(34)) * time.Hour).Add(round - 1).Truncate(round)
		if !run.Cutoff.IsZero() && !at.Before(run.Cutoff) {
			at = now
		}
	} else {
		left := st.Deadline.Sub(now)
		at = now.Add(time.Duration(float64(left) * (0.05 + 0.6*s.rng.Float64()))).Truncate(round)
	}
	if at.Before(now) {
		at = now
	}
	s.plan[key] = at
	return at, true
}

// act records st for its actor.
func (s *mission) act(ctx context.Context, run *response.Run, st *response.Step) error {
	by, late, ok := whoActs(st)
	if !ok {
		return nil
	}
	api := s.analysts[0]
	if by != "mission" {
		if api = s.liaisons[by]; api == nil {
			t, err := liaisonToken(ctx, s.cfg, by)
			if err != nil {
				return err
			}
			api = client.New(s.cfg.Client.BaseURL, t)
			s.liaisons[by] = api
		}
	}
	req := client.ActionRequest{Statement: statement(st, late), Reference: fmt.Sprintf("demo note %s", st.Key)}
	if err := paced(ctx, func() error { _, err := api.RecordAction(ctx, run.ID, st.Key, req); return err }); err != nil {
		return fmt.Errorf("demo: %s recording %s/%s: %w", by, run.ID, st.Key, err)
	}
	return nil
}

// intensity is a day's activity relative to the monitors' usual volumes:
// most days between half and one and a half, one in eight a spike of two
// and a half to four times.
func (g *generator) intensity() float64 {
	if g.rng.IntN(8) == 0 {
		return 2.5 + 1.5*g.rng.Float64()
	}
	return 0.5 + g.rng.Float64()
}

// dayPlan makes the mission's reports of one day, each with the monitor
// that submits it: every monitor's usual volume times the day's intensity,
// spread by the hour of day (fighting peaks at night); a partner nearby
// reports half of a monitor's impacts too (independent sources of one
// incident); the inspection team reports weapons missing from a holding
// area on some days. Each report is signed minutes after it was observed
// and before the end of its step, so it is received on its day.
func (g *generator) dayPlan(mons []*Monitor, start, end time.Time, factor float64) []dated {
	stepEnd := func(t time.Time) time.Time {
		off := t.Sub(start) / (StepHours * time.Hour)
		return minTime(start.Add((off+1)*StepHours*time.Hour), end)
	}
	byName := map[string]*Monitor{}
	for _, m := range mons {
		byName[m.Name] = m
	}
	var out []dated
	for _, m := range mons {
		n := int(math.Round(float64(m.PerDay) * factor))
		if m.Inspects {
			n = 0
			if len(g.holdings) > 0 && g.rng.IntN(4) == 0 {
				n = 1
			}
		}
		times := make([]time.Time, 0, n)
		for len(times) < n {
			at := start.Add(time.Duration(g.rng.Int64N(int64(end.Sub(start))))).Truncate(time.Minute)
			if stepEnd(at).Sub(at) < 10*time.Minute {
				continue // too close to the step's end to be sent within it
			}
			if g.rng.Float64() < hourWeight(at.In(start.Location()).Hour()) {
				times = append(times, at)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		partner := byName[m.Partner]
		for _, at := range times {
			var o observation.Observation
			if m.Inspects {
				o = g.inspection(m, at)
			} else {
				o = g.observation(m, at)
			}
			out = append(out, dated{m, o})
			if partner != nil && o.Target != nil && o.Category.Family() == vocab.FamilyFire && g.rng.IntN(2) == 0 {
				out = append(out, dated{partner, g.echo(partner, o)})
			}
		}
	}
	for i := range out {
		d := &out[i]
		d.o.SignedAt = d.o.ObservedAt.Add(time.Duration(2+g.rng.IntN(40)) * time.Minute)
		if lim := stepEnd(d.o.ObservedAt).Add(-3 * time.Minute).UTC(); d.o.SignedAt.After(lim) {
			d.o.SignedAt = lim
		}
		if err := observation.Sign(&d.o, d.m.key); err != nil {
			panic(err) // the key is a valid ed25519 key by construction
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].o.ObservedAt.Before(out[j].o.ObservedAt) })
	return out
}

// echo is m's own report of the impact o reports: the same minute and
// category, the impact placed within a couple of hundred metres, a count
// of its own, seen from m's position.
func (g *generator) echo(m *Monitor, o observation.Observation) observation.Observation {
	e := o
	e.ID = g.uuid()
	e.SourceType, e.Grade = m.Source, m.Grade
	e.Fire, e.Attribution, e.Narrative, e.Language = nil, nil, "", ""
	t := *o.Target
	t.Lat = round6(t.Lat + (g.rng.Float64()-0.5)*0.003)
	t.Lon = round6(t.Lon + (g.rng.Float64()-0.5)*0.004)
	e.Target = &t
	e.Count = max(1, o.Count+g.rng.IntN(5)-2)
	obs := m.station
	if !m.Fixed {
		obs = orb.Point{t.Lon + (g.rng.Float64()-0.5)*0.06, t.Lat + (g.rng.Float64()-0.5)*0.04}
	}
	e.Observer = &observation.Position{Lat: round6(obs[1]), Lon: round6(obs[0]), UncertaintyM: 10}
	return e
}

// holding is a declared holding area the inspection team visits.
type holding struct {
	id        string
	at        orb.Point
	inventory map[string]int
}

// holdingAreas lists the agreement's holding areas with an inventory, in
// the agreement's order.
func holdingAreas(a *agreement.Agreement) []holding {
	if a == nil {
		return nil
	}
	var out []holding
	for _, z := range a.Zones {
		if z.Kind != agreement.HoldingArea || len(z.Inventory) == 0 {
			continue
		}
		geom := z.GeometryAt(time.Time{})
		if geom == nil {
			continue
		}
		out = append(out, holding{id: z.ID, at: geom.Bound().Center(), inventory: z.Inventory})
	}
	return out
}

// inspection is the inspection team's report of weapons missing from a
// holding area: a few of one declared class.
func (g *generator) inspection(m *Monitor, at time.Time) observation.Observation {
	h := g.holdings[g.rng.IntN(len(g.holdings))]
	classes := make([]string, 0, len(h.inventory))
	for c := range h.inventory {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	wc := classes[g.rng.IntN(len(classes))]
	n := 1 + g.rng.IntN(min(4, h.inventory[wc]))
	return observation.Observation{
		ID: g.uuid(), ObservedAt: at.UTC(), TimePrecision: "minute",
		Category: vocab.WeaponMissing, Count: n, WeaponClass: vocab.WeaponClass(wc),
		SourceType: m.Source, Grade: m.Grade,
		Observer:  &observation.Position{Lat: round6(h.at[1]), Lon: round6(h.at[0]), UncertaintyM: 50},
		Target:    &observation.Position{Lat: round6(h.at[1]), Lon: round6(h.at[0]), UncertaintyM: 100},
		Narrative: fmt.Sprintf("Inspection of %s: %d %s declared there not found; the site's staff gave no explanation.", h.id, n, wc),
		Language:  "en",
	}
}
