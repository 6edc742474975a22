package response

import (
	"slices"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
)

// Due returns the deadline transitions that should have happened by now
// and have not been applied: steps past their deadline become overdue (at
// the deadline, with the protocol's escalation), overdue or pending steps
// at a run's cutoff become missed (at the cutoff), and an on_overdue
// protocol starts (once per case, at the first overdue deadline). It
// changes nothing: the caller stores the transitions and then Applies them.
// Until then Due returns the same transitions, byte for byte, so a
// scheduler that crashed between the two steps, or a second server,
// computes the same records with the same ids. Transitions are in time
// order. A deadline is passed once now is after it: an action at the
// deadline itself is on time.
func (e *Engine) Due(now time.Time) []Transition {
	type event struct {
		t   Transition
		seq int
	}
	var evs []event
	add := func(t Transition) { evs = append(evs, event{t, len(evs)}) }
	started := map[string]bool{}
	var visit func(r *Run)
	visit = func(r *Run) {
		c := e.cases[r.Case]
		if c == nil || c.Closure != "" || !c.Paused.IsZero() {
			return
		}
		p := e.Agreement.Protocol(r.Protocol)
		var firstOverdue time.Time
		for _, s := range r.Steps {
			state := s.State
			if state == Pending && now.After(s.Deadline) {
				state = Overdue
				t := Transition{ID: r.ID + "/" + s.Key + "/overdue", Kind: KindStepOverdue, At: s.Deadline, Case: r.Case,
					Run: r.ID, Step: s.Key, Actor: s.Actor, Notify: e.intents(EventOverdue, s.Actor)}
				if p != nil && p.Escalation != nil && p.Escalation.OnOverdue == agreement.NotifyAll {
					t.Reason = "escalation: notify all"
					t.Notify = e.addIntents(t.Notify, EventEscalation, e.everyone()...)
				}
				add(t)
				if firstOverdue.IsZero() || s.Deadline.Before(firstOverdue) {
					firstOverdue = s.Deadline
				}
			}
			if !r.Cutoff.IsZero() && now.After(r.Cutoff) && !state.Final() {
				add(Transition{ID: r.ID + "/" + s.Key + "/closed", Kind: KindStepMissed, At: r.Cutoff, Case: r.Case,
					Run: r.ID, Step: s.Key, Actor: s.Actor, Reason: "cutoff", Notify: e.intents(EventMissed, s.Actor, agreement.ActorMission)})
			}
		}
		if firstOverdue.IsZero() || p == nil || p.Escalation == nil {
			return
		}
		hp := e.Agreement.Protocol(p.Escalation.OnOverdue)
		if hp == nil || e.runs[runID(r.Case, hp.ID)] != nil || started[runID(r.Case, hp.ID)] {
			return
		}
		started[runID(r.Case, hp.ID)] = true
		t := e.startRun(c, hp, TriggerOverdue, nil, firstOverdue)
		add(t)
		visit(t.Started) // its own deadlines may have passed too (a long outage)
	}
	for _, id := range e.runList {
		visit(e.runs[id])
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := a.t.At.Compare(b.t.At); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	out := make([]Transition, len(evs))
	for i, ev := range evs {
		out[i] = ev.t
	}
	return out
}

// Next returns the earliest deadline or cutoff still ahead of the open
// runs (zero if none): when the scheduler next has work.
func (e *Engine) Next() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, id := range e.runList {
		r := e.runs[id]
		if c := e.cases[r.Case]; c.Closure != "" || !c.Paused.IsZero() {
			continue
		}
		for _, s := range r.Steps {
			if s.State == Pending {
				consider(s.Deadline)
			}
			if !s.State.Final() && !r.Cutoff.IsZero() {
				consider(r.Cutoff)
			}
		}
	}
	return next
}

// Apply folds transitions into the state: the ones an Engine method
// returned (which it has applied already: Apply skips ids it has seen), the
// ones Due returned once stored, and on restart every stored transition in
// order. A transition that does not fit the state (an overdue step already
// done, an unknown run) is an EINVALID error, and Apply stops there: the
// ones before it stay applied.
func (e *Engine) Apply(ts ...Transition) error {
	for i := range ts {
		t := &ts[i]
		if e.applied[t.ID] {
			continue
		}
		if err := e.apply(t); err != nil {
			return err
		}
		e.applied[t.ID] = true
	}
	return nil
}

func (e *Engine) apply(t *Transition) error {
	bad := func(format string, args ...any) error {
		return errf(pactwatch.EINVALID, "transition", ErrBadReplay, "%s: "+format, append([]any{t.ID}, args...)...)
	}
	switch t.Kind {
	case KindCaseConfirmed:
		if t.Confirmed == nil || e.cases[t.Case] != nil {
			return bad("case %s missing or confirmed twice", t.Case)
		}
		c := *t.Confirmed
		e.cases[c.ID] = &c
		e.caseList = append(e.caseList, c.ID)
		return nil
	case KindCaseClosed:
		c := e.cases[t.Case]
		if c == nil || c.Closure != "" {
			return bad("case %s unknown or closed", t.Case)
		}
		c.Closure, c.Closed, c.Paused = t.Closure, t.At, time.Time{}
		return nil
	case KindCasePaused:
		c := e.cases[t.Case]
		if c == nil || c.Closure != "" || !c.Paused.IsZero() {
			return bad("case %s unknown, closed or paused", t.Case)
		}
		c.Paused = t.At
		c.Pauses++
		return nil
	case KindCaseResumed:
		c := e.cases[t.Case]
		if c == nil || c.Paused.IsZero() || t.Pause == nil || !t.Pause.From.Equal(c.Paused) || t.Pause.Until.Before(t.Pause.From) {
			return bad("case %s unknown or not paused since the pause's start", t.Case)
		}
		shift := t.Pause.Until.Sub(t.Pause.From)
		for _, id := range e.runList {
			r := e.runs[id]
			if r.Case != c.ID {
				continue
			}
			if !r.Cutoff.IsZero() {
				r.Cutoff = r.Cutoff.Add(shift)
			}
			for _, s := range r.Steps {
				if s.State == Pending {
					s.Deadline = s.Deadline.Add(shift)
				}
			}
		}
		c.Paused = time.Time{}
		return nil
	case KindRunStarted:
		if t.Started == nil || e.cases[t.Case] == nil || e.runs[t.Started.ID] != nil {
			return bad("run for unknown case %s, or started twice", t.Case)
		}
		r := cloneRun(t.Started)
		e.runs[r.ID] = r
		e.runList = append(e.runList, r.ID)
		for _, id := range r.Cases {
			e.consumed[id] = true
		}
		return nil
	}
	r := e.runs[t.Run]
	if r == nil {
		return bad("unknown run %q", t.Run)
	}
	i := slices.IndexFunc(r.Steps, func(s *Step) bool { return s.Key == t.Step })
	if i < 0 {
		return bad("unknown step %q", t.Step)
	}
	s := r.Steps[i]
	to := stateOf(t.Kind)
	ok := false
	switch to {
	case Overdue:
		ok = s.State == Pending
	case Done:
		ok = s.State == Pending
	case DoneLate, Missed, Cancelled:
		ok = !s.State.Final()
	case Ended:
		ok = s.State == Pending
	}
	if !ok {
		return bad("step %s is %s: cannot become %s", s.Key, s.State, to)
	}
	if (to == Done || to == DoneLate) && t.Action == nil {
		return bad("no action")
	}
	s.State = to
	switch to {
	case Overdue:
		s.OverdueAt = t.At
	case Done, DoneLate:
		a := *t.Action
		s.Done = &a
	default:
		s.Closed = t.At
	}
	return nil
}
