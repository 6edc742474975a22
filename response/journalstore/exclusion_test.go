package journalstore

import (
	"context"
	"fmt"
	"strings"
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

func TestStepRacesSQLite(t *testing.T)     { testStepRaces(t, sqliteOpener) }
func TestStepRacesPostgreSQL(t *testing.T) { testStepRaces(t, postgresOpener) }

// testStepRaces: for each pair of contradicting records two nodes may
// compute for guarantor b's step from the same stored state at moments
// apart (a liaison's action on one, the deadline, the cutoff or the case's
// closing on the other), whichever is stored first is kept and the other
// refused with nothing of its call stored — in both orders; and an engine
// rebuilt from the store afterwards applies every record (before the fix
// a done step next to its "ended" record wedged every server's sync). The
// "alone" rows are one engine's calls that must be stored whole. Each row
// has a database of its own.
func testStepRaces(t *testing.T, database func(t *testing.T) opener) {
	ctx := context.Background()
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const h = time.Hour
	lb := response.Recorder{Principal: "lb", Role: vocab.RoleGuarantorLiaison, Of: "b"}
	record := func(e *response.Engine, run string) ([]response.Transition, error) {
		return e.Record(lb, run, "consult/b", response.Action{Statement: "consulted"})
	}
	tick := func(e *response.Engine, _ string) ([]response.Transition, error) { return e.Due(e.Now()), nil }
	closeAs := func(closure string) func(e *response.Engine, run string) ([]response.Transition, error) {
		return func(e *response.Engine, run string) ([]response.Transition, error) {
			return e.Close(strings.TrimSuffix(run, "/respond"), closure, "test")
		}
	}
	type call struct {
		at time.Duration
		do func(e *response.Engine, run string) ([]response.Transition, error)
	}
	for _, tc := range []struct {
		name    string
		stored  time.Duration // the scheduler stored every deadline up to then (0: none)
		x, y    call
		alone   bool // y is not run: x alone must be stored whole
		wantErr bool
	}{
		{name: "done vs ended", x: call{10 * h, record}, y: call{10 * h, closeAs(response.Remedied)}},
		{name: "done vs cancelled", x: call{10 * h, record}, y: call{10 * h, closeAs(response.Withdrawn)}},
		{name: "done vs overdue", x: call{24 * h, record}, y: call{24*h + time.Second, tick}},
		{name: "ended vs overdue", x: call{23 * h, closeAs(response.Remedied)}, y: call{25 * h, tick}},
		{name: "late vs missed at the cutoff", stored: 25 * h, x: call{7*24*h - time.Second, record}, y: call{7*24*h + time.Second, tick}},
		{name: "late vs missed on closing", stored: 25 * h, x: call{30 * h, record}, y: call{30 * h, closeAs(response.Remedied)}},
		{name: "late vs cancelled", stored: 25 * h, x: call{30 * h, record}, y: call{30 * h, closeAs(response.Withdrawn)}},
		{name: "late before the scheduler", alone: true, x: call{30 * h, record}},
		{name: "cutoff before the scheduler", alone: true, x: call{8 * 24 * h, tick}},
		{name: "remedied after the deadline before the scheduler", alone: true, x: call{30 * h, closeAs(response.Remedied)}},
		{name: "withdrawn after the deadline before the scheduler", alone: true, x: call{30 * h, closeAs(response.Withdrawn)}},
	} {
		orders := [][2]call{{tc.x, tc.y}, {tc.y, tc.x}}
		if tc.alone {
			orders = orders[:1]
		}
		for i, order := range orders {
			t.Run(fmt.Sprintf("%s/%d", tc.name, i), func(t *testing.T) {
				st := database(t)(t)
				j := &Journal{Store: st}
				id := "case-1"
				run := id + "/respond"
				e := response.New(a, func() time.Time { return t0 })
				ts, err := e.Confirm(response.Case{ID: id, Commitment: "ceasefire", Party: "north", Confirmed: t0})
				if err != nil {
					t.Fatal(err)
				}
				if tc.stored > 0 {
					ts = append(ts, e.Due(t0.Add(tc.stored))...)
				}
				if err := j.Append(ctx, ts); err != nil {
					t.Fatal(err)
				}
				// Each node computes from the stored state, on its own clock.
				compute := func(c call) []response.Transition {
					n := response.New(a, func() time.Time { return t0.Add(c.at) })
					if err := n.Apply(ts...); err != nil {
						t.Fatal(err)
					}
					out, err := c.do(n, run)
					if err != nil {
						t.Fatal(err)
					}
					return out
				}
				first := compute(order[0])
				var second []response.Transition
				if !tc.alone {
					second = compute(order[1])
				}
				if err := j.Append(ctx, first); err != nil {
					t.Fatalf("first call: %v", err)
				}
				if !tc.alone {
					size, _ := st.TreeSize(ctx)
					if err := j.Append(ctx, second); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
						t.Fatalf("contradicting second call: %v, want a conflict", err)
					}
					if after, _ := st.TreeSize(ctx); after != size {
						t.Fatalf("the refused call stored %d records", after-size)
					}
				}
				s := &response.Scheduler{Engine: response.New(a, func() time.Time { return t0.Add(9 * 24 * h) }), Journal: j}
				if err := s.Sync(ctx); err != nil {
					t.Fatalf("an engine rebuilt from the store: %v", err)
				}
				if _, err := s.Tick(ctx); err != nil {
					t.Fatalf("tick after the race: %v", err)
				}
			})
		}
	}
}
