package response

import (
	"reflect"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// FuzzEngine drives the engine with arbitrary sequences of operations —
// confirmations, actions by the right and wrong recorders, closures,
// pauses, scheduler ticks, restarts — and checks the invariants the
// scheduler's safety rests on: the journal rebuilds the same engine, a
// tick after a tick finds nothing, no record id repeats, every step goes
// overdue at most once, and the scorecard's due count adds up.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 10, 1, 3, 2, 40, 1, 5, 0, 2, 200, 3, 1, 4, 0, 5, 0, 2, 255})
	f.Add([]byte{0, 0, 0, 1, 0, 2, 2, 30, 4, 0, 1, 1, 2, 50, 5, 0, 2, 90, 3, 2})
	f.Add([]byte{0, 0, 4, 0, 2, 100, 5, 0, 1, 7, 6, 0, 2, 250, 2, 250})
	a := load(f)
	actors := []string{"mission", "a", "b", "c"}
	f.Fuzz(func(t *testing.T, prog []byte) {
		now := t0
		clock := func() time.Time { return now }
		e := New(a, clock)
		var journal []Transition
		keep := func(ts []Transition, err error) {
			if err == nil {
				journal = append(journal, ts...)
			}
		}
		ncases := 0
		caseID := func(b byte) string {
			if ncases == 0 {
				return "none"
			}
			return "c" + string(rune('0'+int(b)%ncases))
		}
		for i := 0; i+1 < len(prog) && i < 200; i += 2 {
			op, arg := prog[i]%8, prog[i+1]
			switch op {
			case 0: // confirm a case of one of the commitments
				if ncases < 10 {
					com := []string{"ceasefire", "access", "quiet"}[int(arg)%3]
					keep(e.Confirm(Case{ID: "c" + string(rune('0'+ncases)), Commitment: com, Party: "north", Confirmed: now}))
					ncases++
				}
			case 1: // an actor records a step, as itself or as another
				r := e.Runs()
				if len(r) == 0 {
					continue
				}
				run := r[int(arg)%len(r)]
				s := run.Steps[int(arg/8)%len(run.Steps)]
				of := actors[int(arg/2)%len(actors)]
				by := Recorder{Principal: "p", Role: vocab.RoleGuarantorLiaison, Of: of}
				if of == "mission" {
					by.Role = vocab.RoleAnalyst
				}
				keep(e.Record(by, run.ID, s.Key, Action{Statement: "done"}))
			case 2: // time passes, the scheduler ticks
				now = now.Add(time.Duration(arg) * time.Hour)
				ts := e.Due(now)
				if err := e.Apply(ts...); err != nil {
					t.Fatal(err)
				}
				journal = append(journal, ts...)
				if again := e.Due(now); len(again) != 0 {
					t.Fatalf("a second tick found %v", kinds(again))
				}
			case 3:
				keep(e.Close(caseID(arg), []string{Remedied, Withdrawn}[arg%2], "r"))
			case 4:
				keep(e.Pause(caseID(arg)))
			case 5:
				keep(e.Resume(caseID(arg)))
			case 6: // restart
				r := New(a, clock)
				if err := r.Apply(journal...); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r.Runs(), e.Runs()) || !reflect.DeepEqual(r.Cases(), e.Cases()) {
					t.Fatal("the journal rebuilds another engine")
				}
				e = r
			case 7:
				now = now.Add(time.Duration(arg) * time.Minute)
			}
		}
		ids := map[string]bool{}
		for _, tr := range journal {
			if ids[tr.ID] {
				t.Fatalf("record id %s twice", tr.ID)
			}
			ids[tr.ID] = true
		}
		for _, as := range Score(a, e.Runs(), e.Cases(), now, nil).Actors {
			o := as.Overall
			if o.Due != o.OnTime+o.Late+o.Missed+o.Overdue {
				t.Fatalf("%s: %+v", as.Actor, o)
			}
		}
	})
}
