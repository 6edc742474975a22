package journalstore

import (
	"context"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

func TestContradictionSQLite(t *testing.T)     { testContradiction(t, sqliteOpener(t)) }
func TestContradictionPostgreSQL(t *testing.T) { testContradiction(t, postgresOpener(t)) }

// testContradiction: two servers compute, from states a moment apart, a
// step done on time (the API node, whose clock is just before the
// deadline) and the same step overdue (the scheduler node, just after).
// The store keeps the first one stored and refuses the other, in either
// order: a step is never both.
func testContradiction(t *testing.T, open opener) {
	ctx := context.Background()
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, doneFirst := range []bool{false, true} {
		st := open(t)
		j := &Journal{Store: st}
		id := "case-x"
		if doneFirst {
			id = "case-y"
		}
		before := func() time.Time { return t0.Add(24*time.Hour - time.Second) }
		after := t0.Add(24*time.Hour + time.Second)
		api := response.New(a, before)
		ts, err := api.Confirm(response.Case{ID: id, Commitment: "ceasefire", Party: "north", Confirmed: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(ctx, ts); err != nil {
			t.Fatal(err)
		}
		sched := response.New(a, func() time.Time { return after })
		if err := sched.Apply(ts...); err != nil {
			t.Fatal(err)
		}
		done, err := api.Record(response.Recorder{Principal: "lb", Role: vocab.RoleGuarantorLiaison, Of: "b"}, id+"/respond", "consult/b",
			response.Action{Statement: "consulted"})
		// The mission's 6-hour step went overdue first, on both nodes alike.
		if err != nil || len(done) != 2 || done[1].Kind != response.KindStepDone {
			t.Fatalf("record: %+v, %v", done, err)
		}
		overdue := sched.Due(after)
		first, second := overdue, done
		if doneFirst {
			first, second = done, overdue
		}
		if err := j.Append(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(ctx, second); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
			t.Fatalf("doneFirst=%v: contradicting append: %v, want conflict", doneFirst, err)
		}
		_, errDone := st.Record(ctx, id+"/respond/consult/b/done")
		_, errOver := st.Record(ctx, id+"/respond/consult/b/overdue")
		if (errDone == nil) != doneFirst || (errOver == nil) == doneFirst {
			t.Fatalf("doneFirst=%v: done stored %v, overdue stored %v", doneFirst, errDone == nil, errOver == nil)
		}
	}
}

func TestLateBeforeSchedulerSQLite(t *testing.T)     { testLateBeforeScheduler(t, sqliteOpener(t)) }
func TestLateBeforeSchedulerPostgreSQL(t *testing.T) { testLateBeforeScheduler(t, postgresOpener(t)) }

// testLateBeforeScheduler: a liaison records an action after the deadline
// before any scheduler stored it overdue (no leader for a while). The
// engine returns the overdue transition and the done_late one together;
// the store keeps both — the overdue's exclusion of "…/done" must not
// refuse its own late action. But if the step was stored done on time by
// another server meanwhile, the call is refused and nothing of it stored.
func testLateBeforeScheduler(t *testing.T, open opener) {
	ctx := context.Background()
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lb := response.Recorder{Principal: "lb", Role: vocab.RoleGuarantorLiaison, Of: "b"}
	for _, doneElsewhere := range []bool{false, true} {
		st := open(t)
		j := &Journal{Store: st}
		id := map[bool]string{false: "case-late", true: "case-raced"}[doneElsewhere]
		now := t0
		e := response.New(a, func() time.Time { return now })
		ts, err := e.Confirm(response.Case{ID: id, Commitment: "ceasefire", Party: "north", Confirmed: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(ctx, ts); err != nil {
			t.Fatal(err)
		}
		if doneElsewhere {
			// Another node, its clock just before the deadline, stores b's
			// step done on time.
			other := response.New(a, func() time.Time { return t0.Add(24*time.Hour - time.Second) })
			if err := other.Apply(ts...); err != nil {
				t.Fatal(err)
			}
			done, err := other.Record(lb, id+"/respond", "consult/b", response.Action{Statement: "on time"})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(ctx, done); err != nil {
				t.Fatal(err)
			}
		}
		before, err := st.TreeSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		now = t0.Add(30 * time.Hour)
		late, err := e.Record(lb, id+"/respond", "consult/b", response.Action{Statement: "late"})
		if err != nil {
			t.Fatal(err)
		}
		if k := late[len(late)-1].Kind; k != response.KindStepDoneLate {
			t.Fatalf("last transition %s, want %s", k, response.KindStepDoneLate)
		}
		err = j.Append(ctx, late)
		after, _ := st.TreeSize(ctx)
		if doneElsewhere {
			if pactwatch.ErrorCode(err) != pactwatch.ECONFLICT || after != before {
				t.Fatalf("late over a stored on-time action: %v, %d records added; want a conflict and none", err, after-before)
			}
			continue
		}
		if err != nil {
			t.Fatalf("late action before the scheduler: %v", err)
		}
		for _, rid := range []string{id + "/respond/consult/b/overdue", id + "/respond/consult/b/done"} {
			if _, err := st.Record(ctx, rid); err != nil {
				t.Errorf("%s not stored: %v", rid, err)
			}
		}
	}
}
