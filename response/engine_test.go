package response

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/vocab"
)

const h = time.Hour

func started(t *testing.T) (*Engine, *clock) {
	t.Helper()
	clk := (&clock{}).at(0)
	e := New(load(t), clk.Now)
	if _, err := e.Confirm(Case{ID: "k", Commitment: "ceasefire", Party: "north", Confirmed: t0}); err != nil {
		t.Fatal(err)
	}
	return e, clk
}

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(e *Engine, clk *clock)
		by       Recorder
		run      string
		step     string
		act      Action
		code     string
		sentinel error
	}{
		{name: "another guarantor's step", by: liaison("b"), run: "k/respond", step: "consult/a", act: act("x"), code: pactwatch.EFORBIDDEN, sentinel: ErrNotYourStep},
		{name: "party liaison on a guarantor step", by: Recorder{Principal: "p", Role: vocab.RolePartyLiaison, Of: "a"}, run: "k/respond", step: "consult/a", act: act("x"), code: pactwatch.EFORBIDDEN, sentinel: ErrNotYourStep},
		{name: "liaison on the mission's step", by: liaison("a"), run: "k/respond", step: "notify/mission", act: act("x"), code: pactwatch.EFORBIDDEN, sentinel: ErrNotYourStep},
		{name: "monitor", by: Recorder{Principal: "m", Role: vocab.RoleMonitor}, run: "k/respond", step: "notify/mission", act: act("x"), code: pactwatch.EFORBIDDEN, sentinel: ErrNotYourStep},
		{name: "unknown run", by: liaison("a"), run: "k/nope", step: "consult/a", act: act("x"), code: pactwatch.ENOTFOUND, sentinel: ErrUnknownStep},
		{name: "unknown step", by: liaison("a"), run: "k/respond", step: "consult/z", act: act("x"), code: pactwatch.ENOTFOUND, sentinel: ErrUnknownStep},
		{name: "bad kind", by: liaison("a"), run: "k/respond", step: "consult/a", act: Action{Kind: "bombing", Statement: "x"}, code: pactwatch.EINVALID},
		{name: "nothing said", by: liaison("a"), run: "k/respond", step: "consult/a", act: Action{Statement: "  "}, code: pactwatch.EINVALID},
		{name: "already done", by: liaison("a"), run: "k/respond", step: "consult/a", act: act("again"), code: pactwatch.ECONFLICT, sentinel: ErrAlreadyDone,
			prepare: func(e *Engine, clk *clock) {
				if _, err := e.Record(liaison("a"), "k/respond", "consult/a", act("first")); err != nil {
					panic(err)
				}
			}},
		{name: "closed case", by: liaison("a"), run: "k/respond", step: "consult/a", act: act("x"), code: pactwatch.ECONFLICT, sentinel: ErrCaseClosed,
			prepare: func(e *Engine, clk *clock) {
				if _, err := e.Close("k", Remedied, "withdrew"); err != nil {
					panic(err)
				}
			}},
		{name: "missed at the cutoff", by: liaison("a"), run: "k/respond", step: "consult/a", act: act("x"), code: pactwatch.ECONFLICT, sentinel: ErrStepClosed,
			prepare: func(e *Engine, clk *clock) { clk.at(8 * 24 * h) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clk := started(t)
			clk.at(2 * h)
			if tt.prepare != nil {
				tt.prepare(e, clk)
			}
			runs, cases, next := e.Runs(), e.Cases(), e.Due(clk.now)
			_, err := e.Record(tt.by, tt.run, tt.step, tt.act)
			if pactwatch.ErrorCode(err) != tt.code {
				t.Fatalf("error %v (%s), want %s", err, pactwatch.ErrorCode(err), tt.code)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v is not %v", err, tt.sentinel)
			}
			if !reflect.DeepEqual(runs, e.Runs()) || !reflect.DeepEqual(cases, e.Cases()) || !reflect.DeepEqual(next, e.Due(clk.now)) {
				t.Error("the failed call changed the state")
			}
		})
	}
}

// A late action that arrives before the scheduler ran still escalates
// first: the overdue transition comes with it.
func TestRecordCatchesUpOverdue(t *testing.T) {
	e, clk := started(t)
	clk.at(30 * h)
	ts, err := e.Record(liaison("b"), "k/respond", "consult/b", act("late"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range ts {
		if tr.Step == "consult/b" {
			got = append(got, tr.Kind)
		}
	}
	if !slices.Equal(got, []string{KindStepOverdue, KindStepDoneLate}) {
		t.Fatalf("%v", kinds(ts))
	}
	if s := stepOf(t, e, "k/respond", "consult/b"); s.State != DoneLate || !s.OverdueAt.Equal(t0.Add(24*h)) {
		t.Errorf("step %+v", s)
	}
	if again := e.Due(clk.now); slices.ContainsFunc(again, func(tr Transition) bool { return tr.Step == "consult/b" }) {
		t.Errorf("consult/b due again: %v", kinds(again))
	}
}

// An action exactly at the deadline is on time; a second later it is late.
func TestDeadlineEdge(t *testing.T) {
	e, clk := started(t)
	clk.at(24 * h)
	if due := e.Due(clk.now); slices.ContainsFunc(due, func(tr Transition) bool { return tr.Kind == KindStepOverdue && tr.Step != "notify/mission" }) {
		t.Fatalf("overdue at the deadline itself: %v", kinds(due))
	}
	ts, err := e.Record(liaison("a"), "k/respond", "consult/a", act("on the dot"))
	if err != nil || ts[len(ts)-1].Kind != KindStepDone {
		t.Fatalf("%v %v", kinds(ts), err)
	}
	clk.at(24*h + time.Second)
	ts, err = e.Record(liaison("b"), "k/respond", "consult/b", act("a second late"))
	if err != nil || ts[len(ts)-1].Kind != KindStepDoneLate {
		t.Fatalf("%v %v", kinds(ts), err)
	}
}

// A step another node stored overdue (its clock a moment ahead) is late
// here too, even though this node's clock has not reached the deadline:
// never done on time next to a stored overdue record.
func TestRecordAfterOverdueFromAnotherClock(t *testing.T) {
	clk := (&clock{}).at(0)
	e := New(load(t), clk.Now)
	confirmed, err := e.Confirm(Case{ID: "k", Commitment: "ceasefire", Party: "north", Confirmed: t0})
	if err != nil {
		t.Fatal(err)
	}
	ahead := New(e.Agreement, func() time.Time { return t0.Add(24*h + time.Second) })
	if err := ahead.Apply(confirmed...); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(ahead.Due(ahead.Now())...); err != nil { // stored there, synced here
		t.Fatal(err)
	}
	clk.at(24*h - time.Second) // this node's clock: before the deadline
	ts, err := e.Record(liaison("b"), "k/respond", "consult/b", act("consulted"))
	if err != nil || len(ts) != 1 || ts[0].Kind != KindStepDoneLate {
		t.Fatalf("%v %v, want one %s", kinds(ts), err, KindStepDoneLate)
	}
	if s := stepOf(t, e, "k/respond", "consult/b"); s.State != DoneLate {
		t.Errorf("step %+v", s)
	}
}

func TestClose(t *testing.T) {
	for _, tt := range []struct {
		closure string
		want    map[string]State
	}{
		// At 12 h: the mission's 6 h step is overdue, the guarantors' 24 h steps pending.
		{Remedied, map[string]State{"notify/mission": Missed, "consult/a": Ended, "consult/b": Ended, "consult/c": Done}},
		{Withdrawn, map[string]State{"notify/mission": Cancelled, "consult/a": Cancelled, "consult/b": Cancelled, "consult/c": Done}},
	} {
		t.Run(tt.closure, func(t *testing.T) {
			e, clk := started(t)
			clk.at(2 * h)
			if _, err := e.Record(liaison("c"), "k/respond", "consult/c", act("done early")); err != nil {
				t.Fatal(err)
			}
			clk.at(12 * h)
			ts, err := e.Close("k", tt.closure, "the party pulled back")
			if err != nil {
				t.Fatal(err)
			}
			if last := ts[len(ts)-1]; last.Kind != KindCaseClosed || last.Closure != tt.closure {
				t.Fatalf("%v", kinds(ts))
			}
			for k, st := range tt.want {
				if s := stepOf(t, e, "k/respond", k); s.State != st {
					t.Errorf("%s is %s, want %s", k, s.State, st)
				}
			}
			if _, err := e.Close("k", tt.closure, "again"); !errors.Is(err, ErrCaseClosed) {
				t.Errorf("second close: %v", err)
			}
			if due := e.Due(t0.Add(30 * 24 * h)); len(due) != 0 {
				t.Errorf("a closed case still has deadlines: %v", kinds(due))
			}
			sc := Score(e.Agreement, e.Runs(), e.Cases(), t0.Add(30*24*h), nil)
			for _, as := range sc.Actors {
				if as.Actor != "mission" && as.Overall.Missed != 0 {
					t.Errorf("%s: steps ended by the closure counted as missed: %+v", as.Actor, as.Overall)
				}
			}
		})
	}
	e, _ := started(t)
	for _, tt := range []struct {
		id, closure, code string
	}{{"nope", Remedied, pactwatch.ENOTFOUND}, {"k", "forgiven", pactwatch.EINVALID}} {
		if _, err := e.Close(tt.id, tt.closure, "r"); pactwatch.ErrorCode(err) != tt.code {
			t.Errorf("Close(%s, %s): %v, want %s", tt.id, tt.closure, err, tt.code)
		}
	}
}

// escalation.on_overdue naming a protocol starts it once per case, at the
// first deadline passed, however many steps go overdue.
func TestOverdueStartsProtocol(t *testing.T) {
	clk := (&clock{}).at(0)
	e := New(load(t), clk.Now)
	if _, err := e.Confirm(Case{ID: "m", Commitment: "access", Party: "south", Confirmed: t0}); err != nil {
		t.Fatal(err)
	}
	due := e.Due(t0.Add(25 * h))
	if got := kinds(due); !slices.Equal(got, []string{"step_overdue m/access/notify/mission/overdue", "run_started m/respond/started"}) {
		t.Fatalf("%v", got)
	}
	if r := due[1].Started; r.Trigger != TriggerOverdue || !r.Started.Equal(t0.Add(24*h)) {
		t.Errorf("run %+v", r)
	}
	if err := e.Apply(due...); err != nil {
		t.Fatal(err)
	}
	due = e.Due(t0.Add(49 * h))
	for _, tr := range due {
		if tr.Kind == KindRunStarted {
			t.Errorf("started again: %v", kinds(due))
		}
	}
}

// After a long outage, one Due catches up every deadline, including those
// of a protocol an escalation started during the outage, in time order.
func TestDueAfterOutage(t *testing.T) {
	clk := (&clock{}).at(0)
	e := New(load(t), clk.Now)
	if _, err := e.Confirm(Case{ID: "m", Commitment: "access", Confirmed: t0}); err != nil {
		t.Fatal(err)
	}
	due := e.Due(t0.Add(30 * 24 * h))
	for i := 1; i < len(due); i++ {
		if due[i].At.Before(due[i-1].At) {
			t.Fatalf("out of order: %v", kinds(due))
		}
	}
	if err := e.Apply(due...); err != nil {
		t.Fatal(err)
	}
	if s := stepOf(t, e, "m/respond", "consult/a"); s.State != Missed {
		t.Errorf("escalated protocol's step is %s, want missed at its cutoff", s.State)
	}
	if s := stepOf(t, e, "m/access", "statement/c"); s.State != Overdue {
		t.Errorf("no cutoff: the step stays %s, want overdue", s.State)
	}
	if again := e.Due(t0.Add(30 * 24 * h)); len(again) != 0 {
		t.Errorf("due twice: %v", kinds(again))
	}
}

// Due computed twice, or by two servers from the same records, gives the
// same records byte for byte: the store's unique record ids then keep one.
func TestDueIsDeterministic(t *testing.T) {
	e1, _ := started(t)
	e2, _ := started(t)
	d1, d2 := e1.Due(t0.Add(40*h)), e2.Due(t0.Add(40*h))
	if len(d1) == 0 || len(d1) != len(d2) {
		t.Fatalf("%d and %d transitions", len(d1), len(d2))
	}
	for i := range d1 {
		b1, _ := d1[i].Canonical()
		b2, _ := d2[i].Canonical()
		again, _ := e1.Due(t0.Add(40 * h))[i].Canonical()
		if !bytes.Equal(b1, b2) || !bytes.Equal(b1, again) {
			t.Errorf("transition %d differs", i)
		}
	}
	// Applying the same transitions twice (a retried store write) is a no-op.
	if err := e1.Apply(d1...); err != nil {
		t.Fatal(err)
	}
	if err := e1.Apply(d1...); err != nil {
		t.Fatal(err)
	}
}

func TestNext(t *testing.T) {
	e, _ := started(t)
	if got := e.Next(); !got.Equal(t0.Add(6 * h)) {
		t.Errorf("next %v, want the 6 h deadline", got)
	}
	e.Apply(e.Due(t0.Add(25 * h))...)
	if got := e.Next(); !got.Equal(t0.Add(7 * 24 * h)) {
		t.Errorf("next %v, want the cutoff", got)
	}
}

func TestConfirm(t *testing.T) {
	e, _ := started(t)
	// Same case again: nothing; other content: a conflict.
	if ts, err := e.Confirm(Case{ID: "k", Commitment: "ceasefire", Party: "north", Confirmed: t0}); err != nil || ts != nil {
		t.Errorf("reconfirm: %v %v", kinds(ts), err)
	}
	for _, tt := range []struct {
		c    Case
		code string
	}{
		{Case{ID: "k", Commitment: "ceasefire", Party: "south", Confirmed: t0}, pactwatch.ECONFLICT},
		{Case{ID: "", Commitment: "ceasefire", Confirmed: t0}, pactwatch.EINVALID},
		{Case{ID: "x", Commitment: "ceasefire"}, pactwatch.EINVALID},
		{Case{ID: "x", Commitment: "nope", Confirmed: t0}, pactwatch.ENOTFOUND},
		{Case{ID: "x", Commitment: "ceasefire", Confirmed: t0, Closure: Remedied}, pactwatch.EINVALID},
		{Case{ID: "x", Commitment: "ceasefire", Confirmed: t0, Paused: t0}, pactwatch.EINVALID},
	} {
		if _, err := e.Confirm(tt.c); pactwatch.ErrorCode(err) != tt.code {
			t.Errorf("Confirm(%+v): %v, want %s", tt.c, err, tt.code)
		}
	}
	// A commitment without a protocol: the case is counted, no run starts.
	ts, err := e.Confirm(Case{ID: "q", Commitment: "quiet", Party: "north", Confirmed: t0})
	if err != nil || len(ts) != 1 || ts[0].Kind != KindCaseConfirmed {
		t.Errorf("no protocol: %v %v", kinds(ts), err)
	}
}

// Repeated cases: withdrawn cases and cases outside the window do not
// count; consumed cases do not count twice.
func TestRepeated(t *testing.T) {
	e, _ := started(t) // case k at t0
	e.Now = func() time.Time { return t0.Add(h) }
	if _, err := e.Close("k", Withdrawn, "not a violation"); err != nil {
		t.Fatal(err)
	}
	day := 24 * h
	confirm := func(id string, at time.Duration) []Transition {
		ts, err := e.Confirm(Case{ID: id, Commitment: "ceasefire", Confirmed: t0.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	heavier := func(ts []Transition) bool {
		return slices.ContainsFunc(ts, func(tr Transition) bool { return tr.Started != nil && tr.Started.Trigger == TriggerRepeated })
	}
	// The window of a case confirmed at d is (d-30 days, d]: a case exactly
	// 30 days earlier is out.
	steps := []struct {
		id   string
		at   time.Duration
		want bool
	}{
		{"c1", 1 * day, false},
		{"c2", 2 * day, false},  // k is withdrawn: two cases
		{"c3", 31 * day, false}, // c1 is out of the window: c2, c3
		{"c4", 32 * day, false}, // c2 is out: c3, c4
		{"c5", 33 * day, true},  // c3, c4, c5
		{"c6", 34 * day, false}, // c3–c5 are consumed: c6 alone
	}
	for _, s := range steps {
		if got := heavier(confirm(s.id, s.at)); got != s.want {
			t.Errorf("%s at day %v: heavier protocol %v, want %v", s.id, s.at/day, got, s.want)
		}
	}
}

// On the example agreement, all_guarantors becomes every guarantor state
// and the coalition its members; each state's step is its own.
func TestExpandOnExample(t *testing.T) {
	a, err := agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := New(a, func() time.Time { return t0 })
	ts, err := e.Confirm(Case{ID: "u", Commitment: "ceasefire", Party: "russia", Confirmed: t0})
	if err != nil {
		t.Fatal(err)
	}
	r := ts[1].Started
	count := map[string]int{}
	for _, s := range r.Steps {
		count[s.ID]++
		if s.ID == "joint-response" && s.Via != "coalition" {
			t.Errorf("%s via %q", s.Key, s.Via)
		}
	}
	states := 0
	for _, g := range a.Guarantors {
		if g.Kind == "state" {
			states++
		}
	}
	if count["consult"] != states || count["notify"] != 1 || count["joint-response"] != len(a.Guarantor("coalition").Members) {
		t.Errorf("steps per protocol step: %v", count)
	}
}

func TestApplyRejectsMisfits(t *testing.T) {
	e, _ := started(t)
	for _, tr := range []Transition{
		{ID: "x1", Kind: KindStepOverdue, Case: "k", Run: "k/none", Step: "consult/a"},
		{ID: "x2", Kind: KindStepOverdue, Case: "k", Run: "k/respond", Step: "consult/zz"},
		{ID: "x3", Kind: KindStepDone, Case: "k", Run: "k/respond", Step: "consult/a"}, // no action
		{ID: "x4", Kind: KindCaseConfirmed, Case: "k", Confirmed: &Case{ID: "k"}},
		{ID: "x5", Kind: KindCaseClosed, Case: "zz"},
		{ID: "x6", Kind: "step_exploded", Case: "k", Run: "k/respond", Step: "consult/a"},
	} {
		if err := e.Apply(tr); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
			t.Errorf("%s: %v", tr.ID, err)
		}
	}
	if s := stepOf(t, e, "k/respond", "consult/a"); s.State != Pending {
		t.Errorf("state changed to %s", s.State)
	}
}

func FuzzParseTransition(f *testing.F) {
	e, _ := started(&testing.T{})
	for _, tr := range append(e.Due(t0.Add(9*24*h)), Transition{ID: "a", Kind: "b", Case: "c"}) {
		b, _ := tr.Canonical()
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x","kind":"step_done","case":"k","action":{"at":"bad"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTransition(b)
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Fatalf("error code %s", pactwatch.ErrorCode(err))
			}
			return
		}
		c1, err := tr.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		tr2, err := ParseTransition(c1)
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := tr2.Canonical()
		if !bytes.Equal(c1, c2) {
			t.Fatalf("canonical bytes not stable:\n%s\n%s", c1, c2)
		}
		// Applying any parsed transition must not panic.
		eng := New(e.Agreement, e.Now)
		_ = eng.Apply(tr)
	})
}

// A dispute pauses the case at 20 h and is resolved at 30 h: the 6 h step
// overdue before the pause stays overdue; the 24 h steps, pending at the
// pause, are due at 34 h; an action during the pause is on time.
func TestPauseResume(t *testing.T) {
	e, clk := started(t)
	var all []Transition
	keep := func(ts []Transition, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ts...)
	}
	all = append(all, e.Due(t0)...) // nothing, but keeps the journal honest
	clk.at(20 * h)
	keep(e.Pause("k"))
	if s := stepOf(t, e, "k/respond", "notify/mission"); s.State != Overdue {
		t.Fatalf("the 6 h step is %s at the pause", s.State)
	}
	if _, err := e.Pause("k"); !errors.Is(err, ErrPaused) {
		t.Errorf("second pause: %v", err)
	}
	if due := e.Due(t0.Add(29 * h)); len(due) != 0 {
		t.Fatalf("deadlines passed during the pause: %v", kinds(due))
	}
	for _, as := range Score(e.Agreement, e.Runs(), e.Cases(), t0.Add(29*h), nil).Actors {
		o := as.Overall
		if want := as.Actor == "mission"; (o.Overdue == 1) != want || (o.Pending == 1) == want {
			t.Errorf("scorecard during the pause, %s: %+v", as.Actor, o)
		}
	}
	clk.at(26 * h)
	keep(e.Record(liaison("a"), "k/respond", "consult/a", act("during the pause")))
	if s := stepOf(t, e, "k/respond", "consult/a"); s.State != Done {
		t.Errorf("action during the pause is %s", s.State)
	}
	clk.at(30 * h)
	keep(e.Resume("k"))
	if _, err := e.Resume("k"); !errors.Is(err, ErrPaused) {
		t.Errorf("second resume: %v", err)
	}
	if s := stepOf(t, e, "k/respond", "consult/b"); !s.Deadline.Equal(t0.Add(34 * h)) {
		t.Errorf("deadline %v, want 34 h", s.Deadline.Sub(t0))
	}
	r, _ := e.Run("k/respond")
	if !r.Cutoff.Equal(t0.Add(7*24*h + 10*h)) {
		t.Errorf("cutoff %v, want 7 d 10 h", r.Cutoff.Sub(t0))
	}
	if due := e.Due(t0.Add(33 * h)); len(due) != 0 {
		t.Errorf("due before the moved deadline: %v", kinds(due))
	}
	due := e.Due(t0.Add(35 * h))
	if got := kinds(due); len(got) != 2 || !due[0].At.Equal(t0.Add(34*h)) {
		t.Errorf("after the moved deadline: %v", got)
	}
	// The journal rebuilds the same engine.
	confirm, _ := New(e.Agreement, clk.Now).Confirm(Case{ID: "k", Commitment: "ceasefire", Party: "north", Confirmed: t0})
	r2 := New(e.Agreement, clk.Now)
	if err := r2.Apply(append(confirm, all...)...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r2.Runs(), e.Runs()) || !reflect.DeepEqual(r2.Cases(), e.Cases()) {
		t.Error("replay differs")
	}
	if _, err := e.Pause("nope"); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Errorf("unknown case: %v", err)
	}
}
