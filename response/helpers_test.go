package response

import (
	"reflect"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/vocab"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func load(t testing.TB) *agreement.Agreement {
	t.Helper()
	a, err := agreement.Load("testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// clock is a fake clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time            { return c.now }
func (c *clock) at(d time.Duration) *clock { c.now = t0.Add(d); return c }

func liaison(of string) Recorder {
	return Recorder{Principal: of + "-liaison", Role: vocab.RoleGuarantorLiaison, Of: of}
}

var analyst = Recorder{Principal: "ana", Role: vocab.RoleAnalyst}

func act(statement string) Action { return Action{Statement: statement} }

// journal is what the store would keep: every transition, in order.
type journal struct {
	t  testing.TB
	e  *Engine
	ts []Transition
}

func (j *journal) keep(ts []Transition, err error) []Transition {
	j.t.Helper()
	if err != nil {
		j.t.Fatal(err)
	}
	j.ts = append(j.ts, ts...)
	return ts
}

// tick is one scheduler pass: Due, store, Apply.
func (j *journal) tick(now time.Time) []Transition {
	j.t.Helper()
	ts := j.e.Due(now)
	j.ts = append(j.ts, ts...)
	if err := j.e.Apply(ts...); err != nil {
		j.t.Fatal(err)
	}
	return ts
}

// restart rebuilds the engine from the journal, as a restarted server
// does, and checks it equals the one it replaces.
func (j *journal) restart(a *agreement.Agreement, now func() time.Time) {
	j.t.Helper()
	e := New(a, now)
	if err := e.Apply(j.ts...); err != nil {
		j.t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Runs(), j.e.Runs()) || !reflect.DeepEqual(e.Cases(), j.e.Cases()) {
		j.t.Fatal("rebuilt engine differs")
	}
	j.e = e
}

func stepOf(t testing.TB, e *Engine, run, key string) *Step {
	t.Helper()
	r, err := e.Run(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Steps {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("run %s has no step %s", run, key)
	return nil
}

func kinds(ts []Transition) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Kind+" "+t.ID)
	}
	return out
}
