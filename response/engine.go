package response

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/vocab"
)

// Engine holds the cases and their runs. Every change goes through apply,
// so an Engine rebuilt with Apply from the stored transitions is identical
// to the one that produced them. Not safe for concurrent use: the server
// serialises changes (see docs/response.md).
type Engine struct {
	Agreement *agreement.Agreement
	Now       func() time.Time

	cases    map[string]*Case
	caseList []string
	runs     map[string]*Run
	runList  []string
	applied  map[string]bool // transition ids
	consumed map[string]bool // case ids already counted toward a repeated trigger
}

// New returns an empty engine.
func New(a *agreement.Agreement, now func() time.Time) *Engine {
	return &Engine{Agreement: a, Now: now, cases: map[string]*Case{}, runs: map[string]*Run{},
		applied: map[string]bool{}, consumed: map[string]bool{}}
}

// Recorder is who records an action: a principal id and role, and for a
// liaison the guarantor or party it acts for.
type Recorder struct {
	Principal string
	Role      vocab.Role
	Of        string
}

// Cases returns copies of the confirmed cases, in order of confirmation.
func (e *Engine) Cases() []Case {
	out := make([]Case, len(e.caseList))
	for i, id := range e.caseList {
		out[i] = *e.cases[id]
	}
	return out
}

// Runs returns deep copies of every run, in order of start.
func (e *Engine) Runs() []*Run {
	out := make([]*Run, len(e.runList))
	for i, id := range e.runList {
		out[i] = cloneRun(e.runs[id])
	}
	return out
}

// Run returns a copy of the run (ENOTFOUND if none).
func (e *Engine) Run(id string) (*Run, error) {
	r := e.runs[id]
	if r == nil {
		return nil, errf(pactwatch.ENOTFOUND, "run", ErrUnknownStep, "no run %q", id)
	}
	return cloneRun(r), nil
}

func cloneRun(r *Run) *Run {
	c := *r
	c.Cases = slices.Clone(r.Cases)
	c.Steps = make([]*Step, len(r.Steps))
	for i, s := range r.Steps {
		cp := *s
		if s.Done != nil {
			a := *s.Done
			cp.Done = &a
		}
		c.Steps[i] = &cp
	}
	return &c
}

// Confirm starts the response to a confirmed case: its commitment's
// protocol (if the commitment names one) and, when this case completes a
// repeated-cases count, the heavier protocol. Confirming a case again with
// the same content changes nothing and returns no transitions.
func (e *Engine) Confirm(c Case) ([]Transition, error) {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "case.id", "a case id is required")
	case c.Confirmed.IsZero():
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "case.confirmed", "the confirmation time is required")
	case c.Closure != "" || !c.Closed.IsZero():
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "case.closure", "a case is confirmed open; close it with Close")
	case !c.Paused.IsZero() || c.Pauses != 0:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "case.paused", "a case is confirmed running; pause it with Pause")
	}
	com := e.Agreement.Commitment(c.Commitment)
	if com == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case.commitment", "no commitment %q in the agreement", c.Commitment)
	}
	c.Confirmed = c.Confirmed.UTC()
	if old := e.cases[c.ID]; old != nil {
		if old.Commitment == c.Commitment && old.Party == c.Party && old.Confirmed.Equal(c.Confirmed) {
			return nil, nil
		}
		return nil, errf(pactwatch.ECONFLICT, "case.id", ErrConfirmClash, "case %s was confirmed with other content", c.ID)
	}
	cc := c
	ts := []Transition{{ID: c.ID + "/confirmed", Kind: KindCaseConfirmed, At: c.Confirmed, Case: c.ID, Confirmed: &cc,
		Notify: e.intents(EventConfirmed, e.partiesOf(com)...)}}
	if p := e.Agreement.Protocol(com.Protocol); p != nil {
		ts = append(ts, e.startRun(&c, p, TriggerConfirmed, nil, c.Confirmed))
		if r := p.Escalation; r != nil && r.Repeated != nil {
			if counted := e.repeated(&c, r.Repeated); counted != nil {
				if hp := e.Agreement.Protocol(r.Repeated.Protocol); hp != nil && e.runs[runID(c.ID, hp.ID)] == nil {
					ts = append(ts, e.startRun(&c, hp, TriggerRepeated, counted, c.Confirmed))
				}
			}
		}
	}
	if err := e.Apply(ts...); err != nil {
		return nil, err
	}
	return ts, nil
}

// repeated returns the cases that, with c, complete the count of
// escalation.repeated, or nil. The rule, per commitment: count the cases
// confirmed in the window that ends at c's confirmation and began `within`
// before it (c included; withdrawn cases and cases already counted toward
// an earlier trigger excluded). When the count reaches `count`, the heavier
// protocol starts once, attached to c, and the counted cases are consumed:
// the next trigger needs `count` new cases. So 3 cases in 30 days start it
// once; a 4th and 5th do not; a 6th within 30 days of the 4th does again.
func (e *Engine) repeated(c *Case, r *agreement.Repeated) []string {
	counted := []string{c.ID}
	for _, id := range e.caseList {
		o := e.cases[id]
		if o.Commitment != c.Commitment || e.consumed[id] || o.Closure == Withdrawn || id == c.ID {
			continue
		}
		if !o.Confirmed.After(c.Confirmed) && r.Within.AddTo(o.Confirmed).After(c.Confirmed) {
			counted = append(counted, id)
		}
	}
	if len(counted) < r.Count {
		return nil
	}
	slices.Sort(counted)
	return counted
}

func runID(caseID, protocol string) string { return caseID + "/" + protocol }

// startRun builds the run_started transition of protocol p for case c.
func (e *Engine) startRun(c *Case, p *agreement.Protocol, trigger string, counted []string, at time.Time) Transition {
	r := &Run{ID: runID(c.ID, p.ID), Case: c.ID, Commitment: c.Commitment, Party: c.Party, Protocol: p.ID,
		Trigger: trigger, Cases: counted, Started: at}
	if p.Cutoff != "" {
		r.Cutoff = p.Cutoff.AddTo(at)
	}
	var to []string
	for _, s := range p.Steps {
		for _, actor := range e.expand(s.Actor) {
			st := &Step{Key: s.ID + "/" + actor, ID: s.ID, Actor: actor, Action: s.Action, Deadline: s.Deadline.AddTo(at), State: Pending}
			if actor != s.Actor {
				st.Via = s.Actor
			}
			r.Steps = append(r.Steps, st)
			to = append(to, actor)
		}
	}
	return Transition{ID: r.ID + "/started", Kind: KindRunStarted, At: at, Case: c.ID, Run: r.ID, Reason: trigger,
		Started: r, Notify: e.intents(EventAssigned, to...)}
}

// expand returns the states (or the party, or the mission) a protocol
// actor names: a group's members; for all_guarantors, every guarantor state
// (groups are made of listed states, so they add no one).
func (e *Engine) expand(actor string) []string {
	if actor == agreement.ActorAllGuarantors {
		var out []string
		for _, g := range e.Agreement.Guarantors {
			if g.Kind != "group" {
				out = append(out, g.ID)
			}
		}
		return out
	}
	if g := e.Agreement.Guarantor(actor); g != nil && g.Kind == "group" && len(g.Members) > 0 {
		return slices.Clone(g.Members)
	}
	return []string{actor}
}

// everyone is who notify_all reaches: the mission, every guarantor (states
// and groups, which may have their own subscriptions) and every party.
func (e *Engine) everyone() []string {
	out := []string{agreement.ActorMission}
	for _, g := range e.Agreement.Guarantors {
		out = append(out, g.ID)
	}
	for _, p := range e.Agreement.Parties {
		out = append(out, p.ID)
	}
	return out
}

func (e *Engine) partiesOf(c *agreement.Commitment) []string {
	out := []string{agreement.ActorMission}
	for _, o := range c.Obligors {
		if e.Agreement.Party(o) != nil {
			out = append(out, o)
		}
	}
	return out
}

// intents returns one intent per distinct recipient, in first-seen order.
func (e *Engine) intents(event string, to ...string) []Intent { return e.addIntents(nil, event, to...) }

// addIntents adds intents for the recipients not yet in list: one
// notification per recipient and transition, since the recipient's
// idempotency key is the transition's id and the recipient.
func (e *Engine) addIntents(list []Intent, event string, to ...string) []Intent {
	for _, t := range to {
		if !slices.ContainsFunc(list, func(in Intent) bool { return in.To == t }) {
			list = append(list, Intent{To: t, Event: event})
		}
	}
	return list
}

// Record records the action an actor took for a step, at Now. Deadline
// transitions up to Now that the scheduler has not applied yet are applied
// first and returned before the action's own transition, so an escalation
// is never skipped because an action arrived late. On error nothing
// changes.
func (e *Engine) Record(by Recorder, run, step string, act Action) ([]Transition, error) {
	r := e.runs[run]
	if r == nil {
		return nil, errf(pactwatch.ENOTFOUND, "run", ErrUnknownStep, "no run %q", run)
	}
	i := slices.IndexFunc(r.Steps, func(s *Step) bool { return s.Key == step })
	if i < 0 {
		return nil, errf(pactwatch.ENOTFOUND, "step", ErrUnknownStep, "run %s has no step %q", run, step)
	}
	s := r.Steps[i]
	if err := e.mayRecord(by, s); err != nil {
		return nil, err
	}
	if c := e.cases[r.Case]; c.Closure != "" {
		return nil, errf(pactwatch.ECONFLICT, "case", ErrCaseClosed, "case %s is closed (%s)", c.ID, c.Closure)
	}
	if act.Kind == "" {
		act.Kind = s.Action
	}
	switch {
	case !act.Kind.Valid():
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "action.kind", "unknown action kind %q", act.Kind)
	case strings.TrimSpace(act.Statement) == "" && strings.TrimSpace(act.Reference) == "":
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "action.statement", "say what was done: a statement or a document reference")
	}
	now := e.Now().UTC()
	ts := e.Due(now)
	// The deadline transitions may have closed the step (missed at the cutoff).
	state := s.State
	for _, t := range ts {
		if t.Run == run && t.Step == step {
			state = stateOf(t.Kind)
		}
	}
	switch state {
	case Done, DoneLate:
		return nil, errf(pactwatch.ECONFLICT, "step", ErrAlreadyDone, "step %s was already recorded", step)
	case Missed, Ended, Cancelled:
		return nil, errf(pactwatch.ECONFLICT, "step", ErrStepClosed, "step %s is %s", step, state)
	}
	act.By, act.At = by.Principal, now
	kind := KindStepDone
	// A step still pending when its case was paused is on time during the
	// pause: its deadline moves by at least the time already paused.
	paused := !e.cases[r.Case].Paused.IsZero() && state == Pending
	// A step stored overdue is late whatever this node's clock says: the
	// deadline was passed (and escalated) by the node that stored it, whose
	// clock may run a moment ahead. Recording it done on time would
	// contradict the stored overdue record.
	if state == Overdue || (now.After(s.Deadline) && !paused) {
		kind = KindStepDoneLate
	}
	ts = append(ts, Transition{ID: run + "/" + step + "/done", Kind: kind, At: now, Case: r.Case, Run: run, Step: step,
		Actor: s.Actor, Action: &act, Notify: e.intents(EventRecorded, agreement.ActorMission, s.Actor)})
	if err := e.Apply(ts...); err != nil {
		return nil, err
	}
	return ts, nil
}

// MayRecord reports whether a principal of the role, acting for of, may
// record a step owed by actor: a guarantor's or a party's step only by its
// own liaison, the mission's by an analyst. The case board shows its forms
// by this rule; Record enforces it.
func MayRecord(a *agreement.Agreement, role vocab.Role, of, actor string) bool {
	switch role {
	case vocab.RoleGuarantorLiaison:
		return of == actor && a.Guarantor(actor) != nil
	case vocab.RolePartyLiaison:
		return of == actor && a.Party(actor) != nil
	case vocab.RoleAnalyst:
		return actor == agreement.ActorMission
	}
	return false
}

// mayRecord is MayRecord as Record's error.
func (e *Engine) mayRecord(by Recorder, s *Step) error {
	if MayRecord(e.Agreement, by.Role, by.Of, s.Actor) {
		return nil
	}
	return errf(pactwatch.EFORBIDDEN, "step", ErrNotYourStep, "step %s is owed by %s: a %s for %q may not record it", s.Key, s.Actor, by.Role, by.Of)
}

// Close ends the response to a case closed by compliance. Remedied: steps
// not yet due end (they are not counted as due), overdue steps are missed
// (the deadline had passed; a remedy by the violator does not excuse the
// guarantor). Withdrawn: the case was no violation, so every open step is
// cancelled and counts nowhere. Deadline transitions up to Now come first.
func (e *Engine) Close(id, closure, reason string) ([]Transition, error) {
	c := e.cases[id]
	switch {
	case c == nil:
		return nil, errf(pactwatch.ENOTFOUND, "case", ErrUnknownCase, "no confirmed case %q", id)
	case c.Closure != "":
		return nil, errf(pactwatch.ECONFLICT, "case", ErrCaseClosed, "case %s is already closed (%s)", id, c.Closure)
	case closure != Remedied && closure != Withdrawn:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "closure", "want %s or %s", Remedied, Withdrawn)
	}
	now := e.Now().UTC()
	ts := e.Due(now)
	final := map[string]State{}
	for _, t := range ts {
		if t.Step != "" {
			final[t.Run+"/"+t.Step] = stateOf(t.Kind)
		}
	}
	var to []string
	for _, rid := range e.runList {
		r := e.runs[rid]
		if r.Case != id {
			continue
		}
		for _, s := range r.Steps {
			st, ok := final[r.ID+"/"+s.Key]
			if !ok {
				st = s.State
			}
			if st.Final() {
				continue
			}
			kind := KindStepCancelled
			switch {
			case closure == Remedied && st == Overdue:
				kind = KindStepMissed
			case closure == Remedied:
				kind = KindStepEnded
			}
			// A step has one final transition: "closed" in its id whichever.
			ts = append(ts, Transition{ID: r.ID + "/" + s.Key + "/closed", Kind: kind, At: now, Case: id, Run: r.ID,
				Step: s.Key, Actor: s.Actor, Reason: "case " + closure})
			to = append(to, s.Actor)
		}
	}
	ts = append(ts, Transition{ID: id + "/closed", Kind: KindCaseClosed, At: now, Case: id, Closure: closure, Reason: reason,
		Notify: e.intents(EventClosed, append([]string{agreement.ActorMission}, to...)...)})
	if err := e.Apply(ts...); err != nil {
		return nil, err
	}
	return ts, nil
}

// Pause stops the clock of a confirmed case while an open dispute is
// heard (compliance: Policy.DisputePausesDeadlines). Deadlines passed
// before now are applied first; during the pause no deadline or cutoff of
// the case passes.
func (e *Engine) Pause(id string) ([]Transition, error) {
	c, err := e.openCase(id)
	if err != nil {
		return nil, err
	}
	if !c.Paused.IsZero() {
		return nil, errf(pactwatch.ECONFLICT, "case", ErrPaused, "case %s is already paused", id)
	}
	now := e.Now().UTC()
	ts := e.Due(now)
	ts = append(ts, Transition{ID: fmt.Sprintf("%s/paused/%d", id, c.Pauses+1), Kind: KindCasePaused, At: now, Case: id,
		Notify: e.intents(EventPaused, e.actorsOf(id)...)})
	if err := e.Apply(ts...); err != nil {
		return nil, err
	}
	return ts, nil
}

// Resume restarts the clock: every pending deadline and the cutoff of the
// case's runs move by the length of the pause. Overdue steps stay overdue.
func (e *Engine) Resume(id string) ([]Transition, error) {
	c, err := e.openCase(id)
	if err != nil {
		return nil, err
	}
	if c.Paused.IsZero() {
		return nil, errf(pactwatch.ECONFLICT, "case", ErrPaused, "case %s is not paused", id)
	}
	now := e.Now().UTC()
	if now.Before(c.Paused) {
		now = c.Paused
	}
	t := Transition{ID: fmt.Sprintf("%s/resumed/%d", id, c.Pauses), Kind: KindCaseResumed, At: now, Case: id,
		Pause: &Pause{From: c.Paused, Until: now}, Notify: e.intents(EventResumed, e.actorsOf(id)...)}
	if err := e.Apply(t); err != nil {
		return nil, err
	}
	return []Transition{t}, nil
}

func (e *Engine) openCase(id string) (*Case, error) {
	c := e.cases[id]
	switch {
	case c == nil:
		return nil, errf(pactwatch.ENOTFOUND, "case", ErrUnknownCase, "no confirmed case %q", id)
	case c.Closure != "":
		return nil, errf(pactwatch.ECONFLICT, "case", ErrCaseClosed, "case %s is closed (%s)", id, c.Closure)
	}
	return c, nil
}

// actorsOf returns the mission and the actors of the case's open steps.
func (e *Engine) actorsOf(id string) []string {
	out := []string{agreement.ActorMission}
	for _, rid := range e.runList {
		if r := e.runs[rid]; r.Case == id {
			for _, s := range r.Steps {
				if !s.State.Final() {
					out = append(out, s.Actor)
				}
			}
		}
	}
	return out
}

func stateOf(kind string) State {
	return map[string]State{KindStepDone: Done, KindStepDoneLate: DoneLate, KindStepOverdue: Overdue,
		KindStepMissed: Missed, KindStepEnded: Ended, KindStepCancelled: Cancelled}[kind]
}
